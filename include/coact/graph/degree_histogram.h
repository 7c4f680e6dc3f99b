// Number of nodes of each degree 0..max_degree (networkx.degree_histogram): the integer-binned
// distribution the cross-seed comparison turns into densities.
#pragma once

#include <cstdint>
#include <vector>

#include "coact/graph/algorithm.h"
#include "coact/graph/csr_graph.h"

namespace coact::graph {

class DegreeHistogram final : public Algorithm {
 public:
  explicit DegreeHistogram(const CsrGraph& graph) : graph_(graph) {}
  void run() override;
  // counts()[d] = nodes of degree d; empty for a graph without nodes.
  const std::vector<std::int64_t>& counts() const;
  // -1 for a graph without nodes.
  std::int64_t max_degree() const;

 private:
  const CsrGraph& graph_;
  std::vector<std::int64_t> counts_;
};

}  // namespace coact::graph
