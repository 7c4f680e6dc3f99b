// k-core decomposition: the core number of a node is the largest k such that it belongs to a
// subgraph where every node has degree >= k (networkx.core_number). Features deep in the core
// co-activate within a dense group; peripheral ones hang off it. Batagelj & Zaversnik's bucket
// algorithm, O(n + E); sequential: a few milliseconds at seed scale.
#pragma once

#include <cstdint>
#include <vector>

#include "coact/graph/algorithm.h"
#include "coact/graph/csr_graph.h"

namespace coact::graph {

class CoreDecomposition final : public Algorithm {
 public:
  explicit CoreDecomposition(const CsrGraph& graph) : graph_(graph) {}
  void run() override;

  const std::vector<std::int64_t>& core_number() const;
  // The largest core number (the graph's degeneracy); 0 without edges.
  std::int64_t max_core() const;
  // size_of_core()[k] = nodes with core number >= k, for k = 0..max_core().
  std::vector<std::int64_t> core_sizes() const;

 private:
  const CsrGraph& graph_;
  std::vector<std::int64_t> core_;
  std::int64_t max_core_ = 0;
};

}  // namespace coact::graph
