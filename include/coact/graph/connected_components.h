// Connected components of the undirected graph, networkx semantics: an isolated node is a
// component of its own. Component ids are 0, 1, ... in increasing order of each component's
// smallest node, so they are deterministic and node 0 is always in component 0.
#pragma once

#include <cstdint>
#include <vector>

#include "coact/graph/algorithm.h"
#include "coact/graph/csr_graph.h"

namespace coact::graph {

class ConnectedComponents final : public Algorithm {
 public:
  explicit ConnectedComponents(const CsrGraph& graph) : graph_(graph) {}
  void run() override;

  std::int64_t num_components() const;
  // Component id of every node.
  const std::vector<std::int64_t>& component_of() const;
  // Size of every component, indexed by id.
  const std::vector<std::int64_t>& sizes() const;
  // 0 for a graph without nodes.
  std::int64_t largest_size() const;
  // The set of distinct component sizes, ascending (the seed table's "unique component sizes").
  std::vector<std::int64_t> distinct_sizes() const;

 private:
  const CsrGraph& graph_;
  std::vector<std::int64_t> component_;
  std::vector<std::int64_t> sizes_;
};

}  // namespace coact::graph
