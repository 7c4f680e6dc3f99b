#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>

#include "coact/backend/backend.h"
#include "coact/compare/assignment.h"
#include "coact/compare/cosine_cost.h"
#include "coact/core/errors.h"
#include "coact/core/rng.h"

namespace coact::compare {
namespace {

std::vector<float> random_rows(std::int64_t rows, std::int64_t d, std::uint64_t seed) {
  std::vector<float> m(static_cast<std::size_t>(rows * d));
  CounterRng rng(seed, 0);
  for (float& x : m) x = static_cast<float>(rng.normal());
  return m;
}

double reference_cost(const float* a, const float* b, std::int64_t d) {
  double dot = 0, na = 0, nb = 0;
  for (std::int64_t k = 0; k < d; ++k) {
    dot += static_cast<double>(a[k]) * b[k];
    na += static_cast<double>(a[k]) * a[k];
    nb += static_cast<double>(b[k]) * b[k];
  }
  const double cosine = na > 0 && nb > 0 ? dot / std::sqrt(na * nb) : 0.0;
  return 1.0 - cosine;
}

TEST(CosineCost, EqualsOneMinusCosineOfEveryPair) {
  auto backend = backend::make_backend(backend::DeviceRequest::Cpu);
  const std::int64_t n1 = 37, n2 = 53, d = 29;
  std::vector<float> a = random_rows(n1, d, 1), b = random_rows(n2, d, 2);
  // Scaled rows have the same cosines; a zero row has cosine 0 with everything.
  for (std::int64_t k = 0; k < d; ++k) a[static_cast<std::size_t>(5 * d + k)] *= 1000.0f;
  for (std::int64_t k = 0; k < d; ++k) b[static_cast<std::size_t>(7 * d + k)] = 0.0f;
  const std::vector<float> cost = cosine_cost(*backend, {a.data(), n1, d}, {b.data(), n2, d});
  ASSERT_EQ(cost.size(), static_cast<std::size_t>(n1 * n2));
  for (std::int64_t i = 0; i < n1; ++i) {
    for (std::int64_t j = 0; j < n2; ++j) {
      const double want = reference_cost(&a[static_cast<std::size_t>(i * d)], &b[static_cast<std::size_t>(j * d)], d);
      EXPECT_NEAR(cost[static_cast<std::size_t>(i * n2 + j)], want, 2e-6)
          << i << "," << j;
    }
    EXPECT_EQ(cost[static_cast<std::size_t>(i * n2 + 7)], 1.0f);
  }
}

// In bf16 each unit row is rounded to 8 significant bits: a cosine moves by at most
// 2 · 2^-8 · Σ|a_k b_k| <= 2^-7 (Cauchy–Schwarz on unit rows), plus fp32 sums.
TEST(CosineCost, Bf16CostsAreWithinTheBf16BoundOfTheExactCosts) {
  auto backend = backend::make_backend(backend::DeviceRequest::Cpu);
  const std::int64_t n1 = 40, n2 = 70, d = 300;
  const std::vector<float> a = random_rows(n1, d, 11), b = random_rows(n2, d, 12);
  const std::vector<float> cost = cosine_cost(*backend, {a.data(), n1, d}, {b.data(), n2, d}, backend::Precision::Bf16);
  double worst = 0;
  for (std::int64_t i = 0; i < n1; ++i)
    for (std::int64_t j = 0; j < n2; ++j) {
      const double want = reference_cost(&a[static_cast<std::size_t>(i * d)], &b[static_cast<std::size_t>(j * d)], d);
      const double error = std::fabs(cost[static_cast<std::size_t>(i * n2 + j)] - want);
      ASSERT_LE(error, std::ldexp(1.0, -7) + 1e-5) << i << "," << j;
      worst = std::max(worst, error);
    }
  EXPECT_GT(worst, 1e-6) << "no rounding visible: was the GEMM really bf16?";
}

TEST(CosineCost, WritesIntoAStridedOutputAndLeavesThePaddingAlone) {
  auto backend = backend::make_backend(backend::DeviceRequest::Cpu);
  const std::int64_t n = 6, d = 4, stride = 9;
  const std::vector<float> a = random_rows(n, d, 3);
  std::vector<float> out(static_cast<std::size_t>(n * stride), -5.0f);
  cosine_cost(*backend, {a.data(), n, d}, {a.data(), n, d}, MatrixView<float>(out.data(), n, n, stride));
  for (std::int64_t i = 0; i < n; ++i) {
    EXPECT_NEAR(out[static_cast<std::size_t>(i * stride + i)], 0.0f, 1e-6);  // a row with itself
    for (std::int64_t j = n; j < stride; ++j) EXPECT_EQ(out[static_cast<std::size_t>(i * stride + j)], -5.0f);
  }
}

TEST(CosineCost, MatchingAPermutedCopyFindsThePermutation) {
  auto backend = backend::make_backend(backend::DeviceRequest::Cpu);
  const std::int64_t n = 64, d = 32;
  const std::vector<float> a = random_rows(n, d, 4);
  std::vector<float> b(a.size());
  std::vector<std::int32_t> perm(static_cast<std::size_t>(n));
  for (std::int64_t i = 0; i < n; ++i) perm[static_cast<std::size_t>(i)] = static_cast<std::int32_t>((i * 37 + 11) % n);
  CounterRng rng(9, 0);
  for (std::int64_t i = 0; i < n; ++i)
    for (std::int64_t k = 0; k < d; ++k)
      b[static_cast<std::size_t>(perm[static_cast<std::size_t>(i)] * d + k)] =
          a[static_cast<std::size_t>(i * d + k)] + 0.05f * static_cast<float>(rng.normal());
  const std::vector<float> cost = cosine_cost(*backend, {a.data(), n, d}, {b.data(), n, d});
  EXPECT_EQ(solve_assignment(MatrixView<const float>(cost.data(), n, n)).column_of_row, perm);
}

TEST(CosineCost, RejectsMismatchedWidthsAndNonFiniteRows) {
  auto backend = backend::make_backend(backend::DeviceRequest::Cpu);
  const std::vector<float> a = random_rows(3, 4, 1), b = random_rows(3, 5, 2);
  EXPECT_THROW(cosine_cost(*backend, {a.data(), 3, 4}, {b.data(), 3, 5}), InputError);
  std::vector<float> bad = a;
  bad[5] = std::numeric_limits<float>::quiet_NaN();
  EXPECT_THROW(cosine_cost(*backend, {a.data(), 3, 4}, {bad.data(), 3, 4}), InputError);
}

}  // namespace
}  // namespace coact::compare
