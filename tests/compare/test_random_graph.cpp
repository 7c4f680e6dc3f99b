#include <gtest/gtest.h>

#include <set>

#include "coact/compare/random_graph.h"
#include "coact/core/errors.h"

namespace coact::compare {
namespace {

void expect_simple_graph(const EdgeListGraph& g, std::int64_t n, std::int64_t m) {
  EXPECT_EQ(g.nodes, n);
  ASSERT_EQ(static_cast<std::int64_t>(g.edges.size()), m);
  std::set<std::pair<std::int64_t, std::int64_t>> distinct(g.edges.begin(), g.edges.end());
  EXPECT_EQ(static_cast<std::int64_t>(distinct.size()), m);
  std::vector<std::int64_t> degrees(static_cast<std::size_t>(n), 0);
  for (const auto& [i, j] : g.edges) {
    EXPECT_LT(i, j);  // no self loops, canonical order
    EXPECT_GE(i, 0);
    EXPECT_LT(j, n);
    ++degrees[static_cast<std::size_t>(i)];
    ++degrees[static_cast<std::size_t>(j)];
  }
  EXPECT_EQ(g.degrees, degrees);
  EXPECT_TRUE(std::is_sorted(g.edges.begin(), g.edges.end()));
}

TEST(RandomGraph, HasExactlyMDistinctEdges) {
  expect_simple_graph(erdos_renyi_gnm(1000, 5000, 52), 1000, 5000);
  expect_simple_graph(erdos_renyi_gnm(30, 400, 1), 30, 400);  // dense: drawn as a complement
  expect_simple_graph(erdos_renyi_gnm(30, 435, 1), 30, 435);  // complete
  expect_simple_graph(erdos_renyi_gnm(5, 0, 1), 5, 0);
  expect_simple_graph(erdos_renyi_gnm(0, 0, 1), 0, 0);
}

TEST(RandomGraph, SameSeedSameGraphOtherSeedOtherGraph) {
  const EdgeListGraph a = erdos_renyi_gnm(2000, 8000, 52);
  EXPECT_EQ(a.edges, erdos_renyi_gnm(2000, 8000, 52).edges);
  EXPECT_NE(a.edges, erdos_renyi_gnm(2000, 8000, 55).edges);
}

TEST(RandomGraph, DegreesLookBinomial) {
  // Mean degree 2m/n; variance close to the mean for a sparse G(n, m).
  const std::int64_t n = 20000, m = 100000;
  const EdgeListGraph g = erdos_renyi_gnm(n, m, 7);
  double sum = 0, squares = 0;
  for (std::int64_t d : g.degrees) {
    sum += static_cast<double>(d);
    squares += static_cast<double>(d) * static_cast<double>(d);
  }
  const double mean = sum / n, variance = squares / n - mean * mean;
  EXPECT_DOUBLE_EQ(mean, 10.0);
  EXPECT_NEAR(variance, 10.0, 0.5);
}

TEST(RandomGraph, RejectsImpossibleSizes) {
  EXPECT_THROW(erdos_renyi_gnm(4, 7, 1), InputError);
  EXPECT_THROW(erdos_renyi_gnm(-1, 0, 1), InputError);
  EXPECT_THROW(erdos_renyi_gnm(4, -1, 1), InputError);
}

}  // namespace
}  // namespace coact::compare
