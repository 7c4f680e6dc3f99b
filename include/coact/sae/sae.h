// The SAE model on a Backend: z = encode(x) as its EncoderSpec says (encoder_spec.h: the kind,
// whether b_dec is subtracted, the input normalisation), x̂ = z W_dec + b_dec.
//
// Storage: the parameters live in ONE device array (ParamLayout): W_enc, W_dec, b_enc, b_dec
// and the kind's per-feature tensors (threshold; r_mag and b_mag of a gated SAE), so the
// optimiser updates them in one pass and the gradient buffer can mirror the layout. W_enc is stored transposed, as
// W_encᵀ [n, d] (row j = the encoder column of feature j, like torch's nn.Linear weight): the
// sparse backward then accumulates and resamples contiguous rows. Files and host copies always
// present W_enc as [d, n].
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "coact/backend/backend.h"
#include "coact/backend/buffer.h"
#include "coact/sae/config.h"
#include "coact/sae/encoder_spec.h"

namespace coact::sae {

// The parameters as files present them, row-major: W_enc [d, n], b_enc [n], W_dec [n, d], b_dec [d],
// and what the encoder kind adds. The trainer's Adam moments use the same shape.
struct SaeTensors {
  std::int64_t d_in = 0;
  std::int64_t n_features = 0;
  std::vector<float> w_enc, b_enc, w_dec, b_dec;
  std::vector<float> threshold;     // [n]: jumprelu, batchtopk, matryoshka (empty otherwise)
  std::vector<float> r_mag, b_mag;  // [n]: gated (b_enc is b_gate)
  std::vector<float> input_mean;    // [d]: center-scale input normalisation's μ (not a parameter)

  // The four base tensors, zero; with a spec also the tensors its kind and normalisation add.
  static SaeTensors zeros(std::int64_t d_in, std::int64_t n_features);
  static SaeTensors zeros(std::int64_t d_in, std::int64_t n_features, const EncoderSpec& spec);
  // Throws InputError naming `what` and the first tensor whose size does not match the shape
  // (the extra tensors may be empty or of their size).
  void check_shape(std::int64_t d, std::int64_t n, const char* what) const;
  // check_shape, and InputError unless exactly the extra tensors `spec` needs are present.
  void check_spec(const EncoderSpec& spec, std::int64_t d, std::int64_t n, const char* what) const;
  bool operator==(const SaeTensors&) const = default;

  // Latents [first, first + count) with every per-latent tensor cut to them (b_dec and the
  // input mean are whole); join_features puts consecutive slices back together, in order.
  SaeTensors features(std::int64_t first, std::int64_t count) const;
  static SaeTensors join_features(const std::vector<SaeTensors>& slices);
};

// The latents one rank holds when an SAE is split over ranks (latent sharding): features
// [first, first + count) of a dictionary of `total`. Shard s of T holds [⌊s·n/T⌋, ⌊(s+1)·n/T⌋).
struct FeatureShard {
  std::int64_t first = 0;
  std::int64_t count = 0;
  std::int64_t total = 0;

  static FeatureShard whole(std::int64_t n) { return {0, n, n}; }
  static FeatureShard of(std::int64_t n, int shard, int shards) {
    const std::int64_t first = n * shard / shards;
    return {first, n * (shard + 1) / shards - first, n};
  }
  bool sharded() const { return count != total; }
};

// The encoder a training configuration describes: relu (nanda-1l), topk or batchtopk with its
// k, jumprelu; b_dec subtracted unless the configuration says otherwise; no normalisation (the
// trainer records the store's when it trains with one).
EncoderSpec encoder_spec(const SaeConfig& config);

// Offsets (in floats) of each tensor in the flat parameter array; each starts on a 64-byte
// boundary. Padding floats are zero and stay zero (their gradient is zero).
struct ParamLayout {
  std::int64_t d_in = 0;
  std::int64_t n_features = 0;
  std::size_t w_enc_t = 0;  // [n, d]: W_enc transposed
  std::size_t w_dec = 0;    // [n, d]
  std::size_t b_enc = 0;    // [n]
  std::size_t b_dec = 0;    // [d]
  std::size_t threshold = 0;  // [n] when has_threshold
  std::size_t r_mag = 0;      // [n] when gated
  std::size_t b_mag = 0;      // [n] when gated
  bool has_threshold = false;
  bool gated = false;
  std::size_t count = 0;    // total floats, padding included

