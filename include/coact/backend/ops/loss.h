// Per-row reconstruction residuals of the SAE losses: the gradient of the squared error with
// respect to the reconstruction, and the row's sums the loss and FVU need (in double, four
// interleaved partial sums: a fixed order on every backend).
#pragma once

#include <cstdint>

#include "coact/core/hd.h"

namespace coact::backend::ops {

// Row stats layout shared by Residual and AuxResidual: rows×kRowStats.
inline constexpr int kRowStats = 3;  // ‖xhat − x‖², ‖xc‖², AuxK ‖ehat − e‖²

struct Residual {
  std::int64_t cols;
  const float* xhat;
  const float* x;
  const float* xc;
  float scale;
  float* grad;
  float* row_stats;
  COACT_HD void operator()(std::int64_t r) const {
    const float* xh = xhat + r * cols;
    const float* xr = x + r * cols;
    const float* cr = xc + r * cols;
    float* gr = grad + r * cols;
    double sse[4] = {0, 0, 0, 0}, centered[4] = {0, 0, 0, 0};
    for (std::int64_t c = 0; c < cols; ++c) {
      const float diff = xh[c] - xr[c];
      gr[c] = scale * diff;
      sse[c & 3] += static_cast<double>(diff) * diff;
      centered[c & 3] += static_cast<double>(cr[c]) * cr[c];
    }
    row_stats[r * kRowStats + 0] = static_cast<float>((sse[0] + sse[2]) + (sse[1] + sse[3]));
    row_stats[r * kRowStats + 1] = static_cast<float>((centered[0] + centered[2]) + (centered[1] + centered[3]));
    row_stats[r * kRowStats + 2] = 0.0f;
  }
};

// AuxK (Gao et al. 2024, appendix A.2): the dead latents' reconstruction ehat (no bias) is fit
// to the main residual e = x − xhat, which is a constant here (detached in the references).
struct AuxResidual {
  std::int64_t cols;
  const float* ehat;
  const float* x;
  const float* xhat;
  float scale;
  float* grad;
  float* row_stats;
  COACT_HD void operator()(std::int64_t r) const {
    const float* eh = ehat + r * cols;
    const float* xr = x + r * cols;
    const float* xh = xhat + r * cols;
    float* gr = grad + r * cols;
    double sse[4] = {0, 0, 0, 0};
    for (std::int64_t c = 0; c < cols; ++c) {
      const float diff = eh[c] - (xr[c] - xh[c]);
      gr[c] = scale * diff;
      sse[c & 3] += static_cast<double>(diff) * diff;
    }
    row_stats[r * kRowStats + 2] = static_cast<float>((sse[0] + sse[2]) + (sse[1] + sse[3]));
  }
};

}  // namespace coact::backend::ops
