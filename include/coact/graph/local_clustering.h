// Triangles and local clustering coefficients of the unweighted graph, networkx semantics:
// c(u) = 2 T(u) / (deg(u) (deg(u) - 1)), 0 when deg(u) < 2, and the average is the mean over
// ALL nodes (networkx.average_clustering with count_zeros=True), summed in node order as
// Python's sum() does, so the numbers agree with networkx's bit for bit.
#pragma once

#include <cstdint>
#include <vector>

#include "coact/graph/algorithm.h"
#include "coact/graph/csr_graph.h"

namespace coact::graph {

class LocalClustering final : public Algorithm {
 public:
  // Where threads count the triangles they find at other nodes: private per-thread arrays
  // (fast; threads x n counters) or shared atomic counters (for very large n). Automatic picks
  // private arrays while they take at most 256 MiB.
  enum class Counters { Automatic, PerThread, Atomic };

  explicit LocalClustering(const CsrGraph& graph, Counters counters = Counters::Automatic)
      : graph_(graph), counters_(counters) {}
  // Counts each triangle once on the degree-ordered orientation of the graph (every edge points
  // to its endpoint of higher (degree, id)): out(u) is marked, and the marked members of out(v)
  // for v in out(u) close triangles; nodes are processed in parallel.
  void run() override;

  // Triangles through each node.
  const std::vector<std::int64_t>& triangles() const;
  const std::vector<double>& clustering() const;
  // Mean of clustering() over all nodes; 0 for a graph without nodes.
  double average() const;
  // Triangles in the graph.
  std::int64_t total_triangles() const;

 private:
  const CsrGraph& graph_;
  Counters counters_;
  std::vector<std::int64_t> triangles_;
  std::vector<double> clustering_;
  double average_ = 0.0;
  std::int64_t total_ = 0;
};

// c(u) from a triangle count and a degree, exactly as networkx computes it.
double clustering_coefficient(std::int64_t triangles, std::int64_t degree);

}  // namespace coact::graph
