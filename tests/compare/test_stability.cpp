// Stability's pieces against plain references: the best cosines from the matchers' tiles of every
// shape and against rotated rows (on every backend), against a brute-force double loop, and the
// random rotation against orthogonality and reproducibility.
#include <gtest/gtest.h>

#include <cmath>

#include "../support/every_backend.h"
#include "coact/compare/stability.h"
#include "coact/core/errors.h"
#include "single_process_comm.h"
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

// The best cosines both ways, against a brute-force double loop, from the exact and the greedy
// matcher (tiles of every shape, on every backend), and the null model's against rows turned
// by a rotation.
class NearestCosinesTest : public testing::EveryBackend {
 protected:
  void expect_brute_force(const NearestCosines& got, const std::vector<float>& a, std::int64_t n1, const std::vector<float>& b,
                          std::int64_t n2, std::int64_t d) {
    std::vector<double> row(static_cast<std::size_t>(n1), -1.0), column(static_cast<std::size_t>(n2), -1.0);
    for (std::int64_t i = 0; i < n1; ++i)
      for (std::int64_t j = 0; j < n2; ++j) {
        const double c = cosine(a.data() + i * d, b.data() + j * d, d);
        row[static_cast<std::size_t>(i)] = std::max(row[static_cast<std::size_t>(i)], c);
        column[static_cast<std::size_t>(j)] = std::max(column[static_cast<std::size_t>(j)], c);
      }
    ASSERT_EQ(got.row.size(), static_cast<std::size_t>(n1));
    ASSERT_EQ(got.column.size(), static_cast<std::size_t>(n2));
    for (std::int64_t i = 0; i < n1; ++i) EXPECT_NEAR(got.row[static_cast<std::size_t>(i)], row[static_cast<std::size_t>(i)], 1e-5) << i;
    for (std::int64_t j = 0; j < n2; ++j) EXPECT_NEAR(got.column[static_cast<std::size_t>(j)], column[static_cast<std::size_t>(j)], 1e-5) << j;
  }
  BlockedMatching match(const std::vector<float>& a, std::int64_t n1, const std::vector<float>& b, std::int64_t n2, std::int64_t d,
                        const BlockedMatchingOptions& o) {
    return blocked_cosine_matching(*backend_, alone_, {a.data(), n1, d}, n1, {b.data(), n2, d}, n2, o);
  }
  SingleProcessComm alone_;
};

TEST_P(NearestCosinesTest, EqualBruteForceForEveryTileShape) {
  const std::int64_t n1 = 41, n2 = 67, d = 13;
  std::vector<float> a = random_rows(n1, d, 3), b = random_rows(n2, d, 4);
  for (std::int64_t k = 0; k < d; ++k) b[static_cast<std::size_t>(9 * d + k)] = 0.0f;  // a zero row: cosine 0
  // One row or column per tile, ragged last tiles, everything at once; both matchers.
  for (const bool greedy : {false, true})
    for (const std::int64_t rows : {1, 5, 41, 1000})
      for (const std::int64_t columns : {1, 7, 67}) {
        BlockedMatchingOptions o;
        o.block_rows = rows;
        o.block_columns = columns;
        o.greedy = greedy;
        o.nearest = true;
        expect_brute_force(match(a, n1, b, n2, d, o).nearest, a, n1, b, n2, d);
      }
  // Nothing to meet: cosine −1, the smallest there is.
  BlockedMatchingOptions o;
  o.nearest = true;
  const BlockedMatching none = match(a, 0, b, n2, d, o);
  EXPECT_TRUE(none.nearest.row.empty());
  EXPECT_EQ(none.nearest.column, std::vector<float>(static_cast<std::size_t>(n2), -1.0f));
}

TEST_P(NearestCosinesTest, RideOnTheMatchersTilesAndChangeNothing) {
  const std::int64_t n1 = 30, n2 = 45, d = 9;
  const std::vector<float> a = random_rows(n1, d, 8), b = random_rows(n2, d, 9);
  const std::vector<float> q = random_rotation(d, 3);
  for (const bool greedy : {false, true}) {
    BlockedMatchingOptions o;
    o.block_rows = 4;
    o.block_columns = 6;
    o.row_candidates = 2;
    o.column_candidates = 1;
    o.greedy = greedy;
    const BlockedMatching without = match(a, n1, b, n2, d, o);
    EXPECT_TRUE(without.nearest.row.empty() && without.null_nearest.column.empty());
    o.nearest = true;
    o.null_rotation = &q;
    const BlockedMatching with = match(a, n1, b, n2, d, o);
    // The same matching and the same GEMM work: the scan reads the first pass's tiles.
    EXPECT_EQ(with.assignment.column_of_row, without.assignment.column_of_row) << greedy;
    EXPECT_EQ(with.matched_cost, without.matched_cost) << greedy;
    EXPECT_EQ(with.stats.full_pass_equivalents, without.stats.full_pass_equivalents) << greedy;
    expect_brute_force(with.nearest, a, n1, b, n2, d);
    // The null model: the best cosines against every row of B turned, b · Q (in double here).
    std::vector<float> turned(b.size());
    for (std::int64_t i = 0; i < n2; ++i)
      for (std::int64_t c = 0; c < d; ++c) {
        double x = 0;
        for (std::int64_t k = 0; k < d; ++k) x += static_cast<double>(b[static_cast<std::size_t>(i * d + k)]) * q[static_cast<std::size_t>(k * d + c)];
        turned[static_cast<std::size_t>(i * d + c)] = static_cast<float>(x);
      }
    expect_brute_force(with.null_nearest, a, n1, turned, n2, d);
  }
  BlockedMatchingOptions wrong;
  const std::vector<float> other = random_rotation(d + 1, 3);
  wrong.null_rotation = &other;
  EXPECT_THROW(match(a, n1, b, n2, d, wrong), InputError);
}

COACT_INSTANTIATE_EVERY_BACKEND(NearestCosinesTest);

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
