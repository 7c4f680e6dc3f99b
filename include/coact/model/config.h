// The architecture of a GPT-2-family transformer (learned positions, pre-LayerNorm blocks of
// causal multi-head attention and a GELU MLP, final LayerNorm, unembedding), read from a
// Hugging Face GPT-2 `config.json` or a TransformerLens config (HookedTransformerConfig as
// JSON, e.g. gelu-1l's). Anything either format can express that this forward pass does not
// compute (rotary positions, RMSNorm, gated or parallel MLPs, local attention, ...) is refused
// when the file is read, with an InputError naming the file, the key and the value.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "coact/backend/backend.h"

namespace coact {
class JsonValue;
}

namespace coact::model {

enum class Normalization {
  LayerNorm,     // TransformerLens "LN", Hugging Face GPT-2: learned scale and shift
  LayerNormPre,  // TransformerLens "LNPre": centre and scale only (weights folded downstream)
};
const char* to_string(Normalization normalization);  // "LN", "LNPre"

struct TransformerConfig {
  std::string name;         // model name for messages and the store's `source` ("gelu-1l")
  std::string format;       // "huggingface" or "transformerlens": how the file spelled it
  std::int64_t n_layers = 0;
  std::int64_t d_model = 0;
  std::int64_t n_heads = 0;
  std::int64_t d_head = 0;
  std::int64_t d_mlp = 0;
  std::int64_t d_vocab = 0;      // rows of the token embedding
  std::int64_t d_vocab_out = 0;  // columns of the unembedding (usually d_vocab)
  std::int64_t n_ctx = 0;        // positions of the position embedding: the longest sequence
  backend::GeluKind activation = backend::GeluKind::Erf;
  Normalization normalization = Normalization::LayerNorm;
  double layer_norm_eps = 1e-5;
  double attention_scale = 0.0;  // scores = ⟨q, k⟩ · this (1/√d_head unless the file says)
  std::optional<std::int32_t> bos_id;  // Hugging Face bos_token_id, when given

  std::int64_t d_attn() const { return n_heads * d_head; }
  // Throws InputError "<where>: <what>" when a size is not positive or too large.
  void validate(const std::string& where) const;
  // "1 layer, d_model 512, 8 heads × 64, d_mlp 2048, vocab 48,262, context 1,024, gelu (erf), LN".
  std::string summary() const;
};

// Reads either format (told apart by their keys: n_embd for Hugging Face, d_model for
// TransformerLens). Every error is an InputError of one line naming `path`.
TransformerConfig read_transformer_config(const std::string& path);
TransformerConfig parse_transformer_config(const JsonValue& json);

}  // namespace coact::model
