// What a transformer loader needs from a GGUF file besides raw tensors: the hyperparameters in
// its metadata, and its tensors under Hugging Face's names with the weights Hugging Face holds.
//
// llama.cpp's converter (convert_hf_to_gguf.py, LlamaModel.modify_tensors) permutes the rows of
// the query and key projections (weights and biases) of "llama" models for its rotary kernel,
// which rotates adjacent pairs (x[2i], x[2i+1]) where Hugging Face rotates the halves
// (x[i], x[i + d/2]). Per head of d rows (n_head heads for Q, n_head_kv for K) it stores
//     gguf row 2i + p  =  hf row p·d/2 + i        (i < d/2, p ∈ {0, 1}),
// i.e. hf.reshape(n_head, 2, d/2, cols).swapaxes(1, 2). unpermute_rotary_rows undoes it, and
// GgufHuggingFaceView applies it, so its q_proj/k_proj equal the original checkpoint's (up to
// quantisation) and what transformers' GGUF loader builds.
//
//   auto gguf = std::make_shared<const io::GgufFile>("smollm2.gguf");
//   io::GgufModelParams p = io::read_gguf_model_params(*gguf);     // block_count, heads, ...
//   io::GgufHuggingFaceView hf(gguf);                                // a TensorFile
//   auto wq = hf.read_f32("model.layers.0.self_attn.q_proj.weight"); // [n_head·d, d_model]
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "coact/io/gguf.h"

namespace coact::io {

// <arch> is general.architecture. Sizes are required; what a file may leave out is optional.
// A per-layer array where coact expects one number is refused naming the key.
struct GgufModelParams {
  std::string architecture;              // general.architecture ("llama")
  std::string name;                      // general.name, "" when absent
  std::int64_t block_count = 0;          // <arch>.block_count
  std::int64_t embedding_length = 0;     // <arch>.embedding_length (d_model)
  std::int64_t feed_forward_length = 0;  // <arch>.feed_forward_length (d_mlp)
  std::int64_t head_count = 0;           // <arch>.attention.head_count
  std::int64_t head_count_kv = 0;        // <arch>.attention.head_count_kv, else head_count
  std::int64_t context_length = 0;       // <arch>.context_length (n_ctx)
  // <arch>.vocab_size, else the length of tokenizer.ggml.tokens, else the rows of
  // token_embd.weight; 0 when none is there.
  std::int64_t vocab_size = 0;
  std::optional<std::int64_t> key_length;             // <arch>.attention.key_length (head dim of Q/K)
  std::optional<std::int64_t> value_length;           // <arch>.attention.value_length
  std::optional<std::int64_t> rope_dimension_count;   // <arch>.rope.dimension_count
  std::optional<double> rope_freq_base;               // <arch>.rope.freq_base
  std::optional<std::string> rope_scaling_type;       // <arch>.rope.scaling.type
  std::optional<double> rope_scaling_factor;          // <arch>.rope.scaling.factor
  std::optional<std::int64_t> rope_scaling_original_context_length;
  std::optional<double> rms_norm_epsilon;             // <arch>.attention.layer_norm_rms_epsilon
  std::optional<double> layer_norm_epsilon;           // <arch>.attention.layer_norm_epsilon
  std::optional<std::int64_t> bos_token_id;           // tokenizer.ggml.bos_token_id
  std::optional<std::int64_t> eos_token_id;           // tokenizer.ggml.eos_token_id
  // No separate output.weight: the unembedding is the token embedding.
  bool tied_embeddings = false;

  // key_length, else embedding_length / head_count.
  std::int64_t head_dim() const;
};

GgufModelParams read_gguf_model_params(const GgufFile& file);

// Undoes (or applies) llama.cpp's rotary row permutation in place on a row-major
// [n_heads·head_dim, cols] matrix (cols = 1 for a bias). Throws UsageError when the rows are not
// n_heads whole heads of an even head_dim.
void unpermute_rotary_rows(std::span<float> values, std::int64_t rows, std::int64_t cols, std::int64_t n_heads);
void permute_rotary_rows(std::span<float> values, std::int64_t rows, std::int64_t cols, std::int64_t n_heads);

// The Hugging Face name of a GGUF tensor of architecture `arch`, or nullopt when coact has no
// mapping for it. Architectures mapped: "llama" (LlamaForCausalLM: model.embed_tokens,
// model.layers.N.{input_layernorm, self_attn.{q,k,v,o}_proj, post_attention_layernorm,
// mlp.{gate,up,down}_proj}, model.norm, lm_head).
std::optional<std::string> gguf_to_huggingface_name(std::string_view arch, std::string_view gguf_name);

// A GGUF file's tensors under Hugging Face names and in Hugging Face's layout (Q/K rows
// restored). Refuses, naming it, an architecture without a mapping or a tensor the mapping does
// not know (rope_freqs.weight of Llama 3.1, MoE experts, ...): nothing is silently left out.
// With tied embeddings there is no lm_head.weight, as in Hugging Face's state dict.
class GgufHuggingFaceView final : public TensorFile {
 public:
  explicit GgufHuggingFaceView(std::shared_ptr<const GgufFile> file);
  ~GgufHuggingFaceView() override;
  const char* format() const override { return "gguf"; }
  const GgufFile& gguf() const { return *file_; }
  const GgufModelParams& params() const { return params_; }
  // The GGUF name behind a Hugging Face name.
  const std::string& gguf_name(std::string_view hf_name) const;

 protected:
  TensorLayout layout(const TensorInfo& info) const override;
  void convert_f32(const TensorInfo& info, std::span<float> out) const override;
  void check_readable(const TensorInfo& info) const override;

 private:
  struct Source {
    const TensorInfo* gguf_tensor;
    std::int64_t rotary_heads;  // > 0: un-permute the rows in this many heads
  };
  std::shared_ptr<const GgufFile> file_;
  GgufModelParams params_;
  std::vector<Source> sources_;  // parallel to tensors_
};

// GgufHuggingFaceView of the file at `path`.
std::unique_ptr<TensorFile> open_gguf_as_huggingface(const std::string& path);

}  // namespace coact::io
