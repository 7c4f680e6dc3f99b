// PageRank of the co-activation graph, exactly networkx.pagerank's iteration (its
// _pagerank_scipy in networkx 2.8), so the values agree to rounding:
//   P = D⁻¹ A (rows of the weighted adjacency normalised to sum 1; rows of nodes without
//   weighted edges — isolated, or all weights 0 — are "dangling");
//   x₀ = 1/n;  x ← α (xᵀP + Σ_dangling x / n) + (1 − α)/n;
//   stop when Σ|x − x_prev| < n · tolerance; NumericError after max_iterations without it.
// A node's PageRank is the share of time a random walk along co-activations spends there.
// Each iteration is one parallel pass over the CSR (a pull: node v sums its neighbours'
// x/degree, the graph being symmetric).
#pragma once

#include <cstdint>
#include <vector>

#include "coact/graph/algorithm.h"
#include "coact/graph/csr_graph.h"
#include "coact/graph/edge_weighting.h"

namespace coact::graph {

struct PageRankOptions {
  double damping = 0.85;       // α (networkx's default)
  double tolerance = 1e-6;     // networkx's default
  std::int64_t max_iterations = 100;
  EdgeWeighting weighting = EdgeWeighting::Weight;
};

class PageRank final : public Algorithm {
 public:
  // UsageError for α outside [0, 1), tolerance <= 0 or max_iterations < 1; InputError for a
  // negative edge weight.
  PageRank(const CsrGraph& graph, const PageRankOptions& options = {});
  void run() override;

  const std::vector<double>& scores() const;  // sums to 1
  std::int64_t iterations() const;

 private:
  const CsrGraph& graph_;
  PageRankOptions options_;
  std::vector<double> scores_;
  std::int64_t iterations_ = 0;
};

}  // namespace coact::graph
