// GELU of a pre-activation plus an optional bias (the MLP's b_in), shared by every backend.
#pragma once

#include <cstdint>

#include "coact/backend/ops/fast_math.h"
#include "coact/backend/ops/transformer_params.h"
#include "coact/core/hd.h"

namespace coact::backend::ops {

// 0.5·x·(1 + erf(x/√2)). 1 + erf(x/√2) is 2 − erfc(|x|/√2) for x >= 0 and erfc(|x|/√2) for
// x < 0, so the negative side, where GELU is small, keeps its relative accuracy.
COACT_HD inline float gelu_erf(float x) {
  const float e = erfc_nonnegative((x < 0.0f ? -x : x) * 0.70710678118654752f);
  return 0.5f * x * (x < 0.0f ? e : 2.0f - e);
}

// 0.5·x·(1 + tanh(u)) with u = √(2/π)(x + 0.044715x³), written as x / (1 + e^(−2u)): the same
// function, one exponential, no cancellation.
COACT_HD inline float gelu_tanh(float x) {
  const float u = 0.79788456080286536f * (x + 0.044715f * x * x * x);
  return x / (1.0f + exp_approx(-2.0f * u));
}

// out[r, c] = gelu(in[r, c] + bias[c]) (HasBias) or gelu(in[r, c]). in == out is allowed. The
// bias is a template choice, not a null test per element, so the cpu loop has no branch and
// vectorises.
template <GeluKind Kind, bool HasBias>
struct BiasGelu {
  std::int64_t cols;
  const float* bias;
  const float* in;
  float* out;
  COACT_HD void operator()(std::int64_t r, std::int64_t c) const {
    const std::int64_t i = r * cols + c;
    float x = in[i];
    if constexpr (HasBias) x += bias[c];
    if constexpr (Kind == GeluKind::Erf) out[i] = gelu_erf(x);
    else out[i] = gelu_tanh(x);
  }
  COACT_HD void operator()(std::int64_t i) const { (*this)(i / cols, i % cols); }
};

// Calls launch(functor) with the BiasGelu for a run-time kind and bias (null: none).
template <class Launch>
void launch_bias_gelu(GeluKind kind, std::int64_t cols, const float* bias, const float* in, float* out,
                      const Launch& launch) {
  if (kind == GeluKind::Erf) {
    if (bias) launch(BiasGelu<GeluKind::Erf, true>{cols, bias, in, out});
    else launch(BiasGelu<GeluKind::Erf, false>{cols, bias, in, out});
  } else {
    if (bias) launch(BiasGelu<GeluKind::Tanh, true>{cols, bias, in, out});
    else launch(BiasGelu<GeluKind::Tanh, false>{cols, bias, in, out});
  }
}

}  // namespace coact::backend::ops
