// The activations of gated MLPs (SwiGLU, GeGLU) and tanh soft-capping, shared by every backend.
#pragma once

#include <cmath>
#include <cstdint>

#include "coact/backend/ops/fast_math.h"
#include "coact/backend/ops/gelu.h"
#include "coact/backend/ops/transformer_params.h"
#include "coact/core/hd.h"

namespace coact::backend::ops {

// x·sigmoid(x) = x / (1 + e^(−x)).
COACT_HD inline float silu(float x) { return x / (1.0f + exp_approx(-x)); }

// out[i] = act(gate[i]) · up[i]. out may be gate or up.
template <Activation Kind>
struct GatedActivation {
  const float* gate;
  const float* up;
  float* out;
  COACT_HD void operator()(std::int64_t i) const {
    const float g = gate[i];
    float a;
    if constexpr (Kind == Activation::Silu) a = silu(g);
    else if constexpr (Kind == Activation::GeluTanh) a = gelu_tanh(g);
    else a = gelu_erf(g);
    out[i] = a * up[i];
  }
};

template <class Launch>
void launch_gated_activation(Activation kind, const float* gate, const float* up, float* out, const Launch& launch) {
  if (kind == Activation::Silu) launch(GatedActivation<Activation::Silu>{gate, up, out});
  else if (kind == Activation::GeluTanh) launch(GatedActivation<Activation::GeluTanh>{gate, up, out});
  else launch(GatedActivation<Activation::GeluErf>{gate, up, out});
}

// x = cap · tanh(x / cap) (Gemma-2's final logit soft-capping; the attention scores' capping
// is part of the attention op).
struct SoftCap {
  float cap;
  float* x;
  COACT_HD void operator()(std::int64_t i) const { x[i] = tanhf(x[i] / cap) * cap; }
};

}  // namespace coact::backend::ops
