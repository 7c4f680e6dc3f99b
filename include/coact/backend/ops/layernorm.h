// Layer normalisation of each row, shared by every backend: one item per row.
#pragma once

#include <cmath>
#include <cstdint>

#include "coact/backend/ops/row_lanes.h"
#include "coact/core/hd.h"

namespace coact::backend::ops {

// out = (x − mean) / sqrt(var + eps) · weight + bias with the population variance, as
// torch.nn.LayerNorm and TransformerLens's LayerNorm compute it. weight and bias may be null
// (TransformerLens "LNPre": the weights are folded into the next layer). in == out is allowed.
struct LayerNormRows {
  std::int64_t cols;
  float eps;
  const float* in;
  const float* weight;
  const float* bias;
  float* out;
  COACT_HD void operator()(std::int64_t r) const {
    const float* x = in + r * cols;
    float* y = out + r * cols;
    // Moments and centring in double (see row_lanes.h); the scale and shift in float.
    const double mean = sum_lanes_double(x, cols) / static_cast<double>(cols);
    const double variance = centered_squares_lanes_double(x, mean, cols) / static_cast<double>(cols);
    const double inverse = 1.0 / sqrt(variance + static_cast<double>(eps));
    // Branches outside the loops, so each loop stays a plain vectorisable body.
    if (weight && bias) {
      for (std::int64_t c = 0; c < cols; ++c) y[c] = static_cast<float>((x[c] - mean) * inverse) * weight[c] + bias[c];
    } else if (weight) {
      for (std::int64_t c = 0; c < cols; ++c) y[c] = static_cast<float>((x[c] - mean) * inverse) * weight[c];
    } else {
      for (std::int64_t c = 0; c < cols; ++c) y[c] = static_cast<float>((x[c] - mean) * inverse);
    }
  }
};

}  // namespace coact::backend::ops
