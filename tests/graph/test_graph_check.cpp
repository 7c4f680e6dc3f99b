// describe / --check of graph files, and the root-attribute checks every reader makes.
#include <gtest/gtest.h>

#include <functional>
#include <string>

#include "coact/core/errors.h"
#include "coact/graph/graph_check.h"
#include "coact/io/h5.h"
#include "support/temp_dir.h"

namespace coact::graph {
namespace {

// Triangle 0-1-2, tail 2-3, edge 4-5, nodes 6 and 7 isolated.
CsrGraph small_graph() {
  const std::vector<EdgeSum> edges{{0, 1, 1, 0.5}, {2, 0, 2, 0.5}, {1, 2, 1, 1.0}, {2, 3, 5, 2.5}, {4, 5, 1, 0.125}};
  return CsrGraph::from_edge_sums(8, edges);
}

GraphAttributes attributes() {
  GraphAttributes a;
  a.k = 2;
  a.batch_tokens = 16;
  a.num_batches = 2;
  a.zero_policy = "positive";
  a.tokens_seen = 32;
  a.sae_file = "sae_1.h5";
  a.sae_hash = "sha256:00";
  return a;
}

std::string message_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const InputError& e) {
    return e.what();
  }
  ADD_FAILURE() << "no InputError";
  return "";
}

class GraphFileChecks : public ::testing::Test {
 protected:
  void SetUp() override {
    NodeAnalytics analytics;
    analytics.pagerank.present = true;
    analytics.pagerank.values.assign(8, 0.125);
    write_graph_file(path_, true, small_graph(), std::vector<double>{0.5, 0.25, 0.75, 0.125, 0.0, 0.0625, 0.01, 0.0},
                     std::vector<std::int64_t>{4, 2, 9, 1, 0, 1, 0, 0}, attributes(), {}, analytics);
  }
  template <class T>
  void set_attribute(const std::string& name, const T& value) {
    io::File f = io::File::open(path_, io::File::Mode::ReadWrite);
    f.attributes().set(name, value);
  }
  template <class T>
  void rewrite(const std::string& dataset, const std::function<void(std::vector<T>&)>& change) {
    io::File f = io::File::open(path_, io::File::Mode::ReadWrite);
    std::vector<T> values = f.dataset(dataset).read_all<T>();
    change(values);
    f.dataset(dataset).write<T>(values);
  }
  // The refusal of every reader: describe, --check and the loader.
  std::string refused_everywhere() {
    const std::string loaded = message_of([&] { read_graph_file(path_); });
    EXPECT_EQ(message_of([&] { describe_graph_file(path_); }), loaded);
    EXPECT_EQ(message_of([&] { check_graph_file(path_); }), loaded);
    return loaded;
  }
  testing::TempDir dir_;
  std::string path_ = dir_.file("graph_1.h5");
};

TEST_F(GraphFileChecks, DescribeSummarisesWithoutReadingEdges) {
  const GraphFileSummary s = describe_graph_file(path_);
  EXPECT_EQ(s.nodes, 8);
  EXPECT_EQ(s.edges, 5);
  EXPECT_EQ(s.isolated_nodes, 2);
  EXPECT_EQ(s.attributes.k, 2);
  EXPECT_EQ(s.attributes.tokens_seen, 32);
  EXPECT_EQ(s.attributes.zero_policy, "positive");
  EXPECT_EQ(s.analytics, std::vector<std::string>{"pagerank"});
  EXPECT_EQ(s.node_datasets.size(), 8u);
  const GraphCheckReport r = check_graph_file(path_);
  EXPECT_EQ(r.nodes, 8);
  EXPECT_EQ(r.edges, 5);
  EXPECT_EQ(r.node_values, 64);
}

TEST_F(GraphFileChecks, InconsistentRootAttributesAreRefusedByEveryReader) {
  set_attribute("n_edges", std::int64_t{29});
  EXPECT_NE(refused_everywhere().find(path_ + ":/: attribute 'n_edges' is 29, more than a simple graph on 8 nodes can have"),
            std::string::npos);
  SetUp();
  set_attribute("k", std::int64_t{0});
  EXPECT_NE(refused_everywhere().find("attribute 'k' is 0, expected at least 1"), std::string::npos);
  SetUp();
  set_attribute("tokens_seen", std::int64_t{33});
  EXPECT_NE(refused_everywhere().find("attribute 'tokens_seen' is 33, expected between 0 and batch_tokens x num_batches = 32"),
            std::string::npos);
  SetUp();
  set_attribute("zero_policy", std::string("drop"));
  EXPECT_NE(refused_everywhere().find("attribute 'zero_policy' is 'drop'"), std::string::npos);
  SetUp();
  set_attribute("n_nodes", std::int64_t{1} << 40);
  EXPECT_NE(refused_everywhere().find("attribute 'n_nodes' is 1099511627776, more than the"), std::string::npos);
}

TEST_F(GraphFileChecks, DescribeChecksShapesAgainstTheRootAttributes) {
  set_attribute("n_edges", std::int64_t{4});
  EXPECT_NE(message_of([&] { describe_graph_file(path_); }).find(path_ + ":/csr/indices: shape [10], expected [8]"),
            std::string::npos);
}

TEST_F(GraphFileChecks, CheckRefusesWeightsOutsideTheCosineRange) {
  // Edge 1-2 (weight 1.0) sits at entries 3 (row 1) and 5 (row 2): both copies, so the CSR
  // stays symmetric and the loader accepts it.
  rewrite<double>("/csr/weight", [](std::vector<double>& w) { w[3] = w[5] = 1.5; });
  EXPECT_NO_THROW(read_graph_file(path_));
  EXPECT_NE(message_of([&] { check_graph_file(path_); }).find(path_ + ":/csr/weight: entry 3 is 1.5, expected a mean cosine in [-1, 1]"),
            std::string::npos);
}

TEST_F(GraphFileChecks, CheckRefusesDerivedDataThatDisagreesWithTheCsr) {
  rewrite<std::int64_t>("/nodes/degree", [](std::vector<std::int64_t>& d) { d[7] = 1; });
  EXPECT_NO_THROW(read_graph_file(path_));
  EXPECT_NE(message_of([&] { check_graph_file(path_); }).find(":/nodes/degree: node 7 holds 1 but the CSR gives 0"),
            std::string::npos);
  SetUp();
  rewrite<std::int64_t>("/nodes/topk_count", [](std::vector<std::int64_t>& c) { c[0] = 60; });
  EXPECT_NE(message_of([&] { check_graph_file(path_); }).find(":/nodes/topk_count: sums to 73, more than k x tokens_seen = 64"),
            std::string::npos);
}

}  // namespace
}  // namespace coact::graph
