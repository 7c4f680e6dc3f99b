// k-core numbers, PageRank and betweenness against plain references: repeated peeling of
// minimum-degree nodes, dense power iteration, and path counting over all pairs
// (Floyd–Warshall with path counts); sampled betweenness at full sample equals exact.
#include <gtest/gtest.h>
#include <omp.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <stdexcept>

#include "analytics_fixtures.h"
#include "coact/core/errors.h"
#include "coact/graph/betweenness.h"
#include "coact/graph/core_decomposition.h"
#include "coact/graph/pagerank.h"

namespace coact::graph {
namespace {

std::vector<std::int64_t> cores_by_peeling(const CsrGraph& g) {
  const std::int64_t n = g.num_nodes();
  std::vector<std::int64_t> degree(static_cast<std::size_t>(n)), core(static_cast<std::size_t>(n), 0);
  std::vector<char> gone(static_cast<std::size_t>(n), 0);
  for (NodeId u = 0; u < n; ++u) degree[static_cast<std::size_t>(u)] = g.degree(u);
  std::int64_t k = 0;
  for (std::int64_t removed = 0; removed < n; ++removed) {
    NodeId pick = -1;
    for (NodeId u = 0; u < n; ++u)
      if (!gone[static_cast<std::size_t>(u)] && (pick < 0 || degree[static_cast<std::size_t>(u)] < degree[static_cast<std::size_t>(pick)])) pick = u;
    k = std::max(k, degree[static_cast<std::size_t>(pick)]);
    core[static_cast<std::size_t>(pick)] = k;
    gone[static_cast<std::size_t>(pick)] = 1;
    for (const NodeId v : g.neighbors(pick))
      if (!gone[static_cast<std::size_t>(v)]) --degree[static_cast<std::size_t>(v)];
  }
  return core;
}

TEST(CoreDecomposition, AgainstPeeling) {
  for (std::uint64_t seed = 1; seed <= 8; ++seed) {
    const CsrGraph g = fixtures::random_graph(60, 0.05 * static_cast<double>(seed % 4 + 1), seed, 2);
    CoreDecomposition cores(g);
    cores.run();
    EXPECT_EQ(cores.core_number(), cores_by_peeling(g)) << "seed " << seed;
    const auto sizes = cores.core_sizes();
    ASSERT_EQ(static_cast<std::int64_t>(sizes.size()), cores.max_core() + 1);
    EXPECT_EQ(sizes[0], g.num_nodes());
  }
  const CsrGraph clique = fixtures::two_cliques(5);
  CoreDecomposition cores(clique);
  EXPECT_THROW(static_cast<void>(cores.max_core()), std::logic_error);
  cores.run();
  EXPECT_EQ(cores.max_core(), 4);
  EXPECT_EQ(cores.core_number(), std::vector<std::int64_t>(10, 4));
}

std::vector<double> dense_pagerank(const CsrGraph& g, const PageRankOptions& o) {
  const std::int64_t n = g.num_nodes();
  std::vector<double> x(static_cast<std::size_t>(n), 1.0 / static_cast<double>(n));
  for (std::int64_t it = 0; it < o.max_iterations; ++it) {
    std::vector<double> next(static_cast<std::size_t>(n), 0.0);
    double dangling = 0;
    for (NodeId u = 0; u < n; ++u) {
      double s = 0;
      for (std::int64_t e = g.indptr()[u]; e < g.indptr()[u + 1]; ++e) s += edge_value(g, e, o.weighting);
      if (s == 0) {
        dangling += x[static_cast<std::size_t>(u)];
        continue;
      }
      for (std::int64_t e = g.indptr()[u]; e < g.indptr()[u + 1]; ++e)
        next[static_cast<std::size_t>(g.indices()[static_cast<std::size_t>(e)])] += x[static_cast<std::size_t>(u)] * edge_value(g, e, o.weighting) / s;
    }
    double change = 0;
    for (std::int64_t v = 0; v < n; ++v) {
      next[static_cast<std::size_t>(v)] = o.damping * (next[static_cast<std::size_t>(v)] + dangling / static_cast<double>(n)) + (1 - o.damping) / static_cast<double>(n);
      change += std::fabs(next[static_cast<std::size_t>(v)] - x[static_cast<std::size_t>(v)]);
    }
    x = next;
    if (change < static_cast<double>(n) * o.tolerance) break;
  }
  return x;
}

TEST(PageRank, AgainstDenseIteration) {
  for (std::uint64_t seed = 1; seed <= 4; ++seed) {
    const CsrGraph g = fixtures::random_graph(80, 0.06, seed, 5);
    for (const auto w : {EdgeWeighting::Unit, EdgeWeighting::Weight, EdgeWeighting::Count}) {
      const PageRankOptions o{.damping = 0.85, .tolerance = 1e-10, .max_iterations = 1000, .weighting = w};
      PageRank pr(g, o);
      pr.run();
      const auto expected = dense_pagerank(g, o);
      for (std::size_t v = 0; v < expected.size(); ++v) EXPECT_NEAR(pr.scores()[v], expected[v], 1e-12);
      EXPECT_NEAR(std::accumulate(pr.scores().begin(), pr.scores().end(), 0.0), 1.0, 1e-9);
    }
  }
}

TEST(PageRank, OptionsAndConvergence) {
  const CsrGraph g = fixtures::path_graph(5);
  EXPECT_THROW(PageRank(g, {.damping = 1.0}), UsageError);
  EXPECT_THROW(PageRank(g, {.tolerance = 0}), UsageError);
  PageRank never(g, {.tolerance = 1e-300, .max_iterations = 3});
  EXPECT_THROW(never.run(), NumericError);
  PageRank pr(g);
  EXPECT_THROW(static_cast<void>(pr.scores()), std::logic_error);
  pr.run();
  // A symmetric path: mirrored nodes agree.
  EXPECT_NEAR(pr.scores()[0], pr.scores()[4], 1e-12);
  EXPECT_NEAR(pr.scores()[1], pr.scores()[3], 1e-12);
}

// Betweenness by definition: shortest path counts between all pairs, then for every v the sum
// over pairs s < t (both ≠ v) with d(s,v) + d(v,t) = d(s,t) of σ(s,v) σ(v,t) / σ(s,t).
std::vector<double> betweenness_by_definition(const CsrGraph& g, PathMetric metric, bool normalized) {
  const auto n = static_cast<std::size_t>(g.num_nodes());
  const double inf = std::numeric_limits<double>::infinity();
  std::vector<double> d(n * n, inf), sigma(n * n, 0.0);
  for (std::size_t s = 0; s < n; ++s) {
    // Dijkstra-free: lengths are small graphs; use repeated relaxation in settle order.
    std::vector<char> done(n, 0);
    d[s * n + s] = 0;
    sigma[s * n + s] = 1;
    for (std::size_t round = 0; round < n; ++round) {
      std::size_t u = n;
      for (std::size_t v = 0; v < n; ++v)
        if (!done[v] && d[s * n + v] < inf && (u == n || d[s * n + v] < d[s * n + u])) u = v;
      if (u == n) break;
      done[u] = 1;
      const auto row = g.neighbors(static_cast<NodeId>(u));
      const auto w = g.edge_weights(static_cast<NodeId>(u));
      for (std::size_t e = 0; e < row.size(); ++e) {
        const auto v = static_cast<std::size_t>(row[e]);
        if (done[v]) continue;
        const double through = d[s * n + u] + edge_length(w[e], metric);
        if (through < d[s * n + v]) {
          d[s * n + v] = through;
          sigma[s * n + v] = sigma[s * n + u];
        } else if (through == d[s * n + v]) {
          sigma[s * n + v] += sigma[s * n + u];
        }
      }
    }
  }
  std::vector<double> b(n, 0.0);
  for (std::size_t s = 0; s < n; ++s)
    for (std::size_t t = s + 1; t < n; ++t) {
      if (d[s * n + t] == inf) continue;
      for (std::size_t v = 0; v < n; ++v) {
        if (v == s || v == t) continue;
        if (std::fabs(d[s * n + v] + d[v * n + t] - d[s * n + t]) <= 1e-12 * std::max(1.0, d[s * n + t]))
          b[v] += sigma[s * n + v] * sigma[v * n + t] / sigma[s * n + t];
      }
    }
  if (normalized && n > 2)
    for (auto& x : b) x *= 2.0 / (static_cast<double>(n - 1) * static_cast<double>(n - 2));
  return b;
}

TEST(Betweenness, ExactAgainstDefinition) {
  for (std::uint64_t seed = 1; seed <= 5; ++seed) {
    const CsrGraph g = fixtures::random_graph(35, seed % 2 ? 0.08 : 0.15, seed, 2);
    for (const PathMetric metric : {PathMetric::Hops, PathMetric::Weighted})
      for (const bool normalized : {true, false}) {
        Betweenness bc(g, {.normalized = normalized, .metric = metric});
        bc.run();
        EXPECT_TRUE(bc.exact());
        const auto expected = betweenness_by_definition(g, metric, normalized);
        for (std::size_t v = 0; v < expected.size(); ++v)
          EXPECT_NEAR(bc.scores()[v], expected[v], 1e-9 * std::max(1.0, expected[v])) << "node " << v;
      }
  }
}

TEST(Betweenness, SampledIsExactAtFullSampleAndUnbiasedOtherwise) {
  const CsrGraph g = fixtures::random_graph(60, 0.1, 21, 10);
  Betweenness exact(g);
  exact.run();
  Betweenness full(g, {.samples = 1000, .seed = 5});
  full.run();
  EXPECT_TRUE(full.exact());
  EXPECT_EQ(full.sources(), 60);  // the 10 isolated nodes are never sources
  for (std::size_t v = 0; v < exact.scores().size(); ++v) EXPECT_NEAR(full.scores()[v], exact.scores()[v], 1e-12);
  // Averaging many half-size samples approaches the exact values.
  std::vector<double> mean(exact.scores().size(), 0.0);
  const int repeats = 60;
  for (int r = 0; r < repeats; ++r) {
    Betweenness sampled(g, {.samples = 30, .seed = static_cast<std::uint64_t>(r)});
    sampled.run();
    EXPECT_FALSE(sampled.exact());
    for (std::size_t v = 0; v < mean.size(); ++v) mean[v] += sampled.scores()[v] / repeats;
  }
  double total_error = 0, total = 0;
  for (std::size_t v = 0; v < mean.size(); ++v) {
    total_error += std::fabs(mean[v] - exact.scores()[v]);
    total += exact.scores()[v];
  }
  EXPECT_LT(total_error / total, 0.05);
  EXPECT_THROW(Betweenness(g, {.samples = -1}), UsageError);
}

TEST(Betweenness, SameForAnyThreadCount) {
  const CsrGraph g = fixtures::random_graph(70, 0.08, 3, 0);
  std::vector<double> reference;
  for (int threads = 1; threads <= 3; ++threads) {
    omp_set_num_threads(threads);
    Betweenness bc(g);
    bc.run();
    if (reference.empty()) reference = bc.scores();
    for (std::size_t v = 0; v < reference.size(); ++v) EXPECT_NEAR(bc.scores()[v], reference[v], 1e-12 * std::max(1.0, reference[v]));
  }
  omp_set_num_threads(2);
}

}  // namespace
}  // namespace coact::graph
