// The architecture of a transformer, as one configuration of one forward pass (model/transformer.h)
// rather than one class per family. It covers the decoder-only families researchers study and
// one encoder:
//   gpt2      learned positions, pre-LayerNorm blocks, GELU MLP, tied unembedding
//   llama     (also mistral, qwen2) RMSNorm, rotary positions (incl. Llama 3 frequency scaling),
//             grouped-query attention, SwiGLU MLP, optional biases, sliding windows
//   gpt_neox  (Pythia) partial rotary, parallel attention + MLP residual, fused per-head qkv
//   gemma     (and gemma2) GeGLU, (1 + w) RMSNorm, √d embedding scale; Gemma-2 adds norms after
//             attention and MLP, attention and final-logit soft-capping, alternating sliding
//             windows and query_pre_attn_scalar
//   bert      encoder-only: token-type and position embeddings, post-LN blocks, bidirectional
//             attention over the unpadded positions, GELU (erf) MLP; no next-token logits
// read from a Hugging Face `config.json` (by model_type, else architectures), a TransformerLens
// config (HookedTransformerConfig as JSON) or a GGUF file's metadata. Anything a file can say
// that this forward pass does not compute (an unknown rope_scaling type, an activation, local
// attention of another kind, ...) is refused when the file is read, with an InputError naming
// the file, the key and the value, and the families coact supports.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "coact/backend/backend.h"

namespace coact {
class JsonValue;
}

namespace coact::model {

enum class Normalization {
  LayerNorm,     // TransformerLens "LN", Hugging Face LayerNorm: learned scale and shift
  LayerNormPre,  // TransformerLens "LNPre": centre and scale only (weights folded downstream)
  RmsNorm,       // Llama's RMSNorm (Gemma's (1 + w) is folded into the weight when read)
};
const char* to_string(Normalization normalization);  // "LN", "LNPre", "RMS"

enum class Positions {
  Learned,  // a position embedding added to the token embedding (GPT-2, BERT)
  Rotary,   // rotary embedding of the queries and keys ("rotate half" layout)
};

// The frequencies of rotary position embeddings: inv_freq[i] = base^(−2i/dim) for i < dim/2,
// then rescaled by `scaling`:
//   "" (default)  unchanged;   "linear"  inv_freq / factor;
//   "llama3"      Llama 3.1's smooth interpolation between low and high frequencies.
struct RotaryConfig {
  std::int64_t dim = 0;      // rotated dimensions of each head (GPT-NeoX: rotary_pct · d_head)
  double base = 10000.0;     // rope_theta
  std::string scaling;       // "", "linear" or "llama3"
  double factor = 1.0;
  double low_freq_factor = 1.0;
  double high_freq_factor = 4.0;
  std::int64_t original_context = 8192;  // original_max_position_embeddings
};

// inv_freq as Hugging Face computes it (in float32), dim/2 values.
std::vector<float> rotary_inverse_frequencies(const RotaryConfig& rotary);

struct TransformerConfig {
  std::string name;          // model name for messages and the store's `source` ("gelu-1l")
  std::string format;        // "huggingface", "transformerlens" or "gguf": how the file spelled it
  std::string family;        // "gpt2", "llama", "gpt_neox", "gemma", "gemma2" or "bert"
  std::string model_type;    // the file's own name ("mistral", "qwen2", ...; = family otherwise)
  std::int64_t n_layers = 0;
  std::int64_t d_model = 0;
  std::int64_t n_heads = 0;
  std::int64_t n_kv_heads = 0;   // key/value heads (grouped-query attention); 0 means n_heads
  std::int64_t d_head = 0;
  std::int64_t d_mlp = 0;
  std::int64_t d_vocab = 0;      // rows of the token embedding
  std::int64_t d_vocab_out = 0;  // columns of the unembedding (usually d_vocab); 0 for an encoder
  std::int64_t n_ctx = 0;        // the longest sequence (position embedding rows, or max positions)
  backend::GeluKind activation = backend::GeluKind::Erf;  // of a plain MLP
  bool gated_mlp = false;                                  // act(x·W_gate)·(x·W_up), then W_out
  backend::Activation gate_activation = backend::Activation::Silu;
  Normalization normalization = Normalization::LayerNorm;
  double layer_norm_eps = 1e-5;
  Positions positions = Positions::Learned;
  RotaryConfig rotary;
  bool parallel_residual = false;  // resid += attn(ln1(resid)) + mlp(ln2(resid)) (GPT-NeoX, GPT-J)
  bool post_block_norms = false;   // Gemma-2: a norm on the attention's and the MLP's outputs
  bool post_ln = false;            // BERT: resid = LN(resid + attn), LN(resid + mlp); embeddings LN'd
  bool causal = true;              // false: bidirectional attention (an encoder)
  double attention_scale = 0.0;    // scores = ⟨q, k⟩ · this (1/√d_head unless the file says)
  double attention_softcap = 0.0;  // Gemma-2's attn_logit_softcapping (0: none)
  double final_logit_softcap = 0.0;
  double embedding_scale = 1.0;    // Gemma: the embeddings are multiplied by √d_model
  std::vector<std::int64_t> sliding_window;  // per layer: keys within this many positions (0: all)
  // Which linear layers have a bias (the weight loader requires exactly these tensors).
  bool qkv_bias = true;            // Llama/Gemma: attention_bias; Qwen2: always; GPT-NeoX: attention_bias
  bool out_bias = true;            // the attention output projection's (Qwen2: none)
  bool mlp_bias = true;            // of W_in (W_gate and W_up): Llama's mlp_bias; Gemma: none
  bool mlp_out_bias = true;        // of W_out
  bool tie_embeddings = false;     // the unembedding is the token embedding (tie_word_embeddings)
  std::int64_t token_types = 0;    // BERT's token-type embedding rows (type 0 is used)
  std::optional<std::int32_t> bos_id;  // Hugging Face bos_token_id, when given
  std::optional<std::int32_t> pad_id;  // an encoder's padding token: keys holding it are masked

