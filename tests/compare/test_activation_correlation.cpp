// Activation correlation (the sufficient-statistics accumulator behind `coact compare --match
// activations`): against a dense two-pass Pearson reference, independent of how tokens are
// split into batches and of the thread count, and on planted data (the second SAE's codes a
// permuted copy of the first's) the exact assignment on 1 − r recovers the permutation.
#include <gtest/gtest.h>
#include <omp.h>

#include <cmath>
#include <numeric>
#include <vector>

#include "coact/compare/activation_correlation.h"
#include "coact/compare/assignment.h"
#include "coact/core/errors.h"
#include "coact/core/rng.h"

namespace coact::compare {
namespace {

// Dense rows × n codes: each entry active with probability `density`, value in (0, 2].
std::vector<float> random_codes(std::int64_t rows, std::int64_t n, double density, std::uint64_t seed) {
  CounterRng rng(seed, 0);
  std::vector<float> codes(static_cast<std::size_t>(rows * n), 0.0f);
  for (auto& v : codes)
    if (rng.uniform() < density) v = 2.0f * (1.0f - rng.uniform());
  return codes;
}

// Pearson r of column i of a against column j of b, two-pass in double; 0 for a constant column.
double reference(const std::vector<float>& a, std::int64_t n1, std::int64_t i, const std::vector<float>& b, std::int64_t n2,
                 std::int64_t j, std::int64_t rows) {
  double ma = 0, mb = 0;
  for (std::int64_t t = 0; t < rows; ++t) {
    ma += a[static_cast<std::size_t>(t * n1 + i)];
    mb += b[static_cast<std::size_t>(t * n2 + j)];
  }
  ma /= static_cast<double>(rows);
  mb /= static_cast<double>(rows);
  double sab = 0, saa = 0, sbb = 0;
  for (std::int64_t t = 0; t < rows; ++t) {
    const double x = a[static_cast<std::size_t>(t * n1 + i)] - ma, y = b[static_cast<std::size_t>(t * n2 + j)] - mb;
    sab += x * y;
    saa += x * x;
    sbb += y * y;
  }
  return saa > 0 && sbb > 0 ? sab / std::sqrt(saa * sbb) : 0.0;
}

CorrelationAccumulator accumulate(const std::vector<float>& a, std::int64_t n1, const std::vector<float>& b, std::int64_t n2,
                                  std::int64_t rows, std::int64_t batch) {
  CorrelationAccumulator acc(n1, n2);
  for (std::int64_t first = 0; first < rows; first += batch) {
    const std::int64_t count = std::min(batch, rows - first);
    const auto sa = graph::sparse_from_dense(std::span<const float>(a).subspan(static_cast<std::size_t>(first * n1), static_cast<std::size_t>(count * n1)), count, n1);
    const auto sb = graph::sparse_from_dense(std::span<const float>(b).subspan(static_cast<std::size_t>(first * n2), static_cast<std::size_t>(count * n2)), count, n2);
    acc.add_batch(sa.view(), sb.view());
  }
  return acc;
}

TEST(ActivationCorrelation, MatchesDenseReference) {
  const std::int64_t rows = 700, n1 = 13, n2 = 17;
  std::vector<float> a = random_codes(rows, n1, 0.15, 1), b = random_codes(rows, n2, 0.2, 2);
  for (std::int64_t t = 0; t < rows; ++t) {
    b[static_cast<std::size_t>(t * n2 + 3)] = a[static_cast<std::size_t>(t * n1 + 5)] * 0.5f;  // r = 1 with a_5
    a[static_cast<std::size_t>(t * n1 + 12)] = 0.0f;                                          // dead
    b[static_cast<std::size_t>(t * n2 + 16)] = 1.25f;                                         // constant
  }
  const CorrelationAccumulator acc = accumulate(a, n1, b, n2, rows, 64);
  EXPECT_EQ(acc.tokens(), rows);
  EXPECT_EQ(acc.first_active()[12], 0);
  EXPECT_EQ(acc.second_active()[16], rows);
  const std::vector<float> r = acc.correlation();
  for (std::int64_t i = 0; i < n1; ++i)
    for (std::int64_t j = 0; j < n2; ++j)
      EXPECT_NEAR(r[static_cast<std::size_t>(i * n2 + j)], reference(a, n1, i, b, n2, j, rows), 1e-6) << i << ", " << j;
  EXPECT_NEAR(r[static_cast<std::size_t>(5 * n2 + 3)], 1.0, 1e-6);
  EXPECT_EQ(r[static_cast<std::size_t>(12 * n2 + 0)], 0.0f);
  EXPECT_EQ(r[static_cast<std::size_t>(0 * n2 + 16)], 0.0f);
  const std::vector<float> cost = acc.cost();
  for (std::size_t e = 0; e < cost.size(); ++e) EXPECT_FLOAT_EQ(cost[e], 1.0f - r[e]);
}

TEST(ActivationCorrelation, SameForAnyBatchSplitAndThreadCount) {
  const std::int64_t rows = 1000, n1 = 40, n2 = 40;
  const std::vector<float> a = random_codes(rows, n1, 0.1, 3), b = random_codes(rows, n2, 0.1, 4);
  const std::vector<float> whole = accumulate(a, n1, b, n2, rows, rows).correlation();
  const int threads = omp_get_max_threads();
  omp_set_num_threads(1);
  const std::vector<float> serial = accumulate(a, n1, b, n2, rows, 37).correlation();
  omp_set_num_threads(std::max(threads, 3));
  const std::vector<float> parallel = accumulate(a, n1, b, n2, rows, 37).correlation();
  omp_set_num_threads(threads);
  EXPECT_EQ(serial, parallel);  // bit-identical: one thread owns a row of P
  for (std::size_t e = 0; e < whole.size(); ++e) EXPECT_NEAR(whole[e], serial[e], 1e-6);
}

TEST(ActivationCorrelation, PlantedPermutationIsRecovered) {
  // The second SAE's feature perm[i] fires exactly when the first's feature i does (scaled,
  // with a little noise of its own): the matching on 1 − r must be perm.
  const std::int64_t rows = 4000, n = 64;
  const std::vector<float> a = random_codes(rows, n, 0.05, 5);
  std::vector<std::int32_t> perm(static_cast<std::size_t>(n));
  std::iota(perm.begin(), perm.end(), 0);
  CounterRng rng(6, 0);
  for (std::int64_t i = n - 1; i > 0; --i) std::swap(perm[static_cast<std::size_t>(i)], perm[rng.below(static_cast<std::uint64_t>(i) + 1)]);
  std::vector<float> b(a.size(), 0.0f);
  for (std::int64_t t = 0; t < rows; ++t)
    for (std::int64_t i = 0; i < n; ++i) {
      const float v = a[static_cast<std::size_t>(t * n + i)];
      if (v > 0) b[static_cast<std::size_t>(t * n + perm[static_cast<std::size_t>(i)])] = 0.7f * v + 0.1f * rng.uniform();
    }
  const std::vector<float> cost = accumulate(a, n, b, n, rows, 512).cost();
  const Assignment match = solve_assignment(MatrixView<const float>(cost.data(), n, n));
  EXPECT_EQ(match.column_of_row, perm);
}

TEST(ActivationCorrelation, RejectsMismatchedBatches) {
  EXPECT_THROW(CorrelationAccumulator(0, 3), UsageError);
  CorrelationAccumulator acc(3, 4);
  const std::vector<float> a(6, 1.0f), b(12, 1.0f), b3(9, 1.0f);
  const auto sa = graph::sparse_from_dense(a, 2, 3);
  const auto sb = graph::sparse_from_dense(b, 3, 4);
  EXPECT_THROW(acc.add_batch(sa.view(), sb.view()), InputError);  // 2 vs 3 tokens
  const auto sb3 = graph::sparse_from_dense(b3, 3, 3);
  const auto sa3 = graph::sparse_from_dense(std::vector<float>(9, 1.0f), 3, 3);
  EXPECT_THROW(acc.add_batch(sa3.view(), sb3.view()), InputError);  // 3 features, expected 4
  EXPECT_EQ(acc.tokens(), 0);
}

}  // namespace
}  // namespace coact::compare
