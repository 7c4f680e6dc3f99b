// Two synthetic "SAE decoders" trained on the same data, for the matching benchmark: W1 has
// n random unit rows; in W2 a fraction `shared` of the rows are a W1 row at cosine
// c ~ U(cos_low, cos_high) (c·w + sqrt(1 − c²)·noise, noise a unit vector orthogonal to w),
// placed at a random permutation of positions, and the other rows are fresh random unit
// vectors (cosine ~ N(0, 1/d) with everything). Deterministic in the seed (CounterRng), row by
// row: PlantedDecoderRows makes any range of rows alone.
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

// The same decoders, a range of rows at a time (each rank of a distributed benchmark makes
// only its share): row i of W1 and row p of W2 depend only on the seed and their index.
class PlantedDecoderRows {
 public:
  PlantedDecoderRows(std::int64_t n, std::int64_t d, double shared_fraction, std::uint64_t seed,
                     double cos_low = 0.70, double cos_high = 0.95)
      : n_(n), d_(d), seed_(seed), cos_low_(cos_low), cos_high_(cos_high),
        shared_(static_cast<std::int64_t>(std::llround(shared_fraction * static_cast<double>(n)))),
        w1_seed_(mix_seed(seed, 1)), w2_seed_(mix_seed(seed, 2)), noise_seed_(mix_seed(seed, 3)),
        position_(static_cast<std::size_t>(n)), source_(static_cast<std::size_t>(n)) {
    // Positions of the planted rows in W2: a Fisher–Yates permutation.
    std::iota(position_.begin(), position_.end(), 0);
    CounterRng shuffle(mix_seed(seed, 4), 0);
    for (std::int64_t i = n - 1; i > 0; --i) {
      std::swap(position_[static_cast<std::size_t>(i)],
                position_[static_cast<std::size_t>(shuffle.below(static_cast<std::uint64_t>(i + 1)))]);
    }
    for (std::int64_t r = 0; r < n; ++r) source_[static_cast<std::size_t>(position_[static_cast<std::size_t>(r)])] = r;
  }
  std::int64_t shared() const { return shared_; }
  // W2 row planted from W1 row i, or −1.
  std::int64_t partner_of_w1(std::int64_t i) const { return i < shared_ ? position_[static_cast<std::size_t>(i)] : -1; }

  // Rows [begin, end) of W1 / W2 into out ((end − begin) × d).
  void w1_rows(std::int64_t begin, std::int64_t end, float* out) const {
#pragma omp parallel for schedule(dynamic, 64)
    for (std::int64_t i = begin; i < end; ++i) random_unit_row(w1_seed_, static_cast<std::uint64_t>(i), d_, out + (i - begin) * d_);
  }
  void w2_rows(std::int64_t begin, std::int64_t end, float* out) const {
#pragma omp parallel
    {
      std::vector<float> w(static_cast<std::size_t>(d_));
#pragma omp for schedule(dynamic, 64)
      for (std::int64_t row = begin; row < end; ++row) {
        float* target = out + (row - begin) * d_;
        const std::int64_t r = source_[static_cast<std::size_t>(row)];
        if (r >= shared_) {
          random_unit_row(w2_seed_, static_cast<std::uint64_t>(row), d_, target);
          continue;
        }
        random_unit_row(w1_seed_, static_cast<std::uint64_t>(r), d_, w.data());
        planted_row(r, w.data(), target);
      }
    }
  }

 private:
  // noise ⟂ w, unit; then c·w + sqrt(1 − c²)·noise has cosine c with w.
  void planted_row(std::int64_t i, const float* w, float* target) const {
    random_unit_row(noise_seed_, static_cast<std::uint64_t>(i), d_, target);
    double along = 0;
    for (std::int64_t k = 0; k < d_; ++k) along += static_cast<double>(target[k]) * w[k];
    double squares = 0;
    for (std::int64_t k = 0; k < d_; ++k) {
      target[k] = static_cast<float>(target[k] - along * w[k]);
      squares += static_cast<double>(target[k]) * target[k];
    }
    CounterRng cosine_rng(mix_seed(seed_, 5), static_cast<std::uint64_t>(i));
    const double c = cos_low_ + (cos_high_ - cos_low_) * cosine_rng.uniform_double();
    const double noise_scale = std::sqrt(1.0 - c * c) / std::sqrt(squares);
    for (std::int64_t k = 0; k < d_; ++k) target[k] = static_cast<float>(c * w[k] + noise_scale * target[k]);
  }

  std::int64_t n_, d_;
  std::uint64_t seed_;
  double cos_low_, cos_high_;
  std::int64_t shared_;
  std::uint64_t w1_seed_, w2_seed_, noise_seed_;
  std::vector<std::int64_t> position_;  // W2 position of planted row i (first `shared_` entries)
  std::vector<std::int64_t> source_;    // inverse: which i lands at W2 row p
};

inline SyntheticDecoders make_synthetic_decoders(std::int64_t n, std::int64_t d, double shared_fraction,
                                                 std::uint64_t seed, double cos_low = 0.70, double cos_high = 0.95) {
  const PlantedDecoderRows rows(n, d, shared_fraction, seed, cos_low, cos_high);
  SyntheticDecoders s;
  s.n = n;
  s.d = d;
  s.shared = rows.shared();
  s.w1.resize(static_cast<std::size_t>(n * d));
  s.w2.resize(static_cast<std::size_t>(n * d));
  rows.w1_rows(0, n, s.w1.data());
  rows.w2_rows(0, n, s.w2.data());
  s.partner_of_w1.resize(static_cast<std::size_t>(n));
  for (std::int64_t i = 0; i < n; ++i) s.partner_of_w1[static_cast<std::size_t>(i)] = rows.partner_of_w1(i);
  return s;
}

}  // namespace coact::bench
