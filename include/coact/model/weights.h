// A transformer's parameters in host memory, in one layout whatever file they came from:
//  - Hugging Face GPT-2 names (`wte.weight`, `h.L.attn.c_attn.weight` [d, 3d] in Conv1D's
//    in×out layout, `ln_f.*`, optional `lm_head.weight`, all optionally under `transformer.`);
//  - TransformerLens names (`embed.W_E`, `blocks.L.attn.W_Q` [H, d, dh], `W_O` [H, dh, d],
//    `blocks.L.mlp.W_in`, `unembed.W_U`, ...).
// Files are safetensors or PyTorch state-dict .pt (io/tensors.h); any float dtype is read as
// float32. Tensors the forward pass does not use (attention mask buffers) are ignored. A
// missing or mis-shaped tensor is an InputError of one line naming the file, the tensor, and
// the expected and found shapes.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "coact/model/config.h"

namespace coact::io {
class TensorFile;
}

namespace coact::model {

// One block, row-major, "x·W" orientation (inputs index the rows).
struct BlockWeights {
  std::vector<float> ln1_weight, ln1_bias;  // [d] each; empty for LNPre
  std::vector<float> w_qkv;                 // [d, 3·d_attn]: columns q heads | k heads | v heads
  std::vector<float> b_qkv;                 // [3·d_attn]
  std::vector<float> w_o;                   // [d_attn, d]
  std::vector<float> b_o;                   // [d]
  std::vector<float> ln2_weight, ln2_bias;  // [d] each; empty for LNPre
  std::vector<float> w_in;                  // [d, d_mlp]
  std::vector<float> b_in;                  // [d_mlp]
  std::vector<float> w_out;                 // [d_mlp, d]
  std::vector<float> b_out;                 // [d]
};

struct TransformerWeights {
  std::string naming;                       // "huggingface" or "transformerlens"
  std::vector<float> wte;                   // [d_vocab, d]
  std::vector<float> wpe;                   // [n_ctx, d]
  std::vector<BlockWeights> blocks;
  std::vector<float> ln_final_weight, ln_final_bias;  // [d] each; empty for LNPre
  // The unembedding: [d, d_vocab_out], or [d_vocab_out, d] when unembed_transposed (GPT-2's
  // lm_head); empty when tied to wte (GPT-2 without lm_head.weight).
  std::vector<float> unembed;
  bool unembed_transposed = false;
  bool unembed_tied = false;
  std::vector<float> unembed_bias;          // [d_vocab_out]; empty when the model has none
};

TransformerWeights load_transformer_weights(const std::string& path, const TransformerConfig& config);
TransformerWeights load_transformer_weights(const io::TensorFile& file, const TransformerConfig& config);

}  // namespace coact::model
