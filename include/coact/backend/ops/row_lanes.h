// Row reductions for the transformer ops, in kLanes interleaved partial sums combined pairwise
// (the order of coact/backend/ops/lanes.h): the compiler vectorises them on the cpu, a GPU
// thread runs the same loop, and the order never depends on the machine.
#pragma once

#include <cstdint>

#include "coact/backend/ops/lanes.h"
#include "coact/core/hd.h"

namespace coact::backend::ops {

// Σ term(i) over i < n in Lanes partial sums of type Acc, combined pairwise.
template <class Acc, int Lanes, class Term>
COACT_HD inline Acc lane_sum(std::int64_t n, const Term& term) {
  Acc acc[Lanes] = {};
  std::int64_t i = 0;
  for (; i + Lanes <= n; i += Lanes)
    for (int l = 0; l < Lanes; ++l) acc[l] += term(i + l);
  for (int l = 0; i + l < n; ++l) acc[l] += term(i + l);
  for (int width = Lanes / 2; width > 0; width /= 2)
    for (int l = 0; l < width; ++l) acc[l] += acc[l + width];
  return acc[0];
}

// Σ x[i].
COACT_HD inline float sum_lanes(const float* x, std::int64_t n) {
  return lane_sum<float, kLanes>(n, [x](std::int64_t i) { return x[i]; });
}

// Σ x[i] and Σ (x[i] − center)² in double, for the layer norm's mean and variance: a residual
// stream can carry a large common offset, and a float sum would lose its small spread.
inline constexpr int kDoubleLanes = 8;

COACT_HD inline double sum_lanes_double(const float* x, std::int64_t n) {
  return lane_sum<double, kDoubleLanes>(n, [x](std::int64_t i) { return static_cast<double>(x[i]); });
}

COACT_HD inline double centered_squares_lanes_double(const float* x, double center, std::int64_t n) {
  return lane_sum<double, kDoubleLanes>(n, [x, center](std::int64_t i) {
    const double d = x[i] - center;
    return d * d;
  });
}

// max x[i] (n >= 1). Written as lanes because a plain max loop is not vectorised either.
COACT_HD inline float max_lanes(const float* x, std::int64_t n) {
  float acc[kLanes];
  for (int l = 0; l < kLanes; ++l) acc[l] = x[0];
  std::int64_t i = 0;
  for (; i + kLanes <= n; i += kLanes)
    for (int l = 0; l < kLanes; ++l) acc[l] = x[i + l] > acc[l] ? x[i + l] : acc[l];
  for (int l = 0; i + l < n; ++l) acc[l] = x[i + l] > acc[l] ? x[i + l] : acc[l];
  for (int width = kLanes / 2; width > 0; width /= 2)
    for (int l = 0; l < width; ++l) acc[l] = acc[l + width] > acc[l] ? acc[l + width] : acc[l];
  return acc[0];
}

}  // namespace coact::backend::ops
