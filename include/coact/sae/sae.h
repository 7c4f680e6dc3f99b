// The SAE model on a Backend: z = act((x − b_dec) W_enc + b_enc), x̂ = z W_dec + b_dec, with
// act = ReLU (nanda-1l) or TopK of the ReLU (topk).
//
// Storage: the four tensors live in ONE device array (ParamLayout), so the optimiser updates them
// in one pass and the gradient buffer can mirror the layout. W_enc is stored transposed, as
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

namespace coact::sae {

enum class Activation { Relu, TopK };

// The parameters as files present them, row-major: W_enc [d, n], b_enc [n], W_dec [n, d], b_dec [d].
// The trainer's Adam moments use the same shape.
struct SaeTensors {
  std::int64_t d_in = 0;
  std::int64_t n_features = 0;
  std::vector<float> w_enc, b_enc, w_dec, b_dec;

  static SaeTensors zeros(std::int64_t d_in, std::int64_t n_features);
  // Throws InputError naming `what` and the first tensor whose size does not match the shape.
  void check_shape(std::int64_t d, std::int64_t n, const char* what) const;
  bool operator==(const SaeTensors&) const = default;
};

// Offsets (in floats) of each tensor in the flat parameter array; each starts on a 64-byte
// boundary. Padding floats are zero and stay zero (their gradient is zero).
struct ParamLayout {
  std::int64_t d_in = 0;
  std::int64_t n_features = 0;
  std::size_t w_enc_t = 0;  // [n, d]: W_enc transposed
  std::size_t w_dec = 0;    // [n, d]
  std::size_t b_enc = 0;    // [n]
  std::size_t b_dec = 0;    // [d]
  std::size_t count = 0;    // total floats, padding included

  static ParamLayout make(std::int64_t d_in, std::int64_t n_features);
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
  // k is the number of active latents for Activation::TopK (ignored for ReLU).
  Sae(backend::Backend& backend, std::int64_t d_in, std::int64_t n_features, Activation activation = Activation::Relu,
      std::int64_t k = 0);
  // The SAE a training configuration describes (ReLU for nanda-1l, TopK(k) for topk); zeros.
  Sae(backend::Backend& backend, const SaeConfig& config);

  // Recipe initialisation, identical on every rank, machine and backend for the same seed:
  //  nanda-1l: W_enc ~ U(±sqrt(6/n)), W_dec ~ U(±sqrt(6/d)) then unit rows, biases 0
  //            (torch.nn.init.kaiming_uniform_ on [d, n] and [n, d], as Nanda's AutoEncoder);
  //  topk:     W_encᵀ ~ U(±1/sqrt(d)) (nn.Linear(d, n) default init), W_dec = W_encᵀ with rows
  //            scaled by 1/(‖row‖ + FLT_EPSILON), biases 0 (EleutherAI Sae.__init__); b_dec is
  //            set from the data by the trainer.
  void init(std::uint64_t seed, Recipe recipe);

  SaeTensors to_host() const;
  void from_host(const SaeTensors& tensors);  // InputError when shapes differ

  backend::Backend& backend() const { return *backend_; }
  std::int64_t d_in() const { return layout_.d_in; }
  std::int64_t n_features() const { return layout_.n_features; }
  Activation activation() const { return activation_; }
  std::int64_t k() const { return k_; }
  const ParamLayout& layout() const { return layout_; }

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

 private:
  backend::Backend* backend_;
  ParamLayout layout_;
  Activation activation_;
  std::int64_t k_;
  backend::Buffer<float> params_;
};

// Host copies of a flat parameter-shaped device array (parameters, gradients, Adam moments) in
// the presented layouts, and back.
SaeTensors unpack_tensors(const ParamLayout& layout, const std::vector<float>& flat);
std::vector<float> pack_tensors(const ParamLayout& layout, const SaeTensors& tensors);

}  // namespace coact::sae
