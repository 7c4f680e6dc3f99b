// Per-node statistics read off the CSR rows: degree, strength (the mean weight of the incident
// edges, docs/method.md) and mean neighbour degree (networkx.average_neighbor_degree, unweighted).
// Both means are 0 for an isolated node.
#pragma once

#include <cstdint>
#include <vector>

#include "coact/graph/algorithm.h"
#include "coact/graph/csr_graph.h"

namespace coact::graph {

class NodeStatistics final : public Algorithm {
 public:
  explicit NodeStatistics(const CsrGraph& graph) : graph_(graph) {}
  void run() override;

  const std::vector<std::int64_t>& degree() const;
  const std::vector<double>& strength() const;
  const std::vector<double>& mean_neighbor_degree() const;

 private:
  const CsrGraph& graph_;
  std::vector<std::int64_t> degree_;
  std::vector<double> strength_;
  std::vector<double> mean_neighbor_degree_;
};

}  // namespace coact::graph
