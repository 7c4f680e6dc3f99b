// The co-activation graph in symmetric CSR form: undirected and unweighted for the statistics,
// with a per-edge co-occurrence count and mean weight. Every undirected edge {i, j} is stored
// in both rows, each row's neighbours ascending, no self loops, so that row u lists N(u) and
// the per-edge arrays are aligned with `indices` (entry e of row u belongs to (u, indices[e])).
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace coact::graph {

using NodeId = std::int32_t;

// An accumulated edge: the pair {i, j} co-occurred `count` times, and `weight_sum` is the sum of
// its per-occurrence weights. Order of i and j does not matter.
struct EdgeSum {
  NodeId i = 0;
  NodeId j = 0;
  std::int64_t count = 0;
  double weight_sum = 0.0;
};

// An edge whose weight is already final (a mean over its `count` occurrences).
struct WeightedEdge {
  NodeId i = 0;
  NodeId j = 0;
  std::int64_t count = 0;
  double weight = 0.0;
};

class CsrGraph {
 public:
  // The empty graph (no nodes).
  CsrGraph() : indptr_(1, 0) {}

  // Adopts CSR arrays and validates them: indptr has n + 1 entries starting at 0 and never
  // decreasing, ends at the number of entries; indices lie in [0, n), no self loop, each row
  // strictly ascending; every (u, v) has its (v, u) with the same count and weight; counts are
  // at least 1 and weights finite. A violation throws InputError "<where><array>: <what>", so
  // a reader can pass where = "graph_52.h5:/csr/" and the message names file and dataset.
  CsrGraph(std::vector<std::int64_t> indptr, std::vector<NodeId> indices, std::vector<std::int64_t> counts,
           std::vector<double> weights, const std::string& where = "CSR ");

  // Builds the graph on nodes [0, n) from an unordered edge list. Duplicates of a pair (in
  // either orientation) merge: counts add and weight sums add; the stored weight is
  // weight_sum / count. Throws InputError for an endpoint outside [0, n), a self loop, a count
  // below 1 or a non-finite weight sum.
  static CsrGraph from_edge_sums(std::int64_t n, std::span<const EdgeSum> edges);
  // As above with final weights: a pair given once keeps its weight exactly; duplicates merge
  // into the count-weighted mean sum(count * weight) / sum(count).
  static CsrGraph from_weighted_edges(std::int64_t n, std::span<const WeightedEdge> edges);

  std::int64_t num_nodes() const { return static_cast<std::int64_t>(indptr_.size()) - 1; }
  // Undirected edges (each stored twice).
  std::int64_t num_edges() const { return static_cast<std::int64_t>(indices_.size()) / 2; }
  std::int64_t degree(NodeId u) const { return indptr_[u + 1] - indptr_[u]; }

  std::span<const NodeId> neighbors(NodeId u) const { return row(indices_, u); }
  std::span<const std::int64_t> edge_counts(NodeId u) const { return row(counts_, u); }
  std::span<const double> edge_weights(NodeId u) const { return row(weights_, u); }

  const std::vector<std::int64_t>& indptr() const { return indptr_; }
  const std::vector<NodeId>& indices() const { return indices_; }
  const std::vector<std::int64_t>& counts() const { return counts_; }
  const std::vector<double>& weights() const { return weights_; }

 private:
  struct Trusted {};  // the builders' output is valid by construction: skip validation
  CsrGraph(Trusted, std::vector<std::int64_t> indptr, std::vector<NodeId> indices, std::vector<std::int64_t> counts,
           std::vector<double> weights);

  template <class T>
  std::span<const T> row(const std::vector<T>& values, NodeId u) const {
    return {values.data() + indptr_[u], static_cast<std::size_t>(indptr_[u + 1] - indptr_[u])};
  }

  // The shared builder behind from_edge_sums and from_weighted_edges (defined in the .cpp).
  template <class Edge>
  static CsrGraph build(std::int64_t n, std::span<const Edge> edges);

  std::vector<std::int64_t> indptr_;
  std::vector<NodeId> indices_;
  std::vector<std::int64_t> counts_;
  std::vector<double> weights_;
};

}  // namespace coact::graph
