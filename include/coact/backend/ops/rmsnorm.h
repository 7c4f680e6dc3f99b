// RMS normalisation of each row (Llama, Mistral, Qwen2, Gemma), shared by every backend.
#pragma once

#include <cmath>
#include <cstdint>

#include "coact/backend/ops/row_lanes.h"
#include "coact/core/hd.h"

namespace coact::backend::ops {

// out = x / sqrt(mean(x²) + eps) · weight, as Hugging Face's LlamaRMSNorm computes it in float32
// (Gemma's (1 + w) is folded into `weight` when the weights are read). weight may be null (no
// scale). The mean of squares is accumulated in double; in == out is allowed.
struct RmsNormRows {
  std::int64_t cols;
  float eps;
  const float* in;
  const float* weight;
  float* out;
  COACT_HD void operator()(std::int64_t r) const {
    const float* x = in + r * cols;
    float* y = out + r * cols;
    const double mean_square = centered_squares_lanes_double(x, 0.0, cols) / static_cast<double>(cols);
    const double inverse = 1.0 / sqrt(mean_square + static_cast<double>(eps));
    if (weight) {
      for (std::int64_t c = 0; c < cols; ++c) y[c] = static_cast<float>(x[c] * inverse) * weight[c];
    } else {
      for (std::int64_t c = 0; c < cols; ++c) y[c] = static_cast<float>(x[c] * inverse);
    }
  }
};

// out[r, c] = in[r, c] · weight[c] + bias[c]: a norm's learned scale and shift applied on their
// own, after its normalised value was recorded (TransformerLens's ln.hook_normalized precedes
// them). Either may be null. in == out is allowed.
struct AffineColumns {
  std::int64_t cols;
  const float* weight;
  const float* bias;
  const float* in;
  float* out;
  COACT_HD void operator()(std::int64_t r, std::int64_t c) const {
    const std::int64_t i = r * cols + c;
    float v = in[i];
    if (weight) v *= weight[c];
    if (bias) v += bias[c];
    out[i] = v;
  }
  COACT_HD void operator()(std::int64_t i) const { (*this)(i / cols, i % cols); }
};

}  // namespace coact::backend::ops
