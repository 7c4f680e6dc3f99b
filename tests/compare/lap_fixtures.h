// Instances for the assignment tests: random matrices of several kinds, a brute-force
// optimum, and a planted instance built like two SAEs' decoders.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <numeric>
#include <vector>

#include "coact/core/rng.h"
#include "coact/core/tensor.h"

namespace coact::compare::testing {

struct Matrix {
  std::int64_t rows = 0, cols = 0;
  std::vector<float> values;
  MatrixView<const float> view() const { return {values.data(), rows, cols}; }
  float& at(std::int64_t r, std::int64_t c) { return values[static_cast<std::size_t>(r * cols + c)]; }
};

// U[0, 1) entries.
inline Matrix uniform_matrix(std::int64_t rows, std::int64_t cols, std::uint64_t seed) {
  Matrix m{rows, cols, std::vector<float>(static_cast<std::size_t>(rows * cols))};
  CounterRng rng(seed, 1);
  for (float& x : m.values) x = rng.uniform();
  return m;
}

// Integers in [0, levels): many ties.
inline Matrix integer_matrix(std::int64_t rows, std::int64_t cols, int levels, std::uint64_t seed) {
  Matrix m{rows, cols, std::vector<float>(static_cast<std::size_t>(rows * cols))};
  CounterRng rng(seed, 2);
  for (float& x : m.values) x = static_cast<float>(rng.below(static_cast<std::uint64_t>(levels)));
  return m;
}

// The minimum over every injective row → column map, by enumerating permutations of the
// columns (each n1-prefix appears; fine for n2 <= 8).
inline double brute_force_optimum(const Matrix& m) {
  std::vector<std::int64_t> columns(static_cast<std::size_t>(m.cols));
  std::iota(columns.begin(), columns.end(), 0);
  double best = std::numeric_limits<double>::infinity();
  do {
    double total = 0;
    for (std::int64_t i = 0; i < m.rows; ++i) {
      total += m.values[static_cast<std::size_t>(i * m.cols + columns[static_cast<std::size_t>(i)])];
    }
    best = std::min(best, total);
  } while (std::next_permutation(columns.begin(), columns.end()));
  return best;
}

// Two "decoders" of n unit rows in d dimensions; row i of the first is planted at position
// perm[i] of the second with cosine in [0.7, 0.95) (plus noise orthogonal to it). The cost
// 1 − cos has a clear optimum: the permutation.
struct PlantedInstance {
  Matrix cost;
  std::vector<std::int32_t> perm;
};

inline PlantedInstance planted_cosine_instance(std::int64_t n, std::int64_t d, std::uint64_t seed) {
  auto unit = [](std::vector<double>& v) {
    double s = 0;
    for (double x : v) s += x * x;
    for (double& x : v) x /= std::sqrt(s);
  };
  CounterRng rng(seed, 3);
  std::vector<std::vector<double>> a(static_cast<std::size_t>(n), std::vector<double>(static_cast<std::size_t>(d)));
  std::vector<std::vector<double>> b = a;
  PlantedInstance out;
  out.perm.resize(static_cast<std::size_t>(n));
  std::iota(out.perm.begin(), out.perm.end(), 0);
  for (std::int64_t i = n - 1; i > 0; --i) {
    std::swap(out.perm[static_cast<std::size_t>(i)], out.perm[rng.below(static_cast<std::uint64_t>(i + 1))]);
  }
  for (std::int64_t i = 0; i < n; ++i) {
    auto& row = a[static_cast<std::size_t>(i)];
    for (double& x : row) x = rng.normal();
    unit(row);
    std::vector<double> noise(static_cast<std::size_t>(d));
    for (double& x : noise) x = rng.normal();
    double along = 0;
    for (std::int64_t k = 0; k < d; ++k) along += noise[static_cast<std::size_t>(k)] * row[static_cast<std::size_t>(k)];
    for (std::int64_t k = 0; k < d; ++k) noise[static_cast<std::size_t>(k)] -= along * row[static_cast<std::size_t>(k)];
    unit(noise);
    const double c = 0.7 + 0.25 * rng.uniform_double();
    auto& target = b[static_cast<std::size_t>(out.perm[static_cast<std::size_t>(i)])];
    for (std::int64_t k = 0; k < d; ++k) {
      const auto at = static_cast<std::size_t>(k);
      target[at] = c * row[at] + std::sqrt(1 - c * c) * noise[at];
    }
  }
  out.cost = Matrix{n, n, std::vector<float>(static_cast<std::size_t>(n * n))};
  for (std::int64_t i = 0; i < n; ++i) {
    for (std::int64_t j = 0; j < n; ++j) {
      double dot = 0;
      const auto& left = a[static_cast<std::size_t>(i)];
      const auto& right = b[static_cast<std::size_t>(j)];
      for (std::size_t k = 0; k < left.size(); ++k) dot += left[k] * right[k];
      out.cost.at(i, j) = static_cast<float>(1.0 - dot);
    }
  }
  return out;
}

}  // namespace coact::compare::testing
