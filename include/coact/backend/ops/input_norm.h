// An SAE's input normalisation (InputNorm in sparse.h) and its inverse on reconstructions,
// shared by every backend: one item per row. The per-row statistics go to row_stats (rows×3:
// m, f, g) so the inverse can undo exactly the transform the row received.
#pragma once

#include <cmath>
#include <cstdint>

#include "coact/backend/sparse.h"
#include "coact/core/hd.h"

namespace coact::backend::ops {

inline constexpr int kInputNormStats = 3;  // m_r, f_r, g_r per row

struct NormalizeInputs {
  std::int64_t cols;
  InputNorm norm;
  const float* in;
  float* out;
  float* row_stats;
  COACT_HD void operator()(std::int64_t r) const {
    const float* x = in + r * cols;
    float* y = out + r * cols;
    const float* mean = norm.mean;
    float m = 0.0f, f = 1.0f, g = 1.0f;
    if (norm.kind == InputNorm::Kind::Scale) {
      f = norm.scale;
      g = 1.0f / norm.scale;
    } else if (norm.kind == InputNorm::Kind::ConstantNorm) {
      double squares = 0.0;
      for (std::int64_t c = 0; c < cols; ++c) {
        const double v = mean ? x[c] - mean[c] : x[c];
        squares += v * v;
      }
      const float length = static_cast<float>(sqrt(squares));
      f = static_cast<float>(sqrt(static_cast<double>(cols))) / length;
      g = length / static_cast<float>(sqrt(static_cast<double>(cols)));
    } else if (norm.kind == InputNorm::Kind::LayerNorm) {
      double sum = 0.0;
      for (std::int64_t c = 0; c < cols; ++c) sum += mean ? x[c] - mean[c] : x[c];
      m = static_cast<float>(sum / static_cast<double>(cols));
      double squares = 0.0;
      for (std::int64_t c = 0; c < cols; ++c) {
        const float v = (mean ? x[c] - mean[c] : x[c]) - m;
        squares += static_cast<double>(v) * v;
      }
      const float deviation = cols > 1 ? static_cast<float>(sqrt(squares / static_cast<double>(cols - 1))) : 0.0f;
      f = 1.0f / (deviation + norm.eps);
      g = deviation;
    }
    for (std::int64_t c = 0; c < cols; ++c) {
      const float v = mean ? x[c] - mean[c] : x[c];
      y[c] = norm.kind == InputNorm::Kind::LayerNorm ? (v - m) * f : v * f;
    }
    row_stats[r * kInputNormStats] = m;
    row_stats[r * kInputNormStats + 1] = f;
    row_stats[r * kInputNormStats + 2] = g;
  }
};

struct DenormalizeOutputs {
  std::int64_t cols;
  InputNorm norm;
  const float* row_stats;
  float* inout;
  COACT_HD void operator()(std::int64_t r) const {
    float* y = inout + r * cols;
    const float m = row_stats[r * kInputNormStats], g = row_stats[r * kInputNormStats + 2];
    for (std::int64_t c = 0; c < cols; ++c) y[c] = y[c] * g + m + (norm.mean ? norm.mean[c] : 0.0f);
  }
};

}  // namespace coact::backend::ops
