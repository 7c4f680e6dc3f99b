// Graph algorithms: tiny hand-built graphs with known answers, then random graphs of several
// shapes against plain references (brute-force triangles over all triples, a union-find), for
// 1 to 3 threads and both triangle-counter strategies.
#include <gtest/gtest.h>
#include <omp.h>

#include <cmath>
#include <numeric>
#include <random>
#include <stdexcept>

#include "coact/core/errors.h"
#include "coact/graph/connected_components.h"
#include "coact/graph/degree_histogram.h"
#include "coact/graph/graph_statistics.h"
#include "coact/graph/local_clustering.h"
#include "coact/graph/node_statistics.h"

namespace coact::graph {
namespace {

// Triangle 0-1-2 with a tail 2-3, a separate edge 4-5, and node 6 isolated.
CsrGraph small_graph() {
  const std::vector<WeightedEdge> edges{
      {0, 1, 1, 0.5}, {0, 2, 2, 0.25}, {1, 2, 1, 1.0}, {2, 3, 5, -0.5}, {4, 5, 1, 2.0}};
  return CsrGraph::from_weighted_edges(7, edges);
}

CsrGraph complete_graph(NodeId n) {
  std::vector<WeightedEdge> edges;
  for (NodeId i = 0; i < n; ++i)
    for (NodeId j = i + 1; j < n; ++j) edges.push_back({i, j, 1, 1.0});
  return CsrGraph::from_weighted_edges(n, edges);
}

TEST(ConnectedComponents, SmallGraph) {
  const CsrGraph g = small_graph();
  ConnectedComponents cc(g);
  cc.run();
  EXPECT_EQ(cc.num_components(), 3);
  EXPECT_EQ(cc.component_of(), (std::vector<std::int64_t>{0, 0, 0, 0, 1, 1, 2}));
  EXPECT_EQ(cc.sizes(), (std::vector<std::int64_t>{4, 2, 1}));
  EXPECT_EQ(cc.largest_size(), 4);
  EXPECT_EQ(cc.distinct_sizes(), (std::vector<std::int64_t>{1, 2, 4}));
}

TEST(ConnectedComponents, IdsFollowEachComponentsSmallestNode) {
  // Node 0 isolated, then {1, 4}, then {2, 3}: ids by smallest node, not by size or edge order.
  const std::vector<WeightedEdge> edges{{3, 2, 1, 1.0}, {4, 1, 1, 1.0}};
  const CsrGraph g = CsrGraph::from_weighted_edges(5, edges);
  ConnectedComponents cc(g);
  cc.run();
  EXPECT_EQ(cc.component_of(), (std::vector<std::int64_t>{0, 1, 2, 2, 1}));
  EXPECT_EQ(cc.distinct_sizes(), (std::vector<std::int64_t>{1, 2}));
}

TEST(ConnectedComponents, EmptyGraph) {
  const CsrGraph g;
  ConnectedComponents cc(g);
  cc.run();
  EXPECT_EQ(cc.num_components(), 0);
  EXPECT_EQ(cc.largest_size(), 0);
  EXPECT_TRUE(cc.distinct_sizes().empty());
}

TEST(LocalClustering, SmallGraph) {
  const CsrGraph g = small_graph();
  LocalClustering lc(g);
  lc.run();
  EXPECT_EQ(lc.triangles(), (std::vector<std::int64_t>{1, 1, 1, 0, 0, 0, 0}));
  EXPECT_EQ(lc.total_triangles(), 1);
  const std::vector<double> expected{1.0, 1.0, 2.0 / 6.0, 0.0, 0.0, 0.0, 0.0};
  EXPECT_EQ(lc.clustering(), expected);
  EXPECT_EQ(lc.average(), (1.0 + 1.0 + 2.0 / 6.0) / 7.0);
}

TEST(LocalClustering, CompleteGraphs) {
  for (NodeId n : {3, 4, 9}) {
    const CsrGraph g = complete_graph(n);
    LocalClustering lc(g);
    lc.run();
    EXPECT_EQ(lc.total_triangles(), std::int64_t{n} * (n - 1) * (n - 2) / 6);
    for (const double c : lc.clustering()) EXPECT_EQ(c, 1.0);
    EXPECT_EQ(lc.average(), 1.0);
  }
}

TEST(LocalClustering, CoefficientFormula) {
  EXPECT_EQ(clustering_coefficient(0, 5), 0.0);
  EXPECT_EQ(clustering_coefficient(0, 1), 0.0);
  EXPECT_EQ(clustering_coefficient(3, 4), 0.5);
  EXPECT_EQ(clustering_coefficient(1, 3), 1.0 / 3.0);
}

TEST(NodeStatistics, SmallGraph) {
  const CsrGraph g = small_graph();
  NodeStatistics ns(g);
  ns.run();
  EXPECT_EQ(ns.degree(), (std::vector<std::int64_t>{2, 2, 3, 1, 1, 1, 0}));
  const std::vector<double> strength{(0.5 + 0.25) / 2, (0.5 + 1.0) / 2, (0.25 + 1.0 - 0.5) / 3, -0.5, 2.0, 2.0, 0.0};
  EXPECT_EQ(ns.strength(), strength);
  const std::vector<double> mean_neighbor{5.0 / 2, 5.0 / 2, 5.0 / 3, 3.0, 1.0, 1.0, 0.0};
  EXPECT_EQ(ns.mean_neighbor_degree(), mean_neighbor);
}

TEST(DegreeHistogram, SmallGraph) {
  const CsrGraph g = small_graph();
  DegreeHistogram h(g);
  h.run();
  EXPECT_EQ(h.counts(), (std::vector<std::int64_t>{1, 3, 2, 1}));
  EXPECT_EQ(h.max_degree(), 3);
}

TEST(GraphStatistics, SmallGraph) {
  const CsrGraph g = small_graph();
  const std::vector<double> frequency{0.5, 0.2, 0.3, 0.1, 0.0, 0.1, 0.05};
  GraphStatistics stats(g, frequency);
  stats.run();
  const GraphSummary& s = stats.summary();
  EXPECT_EQ(s.nodes, 7);
  EXPECT_EQ(s.edges, 5);
  EXPECT_EQ(s.average_degree, 10.0 / 7.0);
  EXPECT_EQ(s.density, 5.0 / 42.0 * 2.0);
  EXPECT_EQ(s.components, 3);
  EXPECT_EQ(s.largest_component, 4);
  EXPECT_EQ(s.component_sizes, (std::vector<std::int64_t>{1, 2, 4}));
  EXPECT_EQ(s.average_clustering, (1.0 + 1.0 + 2.0 / 6.0) / 7.0);
  // Pearson of degrees {2,2,3,1,1,1,0} and the frequencies: the textbook sums, and numpy's value.
  const std::vector<double> degree{2, 2, 3, 1, 1, 1, 0};
  double mx = 10.0 / 7, my = 1.25 / 7, sxy = 0, sxx = 0, syy = 0;
  for (int u = 0; u < 7; ++u) {
    sxy += (degree[u] - mx) * (frequency[u] - my);
    sxx += (degree[u] - mx) * (degree[u] - mx);
    syy += (frequency[u] - my) * (frequency[u] - my);
  }
  EXPECT_NEAR(s.pearson_degree_frequency, sxy / std::sqrt(sxx * syy), 1e-15);
  EXPECT_NEAR(s.pearson_degree_frequency, 0.7056967961720458, 1e-12);
}

TEST(GraphStatistics, NoFrequenciesNoEdgesNoNodes) {
  const CsrGraph isolated = CsrGraph::from_edge_sums(3, {});
  GraphStatistics stats(isolated);
  stats.run();
  EXPECT_EQ(stats.summary().density, 0.0);
  EXPECT_EQ(stats.summary().components, 3);
  EXPECT_EQ(stats.summary().component_sizes, (std::vector<std::int64_t>{1}));
  EXPECT_TRUE(std::isnan(stats.summary().pearson_degree_frequency));

  const CsrGraph none;
  GraphStatistics empty(none);
  empty.run();
  EXPECT_EQ(empty.summary().nodes, 0);
  EXPECT_EQ(empty.summary().average_degree, 0.0);
  EXPECT_EQ(empty.summary().average_clustering, 0.0);
}

TEST(GraphStatistics, FrequencyLengthIsChecked) {
  const CsrGraph g = small_graph();
  const std::vector<double> too_short{0.1, 0.2};
  EXPECT_THROW(GraphStatistics(g, too_short), InputError);
}

TEST(Pearson, KnownValues) {
  const std::vector<double> x{1, 2, 3};
  EXPECT_DOUBLE_EQ(pearson_correlation(x, std::vector<double>{2, 4, 6}), 1.0);
  EXPECT_DOUBLE_EQ(pearson_correlation(x, std::vector<double>{3, 2, 1}), -1.0);
  EXPECT_TRUE(std::isnan(pearson_correlation(x, std::vector<double>{5, 5, 5})));
  EXPECT_TRUE(std::isnan(pearson_correlation(std::vector<double>{1}, std::vector<double>{2})));
  EXPECT_THROW(pearson_correlation(x, std::vector<double>{1, 2}), InputError);
}

TEST(Algorithms, GettersRefuseBeforeRun) {
  const CsrGraph g = small_graph();
  EXPECT_THROW(ConnectedComponents(g).num_components(), std::logic_error);
  EXPECT_THROW(LocalClustering(g).clustering(), std::logic_error);
  EXPECT_THROW(LocalClustering(g).average(), std::logic_error);
  EXPECT_THROW(NodeStatistics(g).degree(), std::logic_error);
  EXPECT_THROW(DegreeHistogram(g).counts(), std::logic_error);
  EXPECT_THROW(GraphStatistics(g).summary(), std::logic_error);
  ConnectedComponents cc(g);
  EXPECT_FALSE(cc.has_run());
  cc.run();
  EXPECT_TRUE(cc.has_run());
}

// ---- random graphs against plain references --------------------------------------------

struct Shape {
  const char* name;
  NodeId nodes;
  NodeId active;     // nodes [0, active) get edges; the rest stay isolated
  double edge_prob;  // within a block
  NodeId blocks;     // active nodes split into this many blocks: separate components
};

CsrGraph random_graph(const Shape& shape, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> uniform(0.0, 1.0);
  std::vector<EdgeSum> edges;
  const NodeId block = std::max<NodeId>(1, shape.active / shape.blocks);
  for (NodeId i = 0; i < shape.active; ++i)
    for (NodeId j = i + 1; j < shape.active; ++j)
      if (i / block == j / block && uniform(rng) < shape.edge_prob) {
        // Shuffled orientation and a duplicate now and then, as accumulation produces.
        const bool flip = uniform(rng) < 0.5;
        edges.push_back({flip ? j : i, flip ? i : j, 1, uniform(rng)});
        if (uniform(rng) < 0.2) edges.push_back({i, j, 2, uniform(rng)});
      }
  std::shuffle(edges.begin(), edges.end(), rng);
  return CsrGraph::from_edge_sums(shape.nodes, edges);
}

std::vector<std::vector<bool>> adjacency(const CsrGraph& g) {
  const auto n = static_cast<std::size_t>(g.num_nodes());
  std::vector<std::vector<bool>> a(n, std::vector<bool>(n, false));
  for (std::size_t u = 0; u < n; ++u)
    for (const NodeId v : g.neighbors(static_cast<NodeId>(u))) a[u][static_cast<std::size_t>(v)] = true;
  return a;
}

std::vector<std::int64_t> reference_triangles(const CsrGraph& g) {
  const auto a = adjacency(g);
  const auto n = a.size();
  std::vector<std::int64_t> t(n, 0);
  for (std::size_t i = 0; i < n; ++i)
    for (std::size_t j = i + 1; j < n; ++j)
      if (a[i][j])
        for (std::size_t k = j + 1; k < n; ++k)
          if (a[i][k] && a[j][k]) ++t[i], ++t[j], ++t[k];
  return t;
}

std::vector<std::int64_t> reference_components(const CsrGraph& g) {
  const auto n = static_cast<std::size_t>(g.num_nodes());
  std::vector<std::size_t> parent(n);
  std::iota(parent.begin(), parent.end(), std::size_t{0});
  const auto find = [&](std::size_t x) {
    while (parent[x] != x) x = parent[x] = parent[parent[x]];
    return x;
  };
  for (std::size_t u = 0; u < n; ++u)
    for (const NodeId v : g.neighbors(static_cast<NodeId>(u))) {
      const auto a = find(u), b = find(static_cast<std::size_t>(v));
      parent[std::max(a, b)] = std::min(a, b);  // the root stays the smallest node
    }
  // Number components by first appearance in node order.
  std::vector<std::int64_t> id_of_root(n, -1), component(n);
  std::int64_t next = 0;
  for (std::size_t u = 0; u < n; ++u) {
    const auto root = find(u);
    if (id_of_root[root] < 0) id_of_root[root] = next++;
    component[u] = id_of_root[root];
  }
  return component;
}

class RandomGraphs : public ::testing::TestWithParam<Shape> {};

TEST_P(RandomGraphs, MatchPlainReferencesForAnyThreadCountAndCounterKind) {
  const Shape shape = GetParam();
  const int saved_threads = omp_get_max_threads();
  for (std::uint64_t seed = 1; seed <= 3; ++seed) {
    const CsrGraph g = random_graph(shape, seed);
    const auto triangles = reference_triangles(g);
    const auto component = reference_components(g);
    const auto n = static_cast<std::size_t>(g.num_nodes());
    double clustering_sum = 0.0;
    std::vector<double> clustering(n);
    for (std::size_t u = 0; u < n; ++u) {
      const std::int64_t d = g.degree(static_cast<NodeId>(u));
      clustering[u] = d < 2 ? 0.0 : static_cast<double>(2 * triangles[u]) / static_cast<double>(d * (d - 1));
      clustering_sum += clustering[u];
    }
    for (int threads : {1, 2, 3}) {
      omp_set_num_threads(threads);
      for (auto counters : {LocalClustering::Counters::PerThread, LocalClustering::Counters::Atomic}) {
        LocalClustering lc(g, counters);
        lc.run();
        EXPECT_EQ(lc.triangles(), triangles) << shape.name << " seed " << seed << " threads " << threads;
        EXPECT_EQ(lc.clustering(), clustering);
        EXPECT_EQ(lc.average(), n ? clustering_sum / static_cast<double>(n) : 0.0);
      }
      ConnectedComponents cc(g);
      cc.run();
      EXPECT_EQ(cc.component_of(), component) << shape.name << " seed " << seed;
    }
    omp_set_num_threads(saved_threads);
  }
}

INSTANTIATE_TEST_SUITE_P(Shapes, RandomGraphs,
                         ::testing::Values(Shape{"sparse", 60, 60, 0.05, 1}, Shape{"dense", 40, 40, 0.6, 1},
                                           Shape{"isolated_tail", 80, 50, 0.2, 1},
                                           Shape{"three_blocks", 90, 90, 0.3, 3}, Shape{"complete", 25, 25, 1.0, 1},
                                           Shape{"no_edges", 10, 10, 0.0, 1}),
                         [](const auto& param_info) { return std::string(param_info.param.name); });

}  // namespace
}  // namespace coact::graph
