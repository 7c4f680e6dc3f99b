// Row reductions with a fixed summation order, shared by every backend. A plain `s += a[i]·b[i]`
// loop is not vectorised by the compiler (it may not reassociate floats), and a parallel or
// vectorised sum whose order depends on the machine would make results depend on it. These
// helpers sum in kLanes interleaved partial sums combined pairwise: vectorisable on the cpu,
// one thread's loop on the GPU, and the same order everywhere.
#pragma once

#include <cstdint>

#include "coact/core/hd.h"

namespace coact::backend::ops {

inline constexpr int kLanes = 16;

// ⟨a, b⟩ in float with a fixed order.
COACT_HD inline float dot_lanes(const float* a, const float* b, std::int64_t n) {
  float acc[kLanes] = {};
  std::int64_t i = 0;
  for (; i + kLanes <= n; i += kLanes)
    for (int l = 0; l < kLanes; ++l) acc[l] += a[i + l] * b[i + l];
  for (int l = 0; i + l < n; ++l) acc[l] += a[i + l] * b[i + l];
  for (int width = kLanes / 2; width > 0; width /= 2)
    for (int l = 0; l < width; ++l) acc[l] += acc[l + width];
  return acc[0];
}

// ⟨a, b⟩ in double. Each product of two floats is exact in double, so a fused multiply-add and a
// separate multiply and add give the same bits: the result is identical on every backend and
// compiler, which row normalisation of the initial weights relies on.
COACT_HD inline double dot_exact_order(const float* a, const float* b, std::int64_t n) {
  constexpr int lanes = 4;
  double acc[lanes] = {};
  std::int64_t i = 0;
  for (; i + lanes <= n; i += lanes)
    for (int l = 0; l < lanes; ++l) acc[l] += static_cast<double>(a[i + l]) * static_cast<double>(b[i + l]);
  for (int l = 0; i + l < n; ++l) acc[l] += static_cast<double>(a[i + l]) * static_cast<double>(b[i + l]);
  return (acc[0] + acc[2]) + (acc[1] + acc[3]);
}

}  // namespace coact::backend::ops
