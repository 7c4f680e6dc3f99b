// Two synthetic "SAE decoders" trained on the same data, for the matching benchmark: W1 has
// n random unit rows; in W2 a fraction `shared` of the rows are a W1 row at cosine
// c ~ U(cos_low, cos_high) (c·w + sqrt(1 − c²)·noise, noise a unit vector orthogonal to w),
// placed at a random permutation of positions, and the other rows are fresh random unit
// vectors (cosine ~ N(0, 1/d) with everything). Deterministic in the seed (CounterRng).
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <numeric>
#include <vector>

#include "coact/core/rng.h"

namespace coact::bench {

struct SyntheticDecoders {
  std::int64_t n = 0, d = 0;
  std::vector<float> w1, w2;                // n×d each, unit rows
  std::vector<std::int64_t> partner_of_w1;  // W2 row planted from W1 row i, or -1
  std::int64_t shared = 0;
};

inline void random_unit_row(std::uint64_t seed, std::uint64_t stream, std::int64_t d, float* out) {
  CounterRng rng(seed, stream);
  double squares = 0;
  for (std::int64_t k = 0; k < d; ++k) {
    out[k] = static_cast<float>(rng.normal());
    squares += static_cast<double>(out[k]) * out[k];
  }
  const float scale = static_cast<float>(1.0 / std::sqrt(squares));
  for (std::int64_t k = 0; k < d; ++k) out[k] *= scale;
}

inline SyntheticDecoders make_synthetic_decoders(std::int64_t n, std::int64_t d, double shared_fraction,
                                                 std::uint64_t seed, double cos_low = 0.70, double cos_high = 0.95) {
  SyntheticDecoders s;
  s.n = n;
  s.d = d;
  s.w1.resize(static_cast<std::size_t>(n * d));
  s.w2.resize(static_cast<std::size_t>(n * d));
  s.shared = static_cast<std::int64_t>(std::llround(shared_fraction * static_cast<double>(n)));
  const std::uint64_t w1_seed = mix_seed(seed, 1), w2_seed = mix_seed(seed, 2), noise_seed = mix_seed(seed, 3);

  // Positions of the planted rows in W2: a Fisher–Yates permutation.
  std::vector<std::int64_t> position(static_cast<std::size_t>(n));
  std::iota(position.begin(), position.end(), 0);
  CounterRng shuffle(mix_seed(seed, 4), 0);
  for (std::int64_t i = n - 1; i > 0; --i) {
    std::swap(position[static_cast<std::size_t>(i)],
              position[static_cast<std::size_t>(shuffle.below(static_cast<std::uint64_t>(i + 1)))]);
  }
  s.partner_of_w1.assign(static_cast<std::size_t>(n), -1);
  for (std::int64_t i = 0; i < s.shared; ++i) s.partner_of_w1[static_cast<std::size_t>(i)] = position[static_cast<std::size_t>(i)];

#pragma omp parallel for schedule(dynamic, 64)
  for (std::int64_t i = 0; i < n; ++i) {
    float* w = s.w1.data() + i * d;
    random_unit_row(w1_seed, static_cast<std::uint64_t>(i), d, w);
    if (i >= s.shared) continue;
    float* target = s.w2.data() + position[static_cast<std::size_t>(i)] * d;
    random_unit_row(noise_seed, static_cast<std::uint64_t>(i), d, target);
    // noise ⟂ w, unit; then c·w + sqrt(1 − c²)·noise has cosine c with w.
    double along = 0;
    for (std::int64_t k = 0; k < d; ++k) along += static_cast<double>(target[k]) * w[k];
    double squares = 0;
    for (std::int64_t k = 0; k < d; ++k) {
      target[k] = static_cast<float>(target[k] - along * w[k]);
      squares += static_cast<double>(target[k]) * target[k];
    }
    CounterRng cosine_rng(mix_seed(seed, 5), static_cast<std::uint64_t>(i));
    const double c = cos_low + (cos_high - cos_low) * cosine_rng.uniform_double();
    const double noise_scale = std::sqrt(1.0 - c * c) / std::sqrt(squares);
    for (std::int64_t k = 0; k < d; ++k) target[k] = static_cast<float>(c * w[k] + noise_scale * target[k]);
  }
  // The remaining W2 rows are fresh random unit vectors.
#pragma omp parallel for schedule(dynamic, 64)
  for (std::int64_t r = s.shared; r < n; ++r) {
    const std::int64_t row = position[static_cast<std::size_t>(r)];
    random_unit_row(w2_seed, static_cast<std::uint64_t>(row), d, s.w2.data() + row * d);
  }
  return s;
}

}  // namespace coact::bench