  static ParamLayout make(std::int64_t d_in, std::int64_t n_features, EncoderKind kind = EncoderKind::Relu);
};

// Where init draws come from: key = mix_seed(seed, kInitTag) (resampling at step t:
// mix_seed(mix_seed(seed, kResampleTag), t)), one stream per tensor, position = the element's
// flat index in the presented tensor (W_enc [d, n]: i·n + j; W_dec [n, d]: j·d + i).
inline constexpr std::uint64_t kInitTag = 0x5AE1;
inline constexpr std::uint64_t kResampleTag = 0x5AE2;
inline constexpr std::uint64_t kEncoderStream = 1;
inline constexpr std::uint64_t kDecoderStream = 2;

class Sae {
 public:
  // Zero parameters for the spec (validated against n_features: UsageError).
  Sae(backend::Backend& backend, std::int64_t d_in, std::int64_t n_features, const EncoderSpec& spec = {});
  // The SAE a training configuration describes (encoder_spec(config)); zeros. With a shard, only
  // its latents (the encoder's spec is checked against the whole dictionary, config.n_features).
  Sae(backend::Backend& backend, const SaeConfig& config);
  Sae(backend::Backend& backend, const SaeConfig& config, const FeatureShard& shard);
  // Latents `shard` of an SAE with this encoder (spec checked against the whole dictionary).
  Sae(backend::Backend& backend, std::int64_t d_in, const EncoderSpec& spec, const FeatureShard& shard);

  // Recipe initialisation, identical on every rank, machine and backend for the same seed:
  //  nanda-1l: W_enc ~ U(±sqrt(6/n)), W_dec ~ U(±sqrt(6/d)) then unit rows, biases 0
  //            (torch.nn.init.kaiming_uniform_ on [d, n] and [n, d], as Nanda's AutoEncoder);
  //  topk, batchtopk, jumprelu: W_encᵀ ~ U(±1/sqrt(d)) (nn.Linear(d, n) default init),
  //            W_dec = W_encᵀ with rows scaled by 1/(‖row‖ + FLT_EPSILON), biases 0 (EleutherAI
  //            Sae.__init__; Bussmann et al. and Rajamanoharan et al. tie them the same way);
  //            b_dec is set from the data by the trainer (topk, batchtopk); jumprelu thresholds
  //            start at `threshold_init`, batchtopk's at 0 (plain ReLU until it is learned).
  // A shard draws exactly its latents' values of the whole SAE's initialisation.
  void init(std::uint64_t seed, Recipe recipe, double threshold_init = 0.0);

  SaeTensors to_host() const;
  void from_host(const SaeTensors& tensors);  // InputError when shapes or the kind's tensors differ

  backend::Backend& backend() const { return *backend_; }
  std::int64_t d_in() const { return layout_.d_in; }
  std::int64_t n_features() const { return layout_.n_features; }  // this shard's latents
  const FeatureShard& shard() const { return shard_; }
  const EncoderSpec& spec() const { return spec_; }
  EncoderKind kind() const { return spec_.kind; }
  std::int64_t k() const { return spec_.k; }
  const ParamLayout& layout() const { return layout_; }
  // The input normalisation as the backend ops take it (its mean points into device memory).
  backend::InputNorm input_norm() const;

  // Device pointers into the parameter array.
  float* params() { return params_.data(); }
  const float* params() const { return params_.data(); }
  float* w_enc_t() { return params_.data() + layout_.w_enc_t; }
  const float* w_enc_t() const { return params_.data() + layout_.w_enc_t; }
  float* w_dec() { return params_.data() + layout_.w_dec; }
  const float* w_dec() const { return params_.data() + layout_.w_dec; }
  float* b_enc() { return params_.data() + layout_.b_enc; }
  const float* b_enc() const { return params_.data() + layout_.b_enc; }
  float* b_dec() { return params_.data() + layout_.b_dec; }
  const float* b_dec() const { return params_.data() + layout_.b_dec; }
  // Null when the kind has no such tensor.
  float* threshold() { return layout_.has_threshold ? params_.data() + layout_.threshold : nullptr; }
  const float* threshold() const { return layout_.has_threshold ? params_.data() + layout_.threshold : nullptr; }
  const float* r_mag() const { return layout_.gated ? params_.data() + layout_.r_mag : nullptr; }
  const float* b_mag() const { return layout_.gated ? params_.data() + layout_.b_mag : nullptr; }
  // exp(r_mag) (gated), refreshed by from_host.
  const float* mag_scale() const { return layout_.gated ? mag_scale_.data() : nullptr; }

  // Records an input normalisation (the trainer's, from the store it trains on): the kind,
  // the factor and, for center-scale, μ [d].
  void set_input_normalisation(InputNormKind kind, double scale, const std::vector<float>& mean);

 private:
  backend::Backend* backend_;
  ParamLayout layout_;
  EncoderSpec spec_;
  FeatureShard shard_;
  backend::Buffer<float> params_;
  backend::Buffer<float> mag_scale_;   // [n] when gated
  backend::Buffer<float> input_mean_;  // [d] when the normalisation is center-scale
};

// Host copies of a flat parameter-shaped device array (parameters, gradients, Adam moments) in
// the presented layouts, and back.
SaeTensors unpack_tensors(const ParamLayout& layout, const std::vector<float>& flat);
std::vector<float> pack_tensors(const ParamLayout& layout, const SaeTensors& tensors);

}  // namespace coact::sae
