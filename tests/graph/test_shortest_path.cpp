// Shortest paths and Yen's k shortest simple paths: hand-built graphs with known answers, then
// random graphs against plain references (Floyd–Warshall distances; every simple path
// enumerated by depth-first search, sorted by length).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>

#include "analytics_fixtures.h"
#include "coact/core/errors.h"
#include "coact/graph/k_shortest_paths.h"
#include "coact/graph/shortest_path.h"

namespace coact::graph {
namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

std::vector<double> floyd_warshall(const CsrGraph& g, PathMetric metric) {
  const auto n = static_cast<std::size_t>(g.num_nodes());
  std::vector<double> d(n * n, kInf);
  for (std::size_t u = 0; u < n; ++u) {
    d[u * n + u] = 0;
    const auto row = g.neighbors(static_cast<NodeId>(u));
    const auto w = g.edge_weights(static_cast<NodeId>(u));
    for (std::size_t e = 0; e < row.size(); ++e) d[u * n + static_cast<std::size_t>(row[e])] = edge_length(w[e], metric);
  }
  for (std::size_t k = 0; k < n; ++k)
    for (std::size_t i = 0; i < n; ++i)
      for (std::size_t j = 0; j < n; ++j) d[i * n + j] = std::min(d[i * n + j], d[i * n + k] + d[k * n + j]);
  return d;
}

// Every simple path from s to t with its length, shortest first.
std::vector<Path> all_simple_paths(const CsrGraph& g, NodeId s, NodeId t, PathMetric metric) {
  std::vector<Path> out;
  std::vector<NodeId> stack{s};
  std::vector<char> on(static_cast<std::size_t>(g.num_nodes()), 0);
  on[static_cast<std::size_t>(s)] = 1;
  const auto walk = [&](const auto& self, NodeId u) -> void {
    if (u == t) {
      out.push_back({stack, path_length(g, stack, metric)});
      return;
    }
    for (const NodeId v : g.neighbors(u)) {
      if (on[static_cast<std::size_t>(v)]) continue;
      on[static_cast<std::size_t>(v)] = 1;
      stack.push_back(v);
      self(self, v);
      stack.pop_back();
      on[static_cast<std::size_t>(v)] = 0;
    }
  };
  walk(walk, s);
  std::sort(out.begin(), out.end(), [](const Path& a, const Path& b) { return a.length < b.length; });
  return out;
}

TEST(ShortestPath, HopsOnAPathAndAcrossComponents) {
  const CsrGraph g = fixtures::path_graph(5);
  ShortestPath p(g, 0, 4, PathMetric::Hops);
  EXPECT_THROW(static_cast<void>(p.path()), std::logic_error);
  p.run();
  EXPECT_TRUE(p.reachable());
  EXPECT_EQ(p.length(), 4.0);
  EXPECT_EQ(p.path(), (std::vector<NodeId>{0, 1, 2, 3, 4}));

  ShortestPath same(g, 2, 2, PathMetric::Weighted);
  same.run();
  EXPECT_EQ(same.path(), (std::vector<NodeId>{2}));
  EXPECT_EQ(same.length(), 0.0);

  const CsrGraph split = CsrGraph::from_weighted_edges(4, std::vector<WeightedEdge>{{0, 1, 1, 0.5}, {2, 3, 1, 0.5}});
  ShortestPath none(split, 0, 3, PathMetric::Hops);
  none.run();
  EXPECT_FALSE(none.reachable());
  EXPECT_TRUE(none.path().empty());
  EXPECT_EQ(none.length(), kInf);
}

TEST(ShortestPath, WeightedPrefersStrongCoactivations) {
  // 0-3 directly with a weak edge (length 0.9), or 0-1-2-3 through strong ones (3 × 0.1).
  const std::vector<WeightedEdge> edges{{0, 3, 1, 0.1}, {0, 1, 1, 0.9}, {1, 2, 1, 0.9}, {2, 3, 1, 0.9}};
  const CsrGraph g = CsrGraph::from_weighted_edges(4, edges);
  ShortestPath hops(g, 0, 3, PathMetric::Hops);
  hops.run();
  EXPECT_EQ(hops.path(), (std::vector<NodeId>{0, 3}));
  ShortestPath weighted(g, 0, 3, PathMetric::Weighted);
  weighted.run();
  EXPECT_EQ(weighted.path(), (std::vector<NodeId>{0, 1, 2, 3}));
  EXPECT_NEAR(weighted.length(), 0.3, 1e-12);
}

TEST(ShortestPath, RefusesBadInput) {
  const CsrGraph g = fixtures::path_graph(3);
  EXPECT_THROW(ShortestPath(g, 0, 3, PathMetric::Hops), InputError);
  EXPECT_THROW(ShortestPath(g, -1, 2, PathMetric::Hops), InputError);
  const CsrGraph heavy = CsrGraph::from_weighted_edges(2, std::vector<WeightedEdge>{{0, 1, 1, 1.5}});
  EXPECT_NO_THROW(ShortestPath(heavy, 0, 1, PathMetric::Hops));
  EXPECT_THROW(ShortestPath(heavy, 0, 1, PathMetric::Weighted), InputError);
  EXPECT_THROW(KShortestPaths(g, 0, 2, 0, PathMetric::Hops), UsageError);
  // Rounding above 1 is length 0, not an error.
  const CsrGraph rounded = CsrGraph::from_weighted_edges(2, std::vector<WeightedEdge>{{0, 1, 1, 1.0 + 1e-12}});
  ShortestPath r(rounded, 0, 1, PathMetric::Weighted);
  r.run();
  EXPECT_EQ(r.length(), 0.0);
}

TEST(ShortestPath, RandomGraphsAgainstFloydWarshall) {
  for (std::uint64_t seed = 1; seed <= 6; ++seed) {
    const CsrGraph g = fixtures::random_graph(40, seed % 2 ? 0.08 : 0.2, seed, 3);
    for (const PathMetric metric : {PathMetric::Hops, PathMetric::Weighted}) {
      const auto d = floyd_warshall(g, metric);
      const auto n = static_cast<std::size_t>(g.num_nodes());
      for (NodeId s = 0; s < g.num_nodes(); s += 3)
        for (NodeId t = 0; t < g.num_nodes(); t += 5) {
          ShortestPath p(g, s, t, metric);
          p.run();
          const double expected = d[static_cast<std::size_t>(s) * n + static_cast<std::size_t>(t)];
          if (expected == kInf) {
            EXPECT_FALSE(p.reachable());
            continue;
          }
          ASSERT_TRUE(p.reachable()) << s << " -> " << t;
          EXPECT_NEAR(p.length(), expected, 1e-12);
          EXPECT_EQ(p.path().front(), s);
          EXPECT_EQ(p.path().back(), t);
          EXPECT_NEAR(path_length(g, p.path(), metric), expected, 1e-12);
        }
    }
  }
}

TEST(KShortestPaths, SmallGraphsAgainstEnumeration) {
  for (std::uint64_t seed = 11; seed <= 16; ++seed) {
    const CsrGraph g = fixtures::random_graph(11, 0.35, seed);
    for (const PathMetric metric : {PathMetric::Hops, PathMetric::Weighted}) {
      const NodeId s = 0, t = 10;
      const std::vector<Path> all = all_simple_paths(g, s, t, metric);
      KShortestPaths yen(g, s, t, 25, metric);
      yen.run();
      const auto& found = yen.paths();
      ASSERT_EQ(found.size(), std::min<std::size_t>(25, all.size())) << "seed " << seed;
      for (std::size_t i = 0; i < found.size(); ++i) {
        EXPECT_NEAR(found[i].length, all[i].length, 1e-12) << "path " << i;
        EXPECT_NEAR(path_length(g, found[i].nodes, metric), found[i].length, 1e-12);
        std::vector<NodeId> sorted = found[i].nodes;
        std::sort(sorted.begin(), sorted.end());
        EXPECT_EQ(std::adjacent_find(sorted.begin(), sorted.end()), sorted.end()) << "path " << i << " repeats a node";
        for (std::size_t j = 0; j < i; ++j) EXPECT_NE(found[i].nodes, found[j].nodes);
      }
      // Continuous random weights: no ties, so the paths themselves must match.
      if (metric == PathMetric::Weighted) {
        for (std::size_t i = 0; i < found.size(); ++i) EXPECT_EQ(found[i].nodes, all[i].nodes) << "path " << i;
      }
    }
  }
}

TEST(KShortestPaths, FewerPathsThanAskedAndUnreachable) {
  const CsrGraph g = fixtures::path_graph(4);
  KShortestPaths yen(g, 0, 3, 5, PathMetric::Hops);
  yen.run();
  ASSERT_EQ(yen.paths().size(), 1u);
  const CsrGraph split = CsrGraph::from_weighted_edges(3, std::vector<WeightedEdge>{{0, 1, 1, 0.5}});
  KShortestPaths none(split, 0, 2, 3, PathMetric::Weighted);
  none.run();
  EXPECT_TRUE(none.paths().empty());
  EXPECT_FALSE(none.found());
  EXPECT_TRUE(yen.found());
  EXPECT_EQ(&yen.require_paths("g.h5"), &yen.paths());
  try {
    none.require_paths("g.h5");
    FAIL() << "no NoPathError";
  } catch (const NoPathError& e) {
    EXPECT_STREQ(e.what(), "g.h5: no path from feature 0 to feature 2: they lie in different connected components");
    EXPECT_EQ(e.from(), 0);
    EXPECT_EQ(e.to(), 2);
    EXPECT_EQ(e.exit_code(), 1);
  }
  ShortestPath single(split, 2, 0, PathMetric::Hops);
  single.run();
  EXPECT_THROW(single.require_path("g.h5"), NoPathError);
}

}  // namespace
}  // namespace coact::graph
