// Stability's pieces against plain references: the best cosines taken block by block (blocks
// of every size, on every backend) against a brute-force double loop, and the random rotation
// against orthogonality and reproducibility.
#include <gtest/gtest.h>

#include <cmath>

#include "../support/every_backend.h"
#include "coact/compare/stability.h"
#include "coact/core/rng.h"

namespace coact::compare {
namespace {

std::vector<float> random_rows(std::int64_t rows, std::int64_t d, std::uint64_t seed) {
  std::vector<float> m(static_cast<std::size_t>(rows * d));
  CounterRng rng(seed, 0);
  for (float& x : m) x = static_cast<float>(rng.normal());
  return m;
}

double cosine(const float* a, const float* b, std::int64_t d) {
  double dot = 0, na = 0, nb = 0;
  for (std::int64_t k = 0; k < d; ++k) {
    dot += static_cast<double>(a[k]) * b[k];
    na += static_cast<double>(a[k]) * a[k];
    nb += static_cast<double>(b[k]) * b[k];
  }
  return na > 0 && nb > 0 ? dot / std::sqrt(na * nb) : 0.0;
}

class MaxCosines : public testing::EveryBackend {};

TEST_P(MaxCosines, EqualBruteForceForEveryBlockSize) {
  const std::int64_t n1 = 41, n2 = 67, d = 13;
  std::vector<float> a = random_rows(n1, d, 3), b = random_rows(n2, d, 4);
  for (std::int64_t k = 0; k < d; ++k) b[static_cast<std::size_t>(9 * d + k)] = 0.0f;  // a zero row: cosine 0
  std::vector<double> row(static_cast<std::size_t>(n1), -1.0), column(static_cast<std::size_t>(n2), -1.0);
  for (std::int64_t i = 0; i < n1; ++i)
    for (std::int64_t j = 0; j < n2; ++j) {
      const double c = cosine(a.data() + i * d, b.data() + j * d, d);
      row[static_cast<std::size_t>(i)] = std::max(row[static_cast<std::size_t>(i)], c);
      column[static_cast<std::size_t>(j)] = std::max(column[static_cast<std::size_t>(j)], c);
    }
  // One row per block, a few rows, a ragged last block, everything at once.
  for (const std::int64_t rows_per_block : {1, 5, 16, 41, 1000}) {
    std::vector<float> got_row, got_column;
    max_cosines(*backend_, {a.data(), n1, d}, {b.data(), n2, d}, rows_per_block * n2 * 4, got_row, got_column);
    ASSERT_EQ(got_row.size(), static_cast<std::size_t>(n1));
    ASSERT_EQ(got_column.size(), static_cast<std::size_t>(n2));
    for (std::int64_t i = 0; i < n1; ++i) EXPECT_NEAR(got_row[static_cast<std::size_t>(i)], row[static_cast<std::size_t>(i)], 1e-5) << i;
    for (std::int64_t j = 0; j < n2; ++j)
      EXPECT_NEAR(got_column[static_cast<std::size_t>(j)], column[static_cast<std::size_t>(j)], 1e-5) << j;
  }
}

COACT_INSTANTIATE_EVERY_BACKEND(MaxCosines);

TEST(RandomRotation, IsOrthogonalAndReproducible) {
  for (const std::int64_t d : {1, 2, 7, 64}) {
    const std::vector<float> q = random_rotation(d, 5);
    for (std::int64_t i = 0; i < d; ++i)
      for (std::int64_t j = 0; j < d; ++j) {
        double dot = 0;
        for (std::int64_t k = 0; k < d; ++k) dot += static_cast<double>(q[static_cast<std::size_t>(i * d + k)]) * q[static_cast<std::size_t>(j * d + k)];
        EXPECT_NEAR(dot, i == j ? 1.0 : 0.0, 1e-5) << d << " " << i << " " << j;
      }
    EXPECT_EQ(q, random_rotation(d, 5));
    if (d > 1) {
      EXPECT_NE(q, random_rotation(d, 6));
    }
  }
}

TEST(RandomRotation, SpreadsAFixedVectorUniformly) {
  // Rows of a Haar rotation are uniform on the sphere: the first coordinate of e_0 turned by
  // many rotations has mean 0 and mean square 1/d.
  const std::int64_t d = 8;
  double sum = 0, squares = 0;
  const int draws = 400;
  for (int s = 0; s < draws; ++s) {
    const float x = random_rotation(d, static_cast<std::uint64_t>(s))[0];
    sum += x;
    squares += static_cast<double>(x) * x;
  }
  EXPECT_NEAR(sum / draws, 0.0, 4 * std::sqrt(1.0 / d / draws));
  EXPECT_NEAR(squares / draws, 1.0 / d, 0.03);
}

}  // namespace
}  // namespace coact::compare
