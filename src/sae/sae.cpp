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

SaeTensors SaeTensors::zeros(std::int64_t d_in, std::int64_t n_features, const EncoderSpec& spec) {
  SaeTensors t = zeros(d_in, n_features);
  const auto n = static_cast<std::size_t>(n_features);
  if (uses_threshold(spec.kind)) t.threshold.assign(n, 0.0f);
  if (spec.kind == EncoderKind::Gated) {
    t.r_mag.assign(n, 0.0f);
    t.b_mag.assign(n, 0.0f);
  }
  if (spec.input_norm == InputNormKind::CenterScale) t.input_mean.assign(static_cast<std::size_t>(d_in), 0.0f);
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
  if (!threshold.empty()) check("threshold", threshold.size(), n, "[n_features]");
  if (!r_mag.empty()) check("r_mag", r_mag.size(), n, "[n_features]");
  if (!b_mag.empty()) check("b_mag", b_mag.size(), n, "[n_features]");
  if (!input_mean.empty()) check("input_mean", input_mean.size(), d, "[d_in]");
}

void SaeTensors::check_spec(const EncoderSpec& spec, std::int64_t d, std::int64_t n, const char* what) const {
  check_shape(d, n, what);
  const auto require = [&](const char* name, bool present, bool wanted) {
    if (present != wanted)
      throw InputError(str(what, ": a ", to_string(spec.kind), " SAE with input normalisation ",
                           to_string(spec.input_norm), wanted ? " needs " : " has no ", name));
  };
  require("threshold", !threshold.empty(), uses_threshold(spec.kind));
  require("r_mag", !r_mag.empty(), spec.kind == EncoderKind::Gated);
  require("b_mag", !b_mag.empty(), spec.kind == EncoderKind::Gated);
  require("input_mean", !input_mean.empty(), spec.input_norm == InputNormKind::CenterScale);
}

SaeTensors SaeTensors::features(std::int64_t first, std::int64_t count) const {
  COACT_REQUIRE(first >= 0 && count >= 0 && first + count <= n_features, UsageError, "SAE tensors: latents [", first,
                ", ", first + count, ") are not within the ", n_features, " latents");
  SaeTensors t;
  t.d_in = d_in;
  t.n_features = count;
  t.w_enc.resize(static_cast<std::size_t>(d_in * count));
  for (std::int64_t i = 0; i < d_in; ++i)
    std::copy_n(w_enc.begin() + i * n_features + first, count, t.w_enc.begin() + i * count);
  const auto cut = [&](const std::vector<float>& v, std::int64_t width) {
    if (v.empty()) return std::vector<float>();
    return std::vector<float>(v.begin() + first * width, v.begin() + (first + count) * width);
  };
  t.b_enc = cut(b_enc, 1);
  t.w_dec = cut(w_dec, d_in);
  t.b_dec = b_dec;
  t.threshold = cut(threshold, 1);
  t.r_mag = cut(r_mag, 1);
  t.b_mag = cut(b_mag, 1);
  t.input_mean = input_mean;
  return t;
}

SaeTensors SaeTensors::join_features(const std::vector<SaeTensors>& slices) {
  COACT_REQUIRE(!slices.empty(), UsageError, "SAE tensors: nothing to join");
  SaeTensors t;
  t.d_in = slices.front().d_in;
  for (const auto& s : slices) {
    COACT_REQUIRE(s.d_in == t.d_in, InputError, "SAE tensors: slices of d_in ", s.d_in, " and ", t.d_in);
    t.n_features += s.n_features;
  }
  const std::int64_t d = t.d_in, n = t.n_features;
  t.w_enc.resize(static_cast<std::size_t>(d * n));
  std::int64_t first = 0;
  for (const auto& s : slices) {
    for (std::int64_t i = 0; i < d; ++i)
      std::copy_n(s.w_enc.begin() + i * s.n_features, s.n_features, t.w_enc.begin() + i * n + first);
    first += s.n_features;
    const auto append = [](std::vector<float>& to, const std::vector<float>& from) {
      to.insert(to.end(), from.begin(), from.end());
    };
    append(t.b_enc, s.b_enc);
    append(t.w_dec, s.w_dec);
    append(t.threshold, s.threshold);
    append(t.r_mag, s.r_mag);
    append(t.b_mag, s.b_mag);
  }
  t.b_dec = slices.front().b_dec;
  t.input_mean = slices.front().input_mean;
  t.check_shape(d, n, "joined SAE tensors");
  return t;
}

