#include <gtest/gtest.h>

#include <cmath>
#include <map>
#include <random>

#include "coact/core/errors.h"
#include "coact/graph/coactivation.h"

namespace coact::graph {
namespace {

std::map<std::pair<int, int>, std::pair<std::int64_t, double>> as_map(const EdgeList& e, std::int64_t n) {
  std::map<std::pair<int, int>, std::pair<std::int64_t, double>> out;
  for (std::size_t i = 0; i < e.size(); ++i)
    out[{static_cast<int>(e.key[i] / static_cast<std::uint64_t>(n)), static_cast<int>(e.key[i] % static_cast<std::uint64_t>(n))}] = {
        e.count[i], e.weight_sum[i]};
  return out;
}

TEST(Coactivation, HandBuiltBatchWithKnownEdgesCountsAndWeights) {
  // 3 tokens × 5 features, k = 2.
  //   t0: f0 = 1, f1 = 2, f2 = 3   -> top-2 {2, 1}
  //   t1: f1 = 1, f3 = 1           -> tie: both (only two active)
  //   t2: f1 = 4, f2 = 4, f4 = 4   -> three-way tie: lower indices {1, 2}
  const std::vector<float> z = {1, 2, 3, 0, 0,  //
                                0, 1, 0, 1, 0,  //
                                0, 4, 4, 0, 4};
  CoactivationAccumulator acc(5, 2, ZeroPolicy::Positive);
  acc.add_batch(sparse_from_dense(z, 3, 5));
  const auto edges = as_map(acc.edges(), 5);
  ASSERT_EQ(edges.size(), 2u);
  // Columns over the batch: f1 = (2, 1, 4), f2 = (3, 0, 4), f3 = (0, 1, 0).
  const double n1 = std::sqrt(4 + 1 + 16.0), n2 = 5.0, n3 = 1.0;
  const double cos12 = (6 + 16) / (n1 * n2), cos13 = 1 / (n1 * n3);
  EXPECT_EQ(edges.at({1, 2}).first, 2);  // t0 and t2
  EXPECT_NEAR(edges.at({1, 2}).second, 2 * cos12, 1e-12);
  EXPECT_EQ(edges.at({1, 3}).first, 1);
  EXPECT_NEAR(edges.at({1, 3}).second, cos13, 1e-12);
  EXPECT_EQ(acc.tokens(), 3);
  EXPECT_EQ(acc.active_counts(), (std::vector<std::int64_t>{1, 3, 2, 1, 1}));
  EXPECT_EQ(acc.topk_counts(), (std::vector<std::int64_t>{0, 3, 2, 1, 0}));
}

TEST(Coactivation, ZeroPoliciesDifferOnSparseTokens) {
  // One token with a single active feature (f3); k = 3.
  const std::vector<float> z = {0, 0, 0, 2, 0, 0};
  CoactivationAccumulator positive(6, 3, ZeroPolicy::Positive), seed(6, 3, ZeroPolicy::Seed);
  positive.add_batch(sparse_from_dense(z, 1, 6));
  seed.add_batch(sparse_from_dense(z, 1, 6));
  EXPECT_EQ(positive.edges().size(), 0u) << "one active feature makes no pair";
  // seed: the top-3 is {3, 0, 1} (zero-valued features by lowest index): pairs 0-1, 0-3, 1-3,
  // all with cosine 0 (features 0 and 1 have zero columns).
  const auto edges = as_map(seed.edges(), 6);
  ASSERT_EQ(edges.size(), 3u);
  for (auto key : {std::pair{0, 1}, std::pair{0, 3}, std::pair{1, 3}}) {
    EXPECT_EQ(edges.at(key).first, 1);
    EXPECT_EQ(edges.at(key).second, 0.0);
  }
  EXPECT_EQ(seed.topk_counts()[0], 1);
  EXPECT_EQ(positive.topk_counts()[0], 0);
}

TEST(Coactivation, CountsAccumulateOverBatchesAndMergeIsOrderIndependentForCounts) {
  std::mt19937 gen(3);
  std::uniform_real_distribution<float> u(0, 1);
  const std::int64_t n = 40, rows = 64;
  std::vector<SparseBatch> batches;
  for (int b = 0; b < 4; ++b) {
    std::vector<float> z(static_cast<std::size_t>(rows * n));
    for (auto& v : z) v = u(gen) < 0.1f ? u(gen) : 0.0f;
    batches.push_back(sparse_from_dense(z, rows, n));
  }
  CoactivationAccumulator forward(n, 4, ZeroPolicy::Positive), backward(n, 4, ZeroPolicy::Positive);
  for (const auto& b : batches) forward.add_batch(b);
  for (auto it = batches.rbegin(); it != batches.rend(); ++it) backward.add_batch(*it);
  EXPECT_EQ(forward.edges().key, backward.edges().key);
  EXPECT_EQ(forward.edges().count, backward.edges().count);
  for (std::size_t e = 0; e < forward.edges().size(); ++e)
    EXPECT_NEAR(forward.edges().weight_sum[e], backward.edges().weight_sum[e], 1e-12);
  EXPECT_EQ(forward.tokens(), 4 * rows);
  // Every edge's weight is a mean cosine: within [0, 1] for non-negative activations.
  for (std::size_t e = 0; e < forward.edges().size(); ++e) {
    const double w = forward.edges().weight_sum[e] / static_cast<double>(forward.edges().count[e]);
    EXPECT_GE(w, 0.0);
    EXPECT_LE(w, 1.0 + 1e-12);
  }
}

TEST(Coactivation, RejectsBadK) {
  EXPECT_THROW(CoactivationAccumulator(10, 1, ZeroPolicy::Positive), UsageError);
  EXPECT_THROW(CoactivationAccumulator(10, 11, ZeroPolicy::Positive), UsageError);
  EXPECT_THROW(parse_zero_policy("zero"), UsageError);
  CoactivationAccumulator acc(10, 2, ZeroPolicy::Positive);
  EXPECT_THROW(acc.add_batch(sparse_from_dense(std::vector<float>(9 * 2), 2, 9)), InputError);
}

}  // namespace
}  // namespace coact::graph
