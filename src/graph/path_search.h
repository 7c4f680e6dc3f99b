// The single-pair search behind ShortestPath and KShortestPaths (private to the graph module):
// breadth-first search for hops, Dijkstra for 1 − weight, with optional blocked nodes and
// blocked first hops (Yen's spur searches). Work arrays are kept between calls and reset only
// where a search touched them, so Yen's many spur searches on a large graph cost what they
// visit, not O(n) each.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "coact/graph/csr_graph.h"
#include "coact/graph/shortest_path.h"

namespace coact::graph::detail {

class PathSearch {
 public:
  PathSearch(const CsrGraph& graph, PathMetric metric);

  // Shortest path from source to target that avoids every node v with blocked[v] != 0 (may be
  // empty: nothing blocked) and the edges (source, x) for x in blocked_first_hops. Returns
  // false when there is none; else fills `path` (source ... target) and its length.
  bool find(NodeId source, NodeId target, std::span<const std::uint8_t> blocked,
            std::span<const NodeId> blocked_first_hops, std::vector<NodeId>& path, double& length);

 private:
  bool breadth_first(NodeId source, NodeId target, std::span<const std::uint8_t> blocked,
                     std::span<const NodeId> blocked_first_hops);
  bool dijkstra(NodeId source, NodeId target, std::span<const std::uint8_t> blocked,
                std::span<const NodeId> blocked_first_hops);
  void reset();

  const CsrGraph& graph_;
  PathMetric metric_;
  std::vector<double> distance_;   // +inf when unreached
  std::vector<NodeId> parent_;     // -1 when unreached or the source
  std::vector<std::uint8_t> done_; // settled (Dijkstra) / discovered (BFS)
  std::vector<NodeId> touched_;    // nodes whose entries to reset
};

}  // namespace coact::graph::detail
