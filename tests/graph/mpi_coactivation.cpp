// Partial maps reduced over 1, 2 or 3 ranks equal one process accumulating every batch:
// counts exact, weights within 1e-9 relative.
#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "coact/graph/coactivation.h"
#include "support/mpi_env.h"

namespace coact::graph {
namespace {

using coact::testing::world;

SparseBatch random_batch(int b, std::int64_t rows, std::int64_t n) {
  std::mt19937 gen(100 + static_cast<unsigned>(b));
  std::uniform_real_distribution<float> u(0, 1);
  std::vector<float> z(static_cast<std::size_t>(rows * n));
  for (auto& v : z) v = u(gen) < 0.08f ? u(gen) : 0.0f;
  return sparse_from_dense(z, rows, n);
}

TEST(CoactivationReduce, AnyRankCountGivesTheSingleProcessGraph) {
  auto& w = world();
  const std::int64_t n = 300, rows = 200;
  const int batches = 7;
  for (const ZeroPolicy policy : {ZeroPolicy::Positive, ZeroPolicy::Seed}) {
    CoactivationAccumulator mine(n, 4, policy), everything(n, 4, policy);
    for (int b = 0; b < batches; ++b) {
      const SparseBatch batch = random_batch(b, rows, n);
      if (b % w.size() == w.rank()) mine.add_batch(batch);  // rank r takes batches r, r+P, ...
      everything.add_batch(batch);
    }
    const EdgeList reduced = mine.reduce(w);
    EXPECT_EQ(mine.tokens(), batches * rows);
    EXPECT_EQ(mine.active_counts(), everything.active_counts());
    EXPECT_EQ(mine.topk_counts(), everything.topk_counts());
    if (!w.is_root()) {
      EXPECT_EQ(reduced.size(), 0u);
      continue;
    }
    ASSERT_EQ(reduced.key, everything.edges().key);
    EXPECT_EQ(reduced.count, everything.edges().count);
    for (std::size_t e = 0; e < reduced.size(); ++e) {
      const double a = reduced.weight_sum[e], b = everything.edges().weight_sum[e];
      ASSERT_LE(std::abs(a - b), 1e-9 * std::max(1e-300, std::abs(b))) << e;
    }
  }
}

}  // namespace
}  // namespace coact::graph
