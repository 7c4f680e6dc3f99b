// The optimiser step and the decoder-row constraint, shared by every backend.
#pragma once

#include <cmath>
#include <cstdint>

#include "coact/backend/ops/lanes.h"
#include "coact/backend/sparse.h"
#include "coact/core/hd.h"

namespace coact::backend::ops {

// torch.optim.Adam's single-tensor arithmetic, operation for operation (exp_avg.lerp_,
// exp_avg_sq.mul_().addcmul_(), denom = sqrt / bias_correction2_sqrt + eps, addcdiv_), so a
// step matches PyTorch's to the last bits where the compiler does not fuse.
struct AdamUpdate {
  AdamParams p;
  const float* grad;
  float* param;
  float* m;
  float* v;
  COACT_HD void operator()(std::int64_t i) const {
    const float g = grad[i] * p.grad_scale;
    const float mi = m[i] + p.one_minus_beta1 * (g - m[i]);
    const float vi = v[i] * p.beta2 + (p.one_minus_beta2 * g) * g;
    m[i] = mi;
    v[i] = vi;
    const float denom = sqrtf(vi) / p.bias_correction2_sqrt + p.eps;
    param[i] = param[i] + (-p.step_size) * (mi / denom);
  }
};

// g −= (⟨g, w⟩ / ‖w‖²) w per row: what remains of the decoder gradient after removing its
// component along the (normalised) row, as Nanda's make_decoder_weights_and_grad_unit_norm.
// The coefficient is formed in double from exact products (see dot_exact_order).
struct ProjectOutRows {
  std::int64_t cols;
  const float* w;
  float* g;
  COACT_HD void operator()(std::int64_t r) const {
    const float* wr = w + r * cols;
    float* gr = g + r * cols;
    const double norm2 = dot_exact_order(wr, wr, cols);
    if (!(norm2 > 0.0)) return;  // a zero row has no direction to project out
    const double coef = dot_exact_order(gr, wr, cols) / norm2;
    for (std::int64_t c = 0; c < cols; ++c) gr[c] = static_cast<float>(gr[c] - coef * wr[c]);
  }
};

// w /= ‖w‖ + eps for one row, in double (identical on every backend: see dot_exact_order).
struct NormalizeRows {
  std::int64_t cols;
  const std::int32_t* row_list;
  float eps;
  float* w;
  COACT_HD void operator()(std::int64_t i) const {
    const std::int64_t r = row_list ? row_list[i] : i;
    float* wr = w + r * cols;
    const double norm = sqrt(dot_exact_order(wr, wr, cols)) + static_cast<double>(eps);
    for (std::int64_t c = 0; c < cols; ++c) wr[c] = static_cast<float>(wr[c] / norm);
  }
};

}  // namespace coact::backend::ops
