// CsrGraph: the builders (merging duplicates, symmetric output, bad edges) and the validating
// constructor (every way adopted arrays can be malformed).
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <random>

#include "coact/core/errors.h"
#include "coact/graph/csr_graph.h"

namespace coact::graph {
namespace {

template <class Fn>
std::string input_error_of(const Fn& fn) {
  try {
    fn();
  } catch (const InputError& e) {
    return e.what();
  }
  return "(no InputError)";
}

TEST(CsrBuilder, MergesDuplicatesInEitherOrientationAndSortsRows) {
  const std::vector<EdgeSum> edges{{2, 1, 1, 0.3}, {0, 1, 2, 1.0}, {1, 0, 1, 0.5}, {3, 0, 4, 2.0}};
  const CsrGraph g = CsrGraph::from_edge_sums(5, edges);
  EXPECT_EQ(g.num_nodes(), 5);
  EXPECT_EQ(g.num_edges(), 3);
  EXPECT_EQ(g.indptr(), (std::vector<std::int64_t>{0, 2, 4, 5, 6, 6}));
  EXPECT_EQ(g.indices(), (std::vector<NodeId>{1, 3, 0, 2, 1, 0}));
  EXPECT_EQ(g.counts(), (std::vector<std::int64_t>{3, 4, 3, 1, 1, 4}));
  // weight = weight_sum / count: (1.0 + 0.5) / 3, 2 / 4, 0.3 / 1.
  EXPECT_EQ(g.weights(), (std::vector<double>{0.5, 0.5, 0.5, 0.3, 0.3, 0.5}));
  EXPECT_EQ(g.degree(0), 2);
  EXPECT_EQ(g.degree(4), 0);
  EXPECT_EQ(std::vector<NodeId>(g.neighbors(1).begin(), g.neighbors(1).end()), (std::vector<NodeId>{0, 2}));
}

TEST(CsrBuilder, FinalWeightsKeepLoneWeightsAndMergeByCountWeightedMean) {
  const std::vector<WeightedEdge> edges{{0, 1, 2, 0.5}, {1, 0, 1, 0.8}, {1, 2, 3, 0.1}};
  const CsrGraph g = CsrGraph::from_weighted_edges(3, edges);
  ASSERT_EQ(g.num_edges(), 2);
  EXPECT_EQ(g.edge_counts(0)[0], 3);
  EXPECT_DOUBLE_EQ(g.edge_weights(0)[0], (2 * 0.5 + 1 * 0.8) / 3);
  // 0.1 * 3 / 3 != 0.1 in binary; a pair given once must keep its weight bit for bit.
  EXPECT_EQ(g.edge_weights(2)[0], 0.1);
  EXPECT_EQ(g.edge_counts(2)[0], 3);
}

TEST(CsrBuilder, ManyDuplicatesGiveABitwiseSymmetricGraph) {
  std::mt19937_64 rng(7);
  std::uniform_int_distribution<NodeId> node(0, 39);
  std::uniform_real_distribution<double> weight(0.0, 1.0);
  std::vector<EdgeSum> edges;
  for (int k = 0; k < 5000; ++k) {
    const NodeId i = node(rng), j = node(rng);
    if (i != j) edges.push_back({i, j, 1 + k % 3, weight(rng)});
  }
  const CsrGraph built = CsrGraph::from_edge_sums(40, edges);
  // The validating constructor checks symmetry of indices, counts and (bitwise) weights.
  EXPECT_NO_THROW(CsrGraph(built.indptr(), built.indices(), built.counts(), built.weights()));
  std::int64_t total = 0;
  for (const auto& e : edges) total += e.count;
  std::int64_t stored = 0;
  for (const auto c : built.counts()) stored += c;
  EXPECT_EQ(stored, 2 * total);
}

TEST(CsrBuilder, EmptyInputs) {
  const CsrGraph none = CsrGraph::from_edge_sums(0, {});
  EXPECT_EQ(none.num_nodes(), 0);
  EXPECT_EQ(none.num_edges(), 0);
  const CsrGraph isolated = CsrGraph::from_edge_sums(4, {});
  EXPECT_EQ(isolated.num_nodes(), 4);
  EXPECT_EQ(isolated.indptr(), (std::vector<std::int64_t>(5, 0)));
  EXPECT_EQ(CsrGraph().num_nodes(), 0);
}

TEST(CsrBuilder, RejectsBadEdgesWithClearMessages) {
  const auto build = [](std::int64_t n, std::vector<EdgeSum> edges) {
    return input_error_of([&] { CsrGraph::from_edge_sums(n, edges); });
  };
  EXPECT_NE(build(3, {{0, 1, 1, 0.1}, {1, 3, 1, 0.1}}).find("edge 1 (1, 3) has an endpoint outside [0, 3)"),
            std::string::npos);
  EXPECT_NE(build(3, {{-1, 1, 1, 0.1}}).find("outside [0, 3)"), std::string::npos);
  EXPECT_NE(build(3, {{2, 2, 1, 0.1}}).find("edge 0 is a self loop on node 2"), std::string::npos);
  EXPECT_NE(build(3, {{0, 2, 0, 0.1}}).find("has count 0, expected at least 1"), std::string::npos);
  EXPECT_NE(build(3, {{0, 2, 1, std::nan("")}}).find("weight sum nan, expected a finite number"), std::string::npos);
  EXPECT_NE(build(-1, {}).find("node count -1"), std::string::npos);
  const std::string weighted = input_error_of([] {
    const std::vector<WeightedEdge> edges{{0, 1, 1, std::numeric_limits<double>::infinity()}};
    CsrGraph::from_weighted_edges(2, edges);
  });
  EXPECT_NE(weighted.find("has weight inf"), std::string::npos) << weighted;
}

// The path 0 - 1 - 2 as valid CSR arrays, which each case below breaks in one way.
struct Arrays {
  std::vector<std::int64_t> indptr{0, 1, 3, 4};
  std::vector<NodeId> indices{1, 0, 2, 1};
  std::vector<std::int64_t> counts{2, 2, 1, 1};
  std::vector<double> weights{0.5, 0.5, 0.25, 0.25};
  std::string error() const {
    return input_error_of([&] { CsrGraph(indptr, indices, counts, weights, "g.h5:/csr/"); });
  }
};

TEST(CsrValidation, AcceptsAWellFormedGraph) {
  const Arrays a;
  const CsrGraph g(a.indptr, a.indices, a.counts, a.weights);
  EXPECT_EQ(g.num_edges(), 2);
  EXPECT_EQ(g.degree(1), 2);
}

TEST(CsrValidation, NamesTheArrayAndTheProblem) {
  const auto expect = [](const Arrays& a, const std::string& wanted) {
    const std::string message = a.error();
    EXPECT_NE(message.find(wanted), std::string::npos) << "got: " << message << "\nwanted: " << wanted;
    EXPECT_EQ(message.find('\n'), std::string::npos);
  };
  {
    Arrays a;
    a.indptr.clear();
    expect(a, "g.h5:/csr/indptr: is empty");
  }
  {
    Arrays a;
    a.indptr[0] = 1;
    expect(a, "g.h5:/csr/indptr: starts at 1, expected 0");
  }
  {
    Arrays a;
    a.indptr = {0, 3, 1, 4};
    expect(a, "g.h5:/csr/indptr: decreases at entry 2");
  }
  {
    Arrays a;
    a.indptr.back() = 3;
    expect(a, "g.h5:/csr/indptr: ends at 3 but indices has 4 entries");
  }
  {
    Arrays a;
    a.counts.pop_back();
    expect(a, "g.h5:/csr/count: has 3 entries, expected 4");
  }
  {
    Arrays a;
    a.weights.push_back(1.0);
    expect(a, "g.h5:/csr/weight: has 5 entries, expected 4");
  }
  {
    Arrays a;
    a.indices[2] = 3;
    expect(a, "g.h5:/csr/indices: entry 2 (row 1) is 3, outside [0, 3)");
  }
  {
    Arrays a;
    a.indices[2] = 1;
    expect(a, "g.h5:/csr/indices: row 1 has a self loop");
  }
  {
    Arrays a;
    a.indices[1] = 2;
    a.indices[2] = 0;
    expect(a, "g.h5:/csr/indices: row 1 is not strictly ascending at entry 2");
  }
  {
    Arrays a;
    a.counts[0] = 0;
    expect(a, "g.h5:/csr/count: entry 0 (edge 0-1) is 0, expected at least 1");
  }
  {
    Arrays a;
    a.weights[3] = std::nan("");
    expect(a, "g.h5:/csr/weight: entry 3 (edge 2-1) is nan");
  }
  {
    Arrays a;  // 0 -> 2 stored, 2 -> 0 missing (row 2 lists 1 only)
    a.indices = {2, 0, 2, 1};
    expect(a, "g.h5:/csr/indices: edge 0-2 is stored in row 0 but not in row 2");
  }
  {
    Arrays a;
    a.counts[1] = 3;
    expect(a, "g.h5:/csr/count: edge 0-1 has count 2 in row 0 but 3 in row 1");
  }
  {
    Arrays a;
    a.weights[2] = 0.75;
    expect(a, "g.h5:/csr/weight: edge 1-2 has weight 0.75 in row 1 but 0.25 in row 2");
  }
  {
    // Every upper entry has its reverse, but a lower entry has none: 2 -> 0 without 0 -> 2.
    Arrays a;
    a.indptr = {0, 1, 3, 5};
    a.indices = {1, 0, 2, 0, 1};
    a.counts = {2, 2, 1, 1, 1};
    a.weights = {0.5, 0.5, 0.25, 0.1, 0.25};
    expect(a, "g.h5:/csr/indices: edge 0-2 is stored in row 2 but not in row 0");
  }
}

}  // namespace
}  // namespace coact::graph
