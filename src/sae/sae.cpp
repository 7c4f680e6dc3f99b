#include "coact/sae/sae.h"

#include <algorithm>
#include <cfloat>
#include <cmath>

#include "coact/core/errors.h"
#include "coact/core/memory.h"
#include "coact/core/rng.h"

namespace coact::sae {
namespace {

constexpr std::size_t kAlignFloats = 16;  // 64 bytes

std::size_t aligned(std::size_t offset) { return (offset + kAlignFloats - 1) / kAlignFloats * kAlignFloats; }

}  // namespace

SaeTensors SaeTensors::zeros(std::int64_t d_in, std::int64_t n_features) {
  SaeTensors t;
  t.d_in = d_in;
  t.n_features = n_features;
  const AllocationPurpose weights{"SAE weights (d_in x n_features)", "--n-features"};
  t.w_enc = allocate_vector<float>(weights, static_cast<std::size_t>(d_in * n_features));
  t.b_enc.assign(static_cast<std::size_t>(n_features), 0.0f);
  t.w_dec = allocate_vector<float>(weights, static_cast<std::size_t>(n_features * d_in));
  t.b_dec.assign(static_cast<std::size_t>(d_in), 0.0f);
  return t;
}

void SaeTensors::check_shape(std::int64_t d, std::int64_t n, const char* what) const {
  const auto check = [&](const char* name, std::size_t got, std::int64_t want, const char* shape) {
    if (got != static_cast<std::size_t>(want))
      throw InputError(str(what, ": ", name, " has ", got, " values, expected ", shape, " = ", want, " (d_in ", d,
                           ", n_features ", n, ")"));
  };
  check("W_enc", w_enc.size(), d * n, "[d_in, n_features]");
  check("b_enc", b_enc.size(), n, "[n_features]");
  check("W_dec", w_dec.size(), n * d, "[n_features, d_in]");
  check("b_dec", b_dec.size(), d, "[d_in]");
}

ParamLayout ParamLayout::make(std::int64_t d_in, std::int64_t n_features) {
  ParamLayout l;
  l.d_in = d_in;
  l.n_features = n_features;
  const auto nd = static_cast<std::size_t>(d_in * n_features);
  l.w_enc_t = 0;
  l.w_dec = aligned(l.w_enc_t + nd);
  l.b_enc = aligned(l.w_dec + nd);
  l.b_dec = aligned(l.b_enc + static_cast<std::size_t>(n_features));
  l.count = aligned(l.b_dec + static_cast<std::size_t>(d_in));
  return l;
}

SaeTensors unpack_tensors(const ParamLayout& layout, const std::vector<float>& flat) {
  const std::int64_t d = layout.d_in, n = layout.n_features;
  SaeTensors t = SaeTensors::zeros(d, n);
  const float* enc_t = flat.data() + layout.w_enc_t;
  for (std::int64_t j = 0; j < n; ++j)  // stored [n, d] -> presented [d, n]
    for (std::int64_t i = 0; i < d; ++i) t.w_enc[i * n + j] = enc_t[j * d + i];
  std::copy_n(flat.data() + layout.w_dec, n * d, t.w_dec.begin());
  std::copy_n(flat.data() + layout.b_enc, n, t.b_enc.begin());
  std::copy_n(flat.data() + layout.b_dec, d, t.b_dec.begin());
  return t;
}

std::vector<float> pack_tensors(const ParamLayout& layout, const SaeTensors& t) {
  const std::int64_t d = layout.d_in, n = layout.n_features;
  t.check_shape(d, n, "SAE tensors");
  std::vector<float> flat(layout.count, 0.0f);
  float* enc_t = flat.data() + layout.w_enc_t;
  for (std::int64_t i = 0; i < d; ++i)
    for (std::int64_t j = 0; j < n; ++j) enc_t[j * d + i] = t.w_enc[i * n + j];
  std::copy(t.w_dec.begin(), t.w_dec.end(), flat.begin() + static_cast<std::ptrdiff_t>(layout.w_dec));
  std::copy(t.b_enc.begin(), t.b_enc.end(), flat.begin() + static_cast<std::ptrdiff_t>(layout.b_enc));
  std::copy(t.b_dec.begin(), t.b_dec.end(), flat.begin() + static_cast<std::ptrdiff_t>(layout.b_dec));
  return flat;
}

Sae::Sae(backend::Backend& backend, std::int64_t d_in, std::int64_t n_features, Activation activation, std::int64_t k)
    : backend_(&backend), layout_(ParamLayout::make(d_in, n_features)), activation_(activation), k_(k) {
  COACT_REQUIRE(d_in >= 1 && n_features >= 1, UsageError, "SAE shape: d_in ", d_in, " and n_features ", n_features,
                " must be at least 1");
  COACT_REQUIRE(activation == Activation::Relu || (k >= 1 && k <= n_features), UsageError, "SAE: k = ", k,
                " must be in [1, n_features = ", n_features, "] for a TopK SAE");
  params_ = backend::Buffer<float>(backend, layout_.count);
  params_.zero();
}

Sae::Sae(backend::Backend& backend, const SaeConfig& config)
    : Sae(backend, config.d_in, config.n_features,
          config.recipe == Recipe::TopK ? Activation::TopK : Activation::Relu, config.k) {}

void Sae::init(std::uint64_t seed, Recipe recipe) {
  const std::int64_t d = d_in(), n = n_features();
  params_.zero();
  const std::uint64_t key = mix_seed(seed, kInitTag);
  // W_enc presented [d, n]: stored row j (feature), column i takes flat index i·n + j.
  backend::UniformRowsParams enc{key, kEncoderStream, 0.0, 1, n};
  if (recipe == Recipe::Nanda1L) {
    enc.bound = std::sqrt(6.0 / static_cast<double>(n));  // kaiming_uniform_: gain √2, fan_in = size(1) = n
    backend_->uniform_rows(n, d, nullptr, enc, w_enc_t());
    const backend::UniformRowsParams dec{key, kDecoderStream, std::sqrt(6.0 / static_cast<double>(d)), d, 1};
    backend_->uniform_rows(n, d, nullptr, dec, w_dec());
    backend_->normalize_rows(n, d, nullptr, 0.0f, w_dec());  // W_dec / W_dec.norm(dim=-1): no eps
  } else {
    enc.bound = 1.0 / std::sqrt(static_cast<double>(d));  // nn.Linear: kaiming_uniform_(a=√5), fan_in = d
    backend_->uniform_rows(n, d, nullptr, enc, w_enc_t());
    backend_->copy_bytes(w_dec(), w_enc_t(), static_cast<std::size_t>(n * d) * sizeof(float),
                         backend::CopyKind::DeviceToDevice);
    backend_->normalize_rows(n, d, nullptr, FLT_EPSILON, w_dec());  // set_decoder_norm_to_unit_norm
  }
}

SaeTensors Sae::to_host() const { return unpack_tensors(layout_, params_.to_host()); }

void Sae::from_host(const SaeTensors& tensors) {
  tensors.check_shape(d_in(), n_features(), "SAE parameters");
  params_.copy_from_host(pack_tensors(layout_, tensors));
}

}  // namespace coact::sae
