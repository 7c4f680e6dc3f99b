// How an SAE turns activations x into codes z: its encoder kind and input normalisation,
// independent of the recipe that trained it (a SAELens JumpReLU SAE is a jumprelu SAE whoever
// trained it). Stored in sae_<seed>.h5 as the encoder_* attributes plus the kind's extra
// tensors (docs/formats.md); every command that encodes reads it there.
//
// With xn the normalised input, c = xn − b_dec (or xn when subtract_b_dec is false) and
// pre = c·W_enc:
//   relu        z = ReLU(pre + b_enc)
//   topk        the k largest positive pre + b_enc of each token (ties: lower feature)
//   batchtopk   training: the k·B largest over a batch of B tokens; at inference, as saved by
//               SAELens and dictionary_learning, z = v·[v > θ] with v = pre + b_enc and one
//               learned global threshold θ (stored per feature, all equal)
//   jumprelu    z = v·[v > θ_j] with a threshold θ_j ≥ 0 per feature
//   gated       z = [pre + b_gate > 0]·ReLU(pre·exp(r_mag) + b_mag) (b_enc holds b_gate)
//   matryoshka  nested prefix groups of features (trained BatchTopK); encodes as batchtopk
// Input normalisation before the encoder (and, inverted, after the decoder):
//   none; scale: x·s; center-scale: (x − μ)·s (s and μ from the training store);
//   constant-norm: x·sqrt(d)/‖x‖ per token; layer-norm: (x − mean_t)/(std_t + 1e-5) per token.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "coact/core/options.h"

namespace coact::sae {

enum class EncoderKind { Relu, TopK, BatchTopK, JumpRelu, Gated, Matryoshka };
const char* to_string(EncoderKind kind);
EncoderKind parse_encoder_kind(const std::string& text);  // UsageError naming the accepted values
const std::vector<std::string>& encoder_kind_names();

// Kinds whose codes come from a per-feature threshold (/threshold [n]).
bool uses_threshold(EncoderKind kind);
// Kinds with a k (topk: per token; batchtopk and matryoshka: the mean per token in training).
bool uses_k(EncoderKind kind);

enum class InputNormKind { None, Scale, CenterScale, ConstantNorm, LayerNorm };
const char* to_string(InputNormKind kind);  // "none", "scale", "center-scale", "constant-norm", "layer-norm"
InputNormKind parse_input_norm(const std::string& text);
const std::vector<std::string>& input_norm_names();

struct EncoderSpec {
  EncoderKind kind = EncoderKind::Relu;
  bool subtract_b_dec = true;  // encode x − b_dec (SAELens apply_b_dec_to_input); false: x
  std::int64_t k = 0;          // see uses_k; 0 otherwise
  std::string groups;          // matryoshka: the groups' sizes, "s1,s2,..." summing to n; else ""
  InputNormKind input_norm = InputNormKind::None;
  double input_scale = 1.0;    // s of scale and center-scale (1 otherwise)

  bool operator==(const EncoderSpec&) const = default;
};

// Every field of EncoderSpec, stored as encoder_<name> attributes.
const options::Table<EncoderSpec>& encoder_table();

// Throws InputError "<what>: <field> ...: <expected>" when the spec cannot describe an SAE with
// n features (k outside [1, n], groups that do not sum to n, a scale that is not positive, a
// field its kind does not use).
void validate(const EncoderSpec& spec, std::int64_t n_features, const std::string& what);

// The matryoshka group sizes ({} for other kinds).
std::vector<std::int64_t> group_sizes(const EncoderSpec& spec);
std::string group_text(const std::vector<std::int64_t>& sizes);  // {1, 2} -> "1,2"

}  // namespace coact::sae