EncoderSpec encoder_spec(const SaeConfig& config) {
  EncoderSpec spec;
  switch (config.recipe) {
    case Recipe::Nanda1L: spec.kind = EncoderKind::Relu; break;
    case Recipe::TopK: spec.kind = EncoderKind::TopK; break;
    case Recipe::BatchTopK: spec.kind = EncoderKind::BatchTopK; break;
    case Recipe::JumpRelu: spec.kind = EncoderKind::JumpRelu; break;
    case Recipe::Matryoshka: {
      spec.kind = EncoderKind::Matryoshka;
      std::vector<std::int64_t> sizes;  // the levels' widths as the groups' sizes
      std::int64_t previous = 0;
      for (const std::int64_t width : matryoshka_widths(config)) {
        sizes.push_back(width - previous);
        previous = width;
      }
      spec.groups = group_text(sizes);
      break;
    }
  }
  if (uses_k(spec.kind)) spec.k = config.k;
  spec.subtract_b_dec = config.subtract_b_dec;
  return spec;
}

ParamLayout ParamLayout::make(std::int64_t d_in, std::int64_t n_features, EncoderKind kind) {
  ParamLayout l;
  l.d_in = d_in;
  l.n_features = n_features;
  const auto nd = static_cast<std::size_t>(d_in * n_features);
  const auto n = static_cast<std::size_t>(n_features);
  l.w_enc_t = 0;
  l.w_dec = aligned(l.w_enc_t + nd);
  l.b_enc = aligned(l.w_dec + nd);
  l.b_dec = aligned(l.b_enc + n);
  std::size_t end = aligned(l.b_dec + static_cast<std::size_t>(d_in));
  l.has_threshold = uses_threshold(kind);
  l.gated = kind == EncoderKind::Gated;
  if (l.has_threshold) {
    l.threshold = end;
    end = aligned(end + n);
  }
  if (l.gated) {
    l.r_mag = end;
    l.b_mag = aligned(l.r_mag + n);
    end = aligned(l.b_mag + n);
  }
  l.count = end;
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
  const auto take = [&](std::size_t offset) { return std::vector<float>(flat.begin() + static_cast<std::ptrdiff_t>(offset),
                                                                       flat.begin() + static_cast<std::ptrdiff_t>(offset + n)); };
  if (layout.has_threshold) t.threshold = take(layout.threshold);
  if (layout.gated) {
    t.r_mag = take(layout.r_mag);
    t.b_mag = take(layout.b_mag);
  }
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
  const auto put = [&](const std::vector<float>& v, bool wanted, std::size_t offset, const char* name) {
    if (v.size() != (wanted ? static_cast<std::size_t>(n) : 0))
      throw InputError(str("SAE tensors: ", name, " has ", v.size(), " values, expected ", wanted ? n : 0));
    std::copy(v.begin(), v.end(), flat.begin() + static_cast<std::ptrdiff_t>(offset));
  };
  put(t.threshold, layout.has_threshold, layout.threshold, "threshold");
  put(t.r_mag, layout.gated, layout.r_mag, "r_mag");
  put(t.b_mag, layout.gated, layout.b_mag, "b_mag");
  return flat;
}

Sae::Sae(backend::Backend& backend, std::int64_t d_in, std::int64_t n_features, const EncoderSpec& spec)
    : Sae(backend, d_in, spec, FeatureShard::whole(n_features)) {}

Sae::Sae(backend::Backend& backend, std::int64_t d_in, const EncoderSpec& spec, const FeatureShard& shard)
    : backend_(&backend), layout_(ParamLayout::make(d_in, shard.count, spec.kind)), spec_(spec), shard_(shard) {
  const std::int64_t n_features = shard.count;
  COACT_REQUIRE(d_in >= 1 && n_features >= 1, UsageError, "SAE shape: d_in ", d_in, " and n_features ", n_features,
                " must be at least 1");
  COACT_REQUIRE(shard.first >= 0 && shard.first + shard.count <= shard.total, UsageError, "SAE shard: latents [",
                shard.first, ", ", shard.first + shard.count, ") are not within the ", shard.total, " latents");
  try {
    validate(spec, shard.total, "SAE encoder");
  } catch (const InputError& e) {
    throw UsageError(e.what());
  }
  params_ = backend::Buffer<float>(backend, layout_.count);
  params_.zero();
  if (layout_.gated) {
    mag_scale_ = backend::Buffer<float>(backend, static_cast<std::size_t>(n_features));
    backend.fill(n_features, 1.0f, mag_scale_.data());  // exp(0)
  }
  if (spec.input_norm == InputNormKind::CenterScale) {
    input_mean_ = backend::Buffer<float>(backend, static_cast<std::size_t>(d_in));
    input_mean_.zero();
  }
}

Sae::Sae(backend::Backend& backend, const SaeConfig& config)
    : Sae(backend, config.d_in, encoder_spec(config), FeatureShard::whole(config.n_features)) {}

