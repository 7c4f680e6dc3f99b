// The k shortest simple paths between two features (Yen 1971), for circuit analysis: not only
// the best chain of co-activations but the next best ones, loopless, in order of length
// (hops or 1 − weight, as ShortestPath). Among candidates of equal length the lexicographically
// smallest node sequence is taken first, so the list is deterministic.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "coact/graph/algorithm.h"
#include "coact/graph/csr_graph.h"
#include "coact/graph/shortest_path.h"

namespace coact::graph {

struct Path {
  std::vector<NodeId> nodes;  // source, ..., target
  double length = 0.0;        // summed along the path in order
};

class KShortestPaths final : public Algorithm {
 public:
  // k >= 1 (UsageError otherwise); nodes and weights validated as for ShortestPath.
  KShortestPaths(const CsrGraph& graph, NodeId source, NodeId target, std::int64_t k, PathMetric metric);
  // Yen: each new path deviates from the previous one at a spur node; the root before it is
  // kept, the edges that earlier paths with the same root take out of the spur node are
  // removed, the root's nodes are blocked, and the shortest spur path completes a candidate.
  void run() override;

  // At most k paths, shortest first; fewer when the graph has fewer simple paths; none when
  // source and target lie in different components.
  const std::vector<Path>& paths() const;
  // Whether any path joins source and target.
  bool found() const { return !paths().empty(); }
  // paths(), or NoPathError when there is none (`where` names the graph for the message).
  const std::vector<Path>& require_paths(const std::string& where) const;

 private:
  const CsrGraph& graph_;
  NodeId source_, target_;
  std::int64_t k_;
  PathMetric metric_;
  std::vector<Path> paths_;
};

}  // namespace coact::graph