  std::int64_t kv_heads() const { return n_kv_heads > 0 ? n_kv_heads : n_heads; }
  std::int64_t d_attn() const { return n_heads * d_head; }
  std::int64_t d_kv() const { return kv_heads() * d_head; }
  std::int64_t d_qkv() const { return d_attn() + 2 * d_kv(); }  // q | k | v
  bool encoder() const { return !causal; }  // no next-token logits or losses
  std::int64_t window(std::int64_t layer) const {
    return sliding_window.empty() ? 0 : sliding_window[static_cast<std::size_t>(layer)];
  }
  // Throws InputError "<where>: <what>" when a size is not positive or too large.
  void validate(const std::string& where) const;
  // "2 layers, d_model 64, 4 heads × 16 (2 kv), d_mlp 256, vocab 1,000, context 2,048, llama:
  //  RMS, rotary, gated silu".
  std::string summary() const;
};

// The families coact computes, for messages: "gpt2, llama (mistral, qwen2), gpt_neox, gemma,
// gemma2, bert".
const char* supported_families();

// Reads a Hugging Face config.json or a TransformerLens config (told apart by their keys:
// model_type / architectures / n_embd for Hugging Face, d_model for TransformerLens). Every
// error is an InputError of one line naming `path`.
TransformerConfig read_transformer_config(const std::string& path);
TransformerConfig parse_transformer_config(const JsonValue& json);

// The config of a GGUF file's model, from its metadata (general.architecture "llama": Llama,
// SmolLM, Mistral converted by llama.cpp). Another architecture, a rope scaling other than none
// or linear, or a missing size is an InputError naming the file and the key.
TransformerConfig read_gguf_config(const std::string& path);
// The config of the model whose weights are at `weights`: `config_path` when not empty, else
// a GGUF file's own metadata, else config.json beside the weights (InputError when absent).
TransformerConfig read_model_config(const std::string& weights, const std::string& config_path);
// Which file read_model_config reads (for provenance).
std::string model_config_source(const std::string& weights, const std::string& config_path);

}  // namespace coact::model
