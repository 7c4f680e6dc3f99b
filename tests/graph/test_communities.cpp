// Community detection: label propagation (networkx's semi-synchronous rule), Louvain and
// modularity on hand-built graphs with known answers and planted partitions; results must not
// depend on the thread count. (The Python test checks both against networkx itself.)
#include <gtest/gtest.h>
#include <omp.h>

#include <set>
#include <stdexcept>

#include "analytics_fixtures.h"
#include "coact/core/errors.h"
#include "coact/graph/community_summary.h"
#include "coact/graph/label_propagation.h"
#include "coact/graph/louvain.h"
#include "coact/graph/modularity.h"
#include "coact/graph/partition_agreement.h"

namespace coact::graph {
namespace {

std::vector<std::int64_t> planted_labels(NodeId groups, NodeId size) {
  std::vector<std::int64_t> labels;
  for (NodeId g = 0; g < groups; ++g)
    for (NodeId i = 0; i < size; ++i) labels.push_back(g);
  return labels;
}

// Modularity straight from its definition: (1/2m) Σ_ij [A_ij − γ k_i k_j / 2m] δ(c_i, c_j).
double modularity_by_definition(const CsrGraph& g, const std::vector<std::int64_t>& c, EdgeWeighting weighting, double gamma) {
  const std::int64_t n = g.num_nodes();
  std::vector<double> k(static_cast<std::size_t>(n), 0.0);
  std::vector<double> a(static_cast<std::size_t>(n * n), 0.0);
  double twice_m = 0;
  for (NodeId u = 0; u < n; ++u)
    for (std::int64_t e = g.indptr()[u]; e < g.indptr()[u + 1]; ++e) {
      const double w = edge_value(g, e, weighting);
      a[static_cast<std::size_t>(u * n + g.indices()[static_cast<std::size_t>(e)])] = w;
      k[static_cast<std::size_t>(u)] += w;
      twice_m += w;
    }
  double q = 0;
  for (std::int64_t i = 0; i < n; ++i)
    for (std::int64_t j = 0; j < n; ++j)
      if (c[static_cast<std::size_t>(i)] == c[static_cast<std::size_t>(j)])
        q += a[static_cast<std::size_t>(i * n + j)] - gamma * k[static_cast<std::size_t>(i)] * k[static_cast<std::size_t>(j)] / twice_m;
  return q / twice_m;
}

TEST(Modularity, AgreesWithTheDefinition) {
  for (std::uint64_t seed = 1; seed <= 4; ++seed) {
    const CsrGraph g = fixtures::random_graph(30, 0.2, seed, 2);
    std::vector<std::int64_t> c(static_cast<std::size_t>(g.num_nodes()));
    for (std::size_t i = 0; i < c.size(); ++i) c[i] = static_cast<std::int64_t>((i * 7 + seed) % 4);
    for (const auto w : {EdgeWeighting::Unit, EdgeWeighting::Weight, EdgeWeighting::Count})
      for (const double gamma : {1.0, 0.5, 2.0})
        EXPECT_NEAR(modularity(g, c, w, gamma), modularity_by_definition(g, c, w, gamma), 1e-12);
  }
  const CsrGraph empty = CsrGraph::from_weighted_edges(3, std::vector<WeightedEdge>{});
  EXPECT_EQ(modularity(empty, std::vector<std::int64_t>{0, 1, 2}, EdgeWeighting::Unit), 0.0);
  EXPECT_THROW(modularity(empty, std::vector<std::int64_t>{0, 1}, EdgeWeighting::Unit), InputError);
}

TEST(LabelPropagation, TwoCliquesAndIsolatedNodes) {
  const CsrGraph cliques = fixtures::two_cliques(6);
  LabelPropagation lpa(cliques);
  EXPECT_THROW(static_cast<void>(lpa.community_of()), std::logic_error);
  lpa.run();
  EXPECT_EQ(lpa.num_communities(), 2);
  const auto& c = lpa.community_of();
  for (NodeId u = 0; u < 12; ++u) EXPECT_EQ(c[static_cast<std::size_t>(u)], u < 6 ? 0 : 1);

  const CsrGraph isolated = CsrGraph::from_weighted_edges(4, std::vector<WeightedEdge>{{1, 2, 1, 0.5}});
  LabelPropagation small(isolated);
  small.run();
  EXPECT_EQ(small.community_of(), (std::vector<std::int64_t>{0, 1, 1, 2}));
}

TEST(LabelPropagation, GreedyColoringIsProperAndLargestFirst) {
  const CsrGraph g = fixtures::random_graph(60, 0.15, 5, 4);
  const auto color = greedy_coloring_largest_first(g);
  for (NodeId u = 0; u < g.num_nodes(); ++u)
    for (const NodeId v : g.neighbors(u)) EXPECT_NE(color[static_cast<std::size_t>(u)], color[static_cast<std::size_t>(v)]);
  // The node of largest degree (lowest id among ties) is coloured first: colour 0.
  NodeId first = 0;
  for (NodeId u = 1; u < g.num_nodes(); ++u)
    if (g.degree(u) > g.degree(first)) first = u;
  EXPECT_EQ(color[static_cast<std::size_t>(first)], 0);
}

TEST(LabelPropagation, SameResultForAnyThreadCount) {
  const CsrGraph g = fixtures::planted_partition(6, 40, 0.5, 0.005, 7);
  std::vector<std::int64_t> reference;
  for (int threads = 1; threads <= 3; ++threads) {
    omp_set_num_threads(threads);
    LabelPropagation lpa(g);
    lpa.run();
    if (reference.empty()) reference = lpa.community_of();
    EXPECT_EQ(lpa.community_of(), reference) << threads << " threads";
  }
  omp_set_num_threads(2);
  // A clear planted partition is found.
  EXPECT_GT(adjusted_rand_index(planted_labels(6, 40), reference), 0.9);
}

TEST(Louvain, TwoCliquesAndOptions) {
  const CsrGraph g = fixtures::two_cliques(8);
  Louvain louvain(g, {.seed = 3});
  EXPECT_THROW(static_cast<void>(louvain.modularity()), std::logic_error);
  louvain.run();
  EXPECT_EQ(louvain.num_communities(), 2);
  EXPECT_NEAR(louvain.modularity(), modularity(g, louvain.community_of(), EdgeWeighting::Weight), 1e-15);
  EXPECT_THROW(Louvain(g, {.resolution = 0}), UsageError);
  EXPECT_THROW(Louvain(g, {.threshold = -1}), UsageError);
  const CsrGraph negative = CsrGraph::from_weighted_edges(2, std::vector<WeightedEdge>{{0, 1, 1, -0.5}});
  EXPECT_THROW(Louvain(negative, {.weighting = EdgeWeighting::Weight}), InputError);
  EXPECT_NO_THROW(Louvain(negative, {.weighting = EdgeWeighting::Unit}));
  // No edges: every node alone.
  const CsrGraph empty = CsrGraph::from_weighted_edges(3, std::vector<WeightedEdge>{});
  Louvain alone(empty);
  alone.run();
  EXPECT_EQ(alone.community_of(), (std::vector<std::int64_t>{0, 1, 2}));
}

TEST(Louvain, RefinementAndTrialsOnlyRaiseModularity) {
  // On structureless random graphs one order is a noisy draw: refinement rounds start from the
  // partition found and can only raise modularity, and more orders keep the best.
  for (std::uint64_t seed = 1; seed <= 4; ++seed) {
    const CsrGraph g = fixtures::random_graph(60, 0.3, seed);
    const auto q = [&](std::int64_t trials, std::int64_t rounds) {
      Louvain louvain(g, {.seed = seed, .refinement_rounds = rounds, .trials = trials});
      louvain.run();
      EXPECT_EQ(louvain.trials(), trials == 0 ? 32 : trials);  // 60 nodes: the size rule's maximum
      return louvain.modularity();
    };
    const double plain = q(1, 0), refined = q(1, 4), best = q(8, 4), automatic = q(0, 4);
    EXPECT_GE(refined, plain - 1e-12) << "seed " << seed;
    EXPECT_GE(best, refined - 1e-12) << "seed " << seed;
    EXPECT_GE(automatic, best - 1e-12) << "seed " << seed;
  }
  const CsrGraph g = fixtures::two_cliques(4);
  EXPECT_THROW(Louvain(g, {.trials = -1}), UsageError);
  EXPECT_THROW(Louvain(g, {.refinement_rounds = -1}), UsageError);
}

TEST(Louvain, PlantedPartitionsAndDeterminism) {
  for (std::uint64_t seed = 1; seed <= 3; ++seed) {
    const CsrGraph g = fixtures::planted_partition(8, 30, 0.4, 0.02, seed);
    std::vector<std::int64_t> reference;
    for (int threads = 1; threads <= 3; ++threads) {
      omp_set_num_threads(threads);
      Louvain louvain(g, {.seed = seed, .weighting = EdgeWeighting::Unit});
      louvain.run();
      if (reference.empty()) reference = louvain.community_of();
      EXPECT_EQ(louvain.community_of(), reference) << threads << " threads";
    }
    omp_set_num_threads(2);
    EXPECT_GT(adjusted_rand_index(planted_labels(8, 30), reference), 0.95) << "seed " << seed;
    // Modularity at least that of the planted partition (up to the heuristic's slack).
    EXPECT_GE(modularity(g, reference, EdgeWeighting::Unit), modularity(g, planted_labels(8, 30), EdgeWeighting::Unit) - 1e-3);
  }
}

TEST(Louvain, HigherResolutionGivesMoreCommunities) {
  const CsrGraph g = fixtures::planted_partition(4, 50, 0.3, 0.05, 9);
  Louvain coarse(g, {.resolution = 0.3, .seed = 1});
  Louvain fine(g, {.resolution = 3.0, .seed = 1});
  coarse.run();
  fine.run();
  EXPECT_LT(coarse.num_communities(), fine.num_communities());
}

TEST(PartitionAgreement, KnownValues) {
  using V = std::vector<std::int64_t>;
  // sklearn.metrics documentation examples.
  EXPECT_DOUBLE_EQ(adjusted_rand_index(V{0, 0, 1, 1}, V{1, 1, 0, 0}), 1.0);
  EXPECT_NEAR(adjusted_rand_index(V{0, 0, 1, 1}, V{0, 0, 1, 2}), 0.5714285714285714, 1e-15);
  EXPECT_NEAR(adjusted_rand_index(V{0, 0, 0, 0}, V{0, 1, 2, 3}), 0.0, 1e-15);
  EXPECT_NEAR(adjusted_rand_index(V{0, 0, 1, 1}, V{0, 1, 0, 1}), -0.5, 1e-15);
  EXPECT_DOUBLE_EQ(normalized_mutual_information(V{0, 0, 1, 1}, V{1, 1, 0, 0}), 1.0);
  EXPECT_NEAR(normalized_mutual_information(V{0, 0, 1, 1}, V{0, 0, 1, 2}), 0.8, 1e-15);
  EXPECT_EQ(normalized_mutual_information(V{0, 0, 0, 0}, V{0, 1, 2, 3}), 0.0);
  EXPECT_EQ(normalized_mutual_information(V{3, 3, 3}, V{5, 5, 5}), 1.0);
  EXPECT_THROW(adjusted_rand_index(V{0}, V{0, 1}), InputError);
}

TEST(CommunitySummary, SizesDensityAndTopFeatures) {
  const CsrGraph g = fixtures::two_cliques(4);  // 8 nodes; nodes 3 and 4 have degree 4
  const std::vector<std::int64_t> c{0, 0, 0, 0, 1, 1, 1, 2};
  const CommunitySummary s = summarise_communities(g, c, 2);
  EXPECT_EQ(s.communities, 3);
  EXPECT_EQ(s.singletons, 1);
  EXPECT_EQ(s.largest, 4);
  ASSERT_EQ(s.by_size.size(), 3u);
  EXPECT_EQ(s.by_size[0].id, 0);
  EXPECT_EQ(s.by_size[0].internal_edges, 6);
  EXPECT_DOUBLE_EQ(s.by_size[0].density, 1.0);
  EXPECT_EQ(s.by_size[0].top_features, (std::vector<NodeId>{3, 0}));
  EXPECT_EQ(s.by_size[1].internal_edges, 3);
  EXPECT_EQ(s.by_size[1].top_features, (std::vector<NodeId>{4, 5}));
  EXPECT_EQ(s.by_size[2].density, 0.0);
  EXPECT_EQ(s.size_bins, (std::vector<std::int64_t>{1, 1, 1}));  // sizes 1 | 3 | 4
  EXPECT_THROW(summarise_communities(g, std::vector<std::int64_t>{0}, 2), InputError);
}

}  // namespace
}  // namespace coact::graph
