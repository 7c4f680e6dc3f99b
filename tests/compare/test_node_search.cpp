#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <numeric>
#include <random>

#include "coact/compare/node_search.h"

namespace coact::compare {
namespace {

struct TestGraph {
  std::vector<std::int64_t> indptr;
  std::vector<std::int32_t> indices;
  Adjacency view() const { return {indptr, indices}; }
};

TestGraph from_edges(std::int64_t n, const std::vector<std::pair<int, int>>& edges) {
  std::vector<std::vector<std::int32_t>> rows(static_cast<std::size_t>(n));
  for (auto [a, b] : edges) {
    rows[static_cast<std::size_t>(a)].push_back(b);
    rows[static_cast<std::size_t>(b)].push_back(a);
  }
  TestGraph g;
  g.indptr.push_back(0);
  for (auto& r : rows) {
    std::sort(r.begin(), r.end());
    g.indices.insert(g.indices.end(), r.begin(), r.end());
    g.indptr.push_back(static_cast<std::int64_t>(g.indices.size()));
  }
  return g;
}

NodeStatistics stats_for(std::int64_t n, unsigned seed) {
  std::mt19937 gen(seed);
  std::uniform_real_distribution<double> u(0, 1);
  NodeStatistics s;
  for (std::int64_t v = 0; v < n; ++v) {
    s.degree.push_back(std::floor(u(gen) * 20));
    s.strength.push_back(u(gen));
    s.frequency.push_back(u(gen) * 0.1);
    s.clustering.push_back(u(gen));
    s.component_size.push_back(1 + std::floor(u(gen) * 100));
    s.mean_neighbor_degree.push_back(u(gen) * 10);
  }
  return s;
}

TEST(NodeSearch, StandardisedColumnsHaveZeroMeanUnitVariance) {
  const auto s = standardised_statistics(stats_for(500, 1));
  for (int c = 0; c < kStatisticCount; ++c) {
    double mean = 0, sq = 0;
    for (int v = 0; v < 500; ++v) mean += s[static_cast<std::size_t>(v * kStatisticCount + c)];
    for (int v = 0; v < 500; ++v) sq += std::pow(s[static_cast<std::size_t>(v * kStatisticCount + c)] - mean / 500, 2);
    EXPECT_NEAR(mean / 500, 0.0, 1e-12) << statistic_name(c);
    EXPECT_NEAR(sq / 500, 1.0, 1e-9) << statistic_name(c);
  }
  // A constant column becomes zeros instead of NaN.
  NodeStatistics constant = stats_for(10, 2);
  std::fill(constant.clustering.begin(), constant.clustering.end(), 0.25);
  const auto z = standardised_statistics(constant);
  for (int v = 0; v < 10; ++v) EXPECT_EQ(z[static_cast<std::size_t>(v * kStatisticCount + 3)], 0.0);
}

TEST(NodeSearch, IdenticalStatisticsUnderAPermutationAreFoundFirst) {
  const std::int64_t n = 300;
  const auto s1 = standardised_statistics(stats_for(n, 3));
  std::vector<std::int64_t> perm(n);
  std::iota(perm.begin(), perm.end(), 0);
  std::shuffle(perm.begin(), perm.end(), std::mt19937(4));
  std::vector<double> s2(s1.size());
  for (std::int64_t v = 0; v < n; ++v)
    std::copy_n(s1.begin() + v * kStatisticCount, kStatisticCount, s2.begin() + perm[static_cast<std::size_t>(v)] * kStatisticCount);
  std::vector<std::int64_t> queries(n);
  std::iota(queries.begin(), queries.end(), 0);
  const SearchScore score = global_search(s1, s2, queries, perm);
  EXPECT_EQ(score.queries, n);
  EXPECT_EQ(score.hit_at_1, 1.0);
  EXPECT_EQ(score.mrr, 1.0);
  EXPECT_EQ(score.median_rank, 1.0);
  EXPECT_NEAR(score.chance_hit_at_1, 1.0 / n, 1e-12);
  EXPECT_NEAR(score.chance_hit_at_10, 10.0 / n, 1e-12);
  EXPECT_NEAR(score.chance_hit_at_100, 100.0 / n, 1e-12);
  EXPECT_NEAR(score.chance_median_rank, (n + 1) / 2.0, 1e-12);
  double h = 0;
  for (int i = 1; i <= n; ++i) h += 1.0 / i;
  EXPECT_NEAR(score.chance_mrr, h / n, 1e-12);

  // Unrelated statistics score near chance.
  const auto unrelated = standardised_statistics(stats_for(n, 99));
  const SearchScore random = global_search(s1, unrelated, queries, perm);
  EXPECT_LT(random.hit_at_10, 0.15);
  EXPECT_GT(random.median_rank, n / 4.0);
}

TEST(NodeSearch, TiesCountAgainstTheQuery) {
  // Every node has the same statistics: the target ranks last among n candidates.
  NodeStatistics flat;
  for (int v = 0; v < 5; ++v) {
    flat.degree.push_back(1);
    flat.strength.push_back(0.5);
    flat.frequency.push_back(0.01);
    flat.clustering.push_back(0);
    flat.component_size.push_back(5);
    flat.mean_neighbor_degree.push_back(1);
  }
  const auto s = standardised_statistics(flat);
  const std::vector<std::int64_t> queries = {0, 1}, target = {0, 1, 2, 3, 4};
  const SearchScore score = global_search(s, s, queries, target);
  EXPECT_EQ(score.median_rank, 5.0);
  EXPECT_EQ(score.hit_at_1, 0.0);
}

TEST(Neighbourhood, PermutedCopyTransfersEveryNeighbour) {
  // A small graph with known neighbourhoods and its relabelled copy.
  const std::int64_t n = 8;
  const std::vector<std::pair<int, int>> edges = {{0, 1}, {0, 2}, {1, 2}, {2, 3}, {3, 4}, {5, 6}};
  const std::vector<std::int64_t> perm = {7, 6, 5, 4, 3, 2, 1, 0};
  std::vector<std::pair<int, int>> permuted;
  for (auto [a, b] : edges) permuted.emplace_back(static_cast<int>(perm[static_cast<std::size_t>(a)]), static_cast<int>(perm[static_cast<std::size_t>(b)]));
  const TestGraph g1 = from_edges(n, edges), g2 = from_edges(n, permuted);
  const auto s1 = standardised_statistics(stats_for(n, 5));
  std::vector<double> s2(s1.size());
  for (std::int64_t v = 0; v < n; ++v)
    std::copy_n(s1.begin() + v * kStatisticCount, kStatisticCount, s2.begin() + perm[static_cast<std::size_t>(v)] * kStatisticCount);
  const std::vector<std::int64_t> shared = {0, 2, 3, 7};  // 7 is isolated: not counted
  const NeighbourhoodScore score = neighbourhood_transfer(g1.view(), g2.view(), s1, s2, shared, perm);
  EXPECT_EQ(score.pairs, 3);
  EXPECT_EQ(score.neighbour_overlap, 1.0);
  // Chance: deg2(f') / (n - 1) averaged over f = 0 (deg 2), 2 (deg 3), 3 (deg 2).
  EXPECT_NEAR(score.chance_overlap, (2.0 + 3.0 + 2.0) / 3.0 / 7.0, 1e-15);
  // Neighbours searched: 2 + 3 + 2 = 7 queries; inside the neighbourhood with exact statistics
  // every one is found first.
  EXPECT_EQ(score.restricted.queries, 7);
  EXPECT_EQ(score.restricted.hit_at_1, 1.0);
  EXPECT_EQ(score.global.queries, 7);
  EXPECT_EQ(score.global.hit_at_1, 1.0);
  // Chance inside neighbourhoods of sizes m: mean of 1/m.
  const double chance = (1.0 / 2 + 1.0 / 2 + 1.0 / 3 + 1.0 / 3 + 1.0 / 3 + 1.0 / 2 + 1.0 / 2) / 7.0;
  EXPECT_NEAR(score.restricted.chance_hit_at_1, chance, 1e-15);
}

TEST(Neighbourhood, MissingNeighboursAreMisses) {
  // Graph 2 has no edges: nothing transfers, every restricted search misses.
  const TestGraph g1 = from_edges(4, {{0, 1}, {0, 2}}), g2 = from_edges(4, {});
  const auto s = standardised_statistics(stats_for(4, 6));
  const std::vector<std::int64_t> shared = {0}, match = {0, 1, 2, 3};
  const NeighbourhoodScore score = neighbourhood_transfer(g1.view(), g2.view(), s, s, shared, match);
  EXPECT_EQ(score.pairs, 1);
  EXPECT_EQ(score.neighbour_overlap, 0.0);
  EXPECT_EQ(score.restricted.hit_at_100, 0.0);
  EXPECT_EQ(score.restricted.chance_hit_at_1, 0.0);
  EXPECT_EQ(score.restricted.mrr, 0.0);
  EXPECT_TRUE(std::isinf(score.restricted.median_rank)) << "a counterpart outside the neighbourhood is never found";
}

TEST(NodeSearch, GlobalRanksCountEveryCloserCandidateOnce) {
  // Against the plain definition: 1 + the candidates other than the target at a distance no
  // larger than the target's, over tiles of queries and blocks of candidates that end mid-way
  // (1,300 candidates, 37 queries), with exact ties (repeated rows, rounded values).
  std::mt19937 gen(11);
  std::uniform_int_distribution<int> level(0, 3);
  for (const int columns : {kStatisticCount, kExtendedStatisticCount}) {
    const std::int64_t n1 = 60, n2 = 1300;
    std::vector<double> s1(static_cast<std::size_t>(n1 * columns)), s2(static_cast<std::size_t>(n2 * columns));
    for (double& x : s1) x = 0.5 * level(gen);
    for (double& x : s2) x = 0.5 * level(gen);
    std::vector<std::int64_t> target(static_cast<std::size_t>(n1)), queries;
    for (std::int64_t i = 0; i < n1; ++i) {
      target[static_cast<std::size_t>(i)] = (i * 97 + 5) % n2;
      if (i % 5 != 0) queries.push_back(i);
    }
    const std::vector<double> ranks = global_ranks(s1, s2, queries, target, columns);
    ASSERT_EQ(ranks.size(), queries.size());
    for (std::size_t q = 0; q < queries.size(); ++q) {
      const std::int64_t i = queries[q], t = target[static_cast<std::size_t>(i)];
      auto distance = [&](std::int64_t c) {
        double sum = 0;
        for (int k = 0; k < columns; ++k) {
          const double x = s1[static_cast<std::size_t>(i * columns + k)] - s2[static_cast<std::size_t>(c * columns + k)];
          sum += x * x;
        }
        return sum;
      };
      std::int64_t closer = 0;
      for (std::int64_t c = 0; c < n2; ++c) closer += c != t && distance(c) <= distance(t);
      EXPECT_EQ(ranks[q], static_cast<double>(closer + 1)) << columns << " " << i;
    }
  }
}

}  // namespace
}  // namespace coact::compare
