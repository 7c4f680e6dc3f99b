// A transformer's parameters in host memory, in one layout whatever family or file they came
// from ("x·W" orientation: inputs index the rows). The loaders read, by the config's family:
//  - Hugging Face names: GPT-2 (`h.L.attn.c_attn.weight`, Conv1D [in, out]), Llama / Mistral /
//    Qwen2 / Gemma / Gemma-2 (`model.layers.L.self_attn.q_proj.weight`, nn.Linear [out, in]),
//    GPT-NeoX (`gpt_neox.layers.L.attention.query_key_value.weight`, per-head [q k v] rows),
//    BERT (`encoder.layer.L.attention.self.query.weight`), each with or without the task
//    model's prefix (`transformer.`, `model.`, `gpt_neox.`, `bert.`);
//  - TransformerLens names (`embed.W_E`, `blocks.L.attn.W_Q` [H, d, dh], `_W_K` for grouped
//    key/value heads, `blocks.L.mlp.W_gate`, `unembed.W_U`, ...);
//  - GGUF files, whose llama.cpp names io's Hugging Face view maps to Llama's (the rows of Q and
//    K that llama.cpp interleaves for its rotary layout put back): see weight_source.h.
// Gemma's (1 + w) norm weights are stored as 1 + w. Tensors the forward pass does not use
// (attention mask buffers, rotary caches, poolers) are ignored. A missing or mis-shaped tensor
// is an InputError of one line naming the file, the tensor, and the expected and found shapes.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "coact/model/config.h"
#include "coact/model/weight_source.h"

namespace coact::io {
class TensorFile;
}

namespace coact::model {

// One block. A vector is empty where the architecture has no such parameter (a bias the
// config says is absent, an LNPre norm's weights, a plain MLP's w_up, Gemma-2's post-norms).
struct BlockWeights {
  std::vector<float> ln1_weight, ln1_bias;  // [d] each
  std::vector<float> w_qkv;                 // [d, d_qkv]: columns q heads | k heads | v heads
  std::vector<float> b_qkv;                 // [d_qkv]
  std::vector<float> w_o;                   // [d_attn, d]
  std::vector<float> b_o;                   // [d]
  std::vector<float> ln2_weight, ln2_bias;  // [d] each
  std::vector<float> w_in;                  // [d, d_mlp]: W_in, or W_gate of a gated MLP
  std::vector<float> b_in;                  // [d_mlp]
  std::vector<float> w_up;                  // [d, d_mlp]: a gated MLP's up projection
  std::vector<float> b_up;                  // [d_mlp]
  std::vector<float> w_out;                 // [d_mlp, d]
  std::vector<float> b_out;                 // [d]
  std::vector<float> post_attn_norm;        // [d] Gemma-2: the norm of the attention's output
  std::vector<float> post_mlp_norm;         // [d] Gemma-2: the norm of the MLP's output
};

struct TransformerWeights {
  std::string naming;                       // "huggingface", "transformerlens" or "gguf"
  std::vector<float> wte;                   // [d_vocab, d]
  std::vector<float> wpe;                   // [n_ctx, d]; empty with rotary positions
  std::vector<float> token_type;            // [d] BERT: token type 0's embedding row
  std::vector<float> embed_ln_weight, embed_ln_bias;  // [d] BERT: the embeddings' LayerNorm
  std::vector<BlockWeights> blocks;
  std::vector<float> ln_final_weight, ln_final_bias;  // [d] each; empty for LNPre and BERT
  // The unembedding: [d, d_vocab_out], or [d_vocab_out, d] when unembed_transposed (an
  // nn.Linear lm_head); empty when tied to wte. Empty and untied for an encoder.
  std::vector<float> unembed;
  bool unembed_transposed = false;
  bool unembed_tied = false;
  std::vector<float> unembed_bias;          // [d_vocab_out]; empty when the model has none
};

TransformerWeights load_transformer_weights(const std::string& path, const TransformerConfig& config);
TransformerWeights load_transformer_weights(const WeightSource& source, const TransformerConfig& config);
TransformerWeights load_transformer_weights(const io::TensorFile& file, const TransformerConfig& config);

}  // namespace coact::model