Sae::Sae(backend::Backend& backend, const SaeConfig& config, const FeatureShard& shard)
    : Sae(backend, config.d_in, encoder_spec(config), shard) {
  COACT_REQUIRE(shard.total == config.n_features, UsageError, "SAE shard of ", shard.total,
                " latents for a configuration of ", config.n_features);
}

backend::InputNorm Sae::input_norm() const {
  backend::InputNorm norm;
  switch (spec_.input_norm) {
    case InputNormKind::None: norm.kind = backend::InputNorm::Kind::None; break;
    case InputNormKind::Scale:
    case InputNormKind::CenterScale: norm.kind = backend::InputNorm::Kind::Scale; break;
    case InputNormKind::ConstantNorm: norm.kind = backend::InputNorm::Kind::ConstantNorm; break;
    case InputNormKind::LayerNorm: norm.kind = backend::InputNorm::Kind::LayerNorm; break;
  }
  norm.scale = static_cast<float>(spec_.input_scale);
  norm.mean = spec_.input_norm == InputNormKind::CenterScale ? input_mean_.data() : nullptr;
  return norm;
}

void Sae::set_input_normalisation(InputNormKind kind, double scale, const std::vector<float>& mean) {
  EncoderSpec spec = spec_;
  spec.input_norm = kind;
  spec.input_scale = kind == InputNormKind::Scale || kind == InputNormKind::CenterScale ? scale : 1.0;
  validate(spec, n_features(), "SAE input normalisation");
  const bool centred = kind == InputNormKind::CenterScale;
  COACT_REQUIRE(mean.size() == (centred ? static_cast<std::size_t>(d_in()) : 0), InputError,
                "SAE input normalisation ", to_string(kind), ": mean has ", mean.size(), " values, expected ",
                centred ? d_in() : 0);
  spec_ = spec;
  input_mean_ = backend::Buffer<float>();
  if (centred) {
    input_mean_ = backend::Buffer<float>(*backend_, mean.size());
    input_mean_.copy_from_host(mean);
  }
}

void Sae::init(std::uint64_t seed, Recipe recipe, double threshold_init) {
  const std::int64_t d = d_in(), n = n_features(), total = shard_.total;
  params_.zero();
  const std::uint64_t key = mix_seed(seed, kInitTag);
  // W_enc presented [d, N] (N the whole dictionary): stored row j (latent first + j), column i
  // takes flat index i·N + first + j; W_dec [N, d] row j column i takes (first + j)·d + i.
  backend::UniformRowsParams enc{key, kEncoderStream, 0.0, 1, total, shard_.first};
  if (recipe == Recipe::Nanda1L) {
    enc.bound = std::sqrt(6.0 / static_cast<double>(total));  // kaiming_uniform_: gain √2, fan_in = size(1) = n
    backend_->uniform_rows(n, d, nullptr, enc, w_enc_t());
    const backend::UniformRowsParams dec{key, kDecoderStream, std::sqrt(6.0 / static_cast<double>(d)), d, 1,
                                         shard_.first * d};
    backend_->uniform_rows(n, d, nullptr, dec, w_dec());
    backend_->normalize_rows(n, d, nullptr, 0.0f, w_dec());  // W_dec / W_dec.norm(dim=-1): no eps
  } else {
    enc.bound = 1.0 / std::sqrt(static_cast<double>(d));  // nn.Linear: kaiming_uniform_(a=√5), fan_in = d
    backend_->uniform_rows(n, d, nullptr, enc, w_enc_t());
    backend_->copy_bytes(w_dec(), w_enc_t(), static_cast<std::size_t>(n * d) * sizeof(float),
                         backend::CopyKind::DeviceToDevice);
    backend_->normalize_rows(n, d, nullptr, FLT_EPSILON, w_dec());  // set_decoder_norm_to_unit_norm
  }
  if (layout_.has_threshold) backend_->fill(n, static_cast<float>(threshold_init), threshold());
}

SaeTensors Sae::to_host() const {
  SaeTensors t = unpack_tensors(layout_, params_.to_host());
  if (input_mean_.size() > 0) t.input_mean = input_mean_.to_host();
  return t;
}

void Sae::from_host(const SaeTensors& tensors) {
  tensors.check_spec(spec_, d_in(), n_features(), "SAE parameters");
  params_.copy_from_host(pack_tensors(layout_, tensors));
  if (layout_.gated) {
    std::vector<float> scale(tensors.r_mag.size());
    for (std::size_t j = 0; j < scale.size(); ++j) scale[j] = std::exp(tensors.r_mag[j]);
    mag_scale_.copy_from_host(scale);
  }
  if (input_mean_.size() > 0) input_mean_.copy_from_host(tensors.input_mean);
}

}  // namespace coact::sae
