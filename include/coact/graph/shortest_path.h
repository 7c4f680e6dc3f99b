// The shortest path between two features (the seed study walked "pronoun" to "gender" this
// way): fewest hops by breadth-first search, or Dijkstra with edge length 1 − weight, so that
// strongly co-activating features (weight near 1) are close. Weights are activation cosines in
// [0, 1]; a weight above 1 by more than rounding (1e-9) is refused, and one above 1 within
// rounding counts as length 0.
//
// Ties are broken deterministically: neighbours are scanned in ascending order and a node keeps
// the first predecessor that reached it at its final distance (Dijkstra settles nodes in
// (distance, id) order), so the same graph always gives the same path.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "coact/core/errors.h"
#include "coact/graph/algorithm.h"
#include "coact/graph/csr_graph.h"

namespace coact::graph {

// Two features that no path joins (they lie in different connected components): a definite
// answer, not a failure of the search, which the command reports as such with exit status 1.
class NoPathError : public Error {
 public:
  NoPathError(NodeId from, NodeId to, const std::string& where);
  NodeId from() const { return from_; }
  NodeId to() const { return to_; }

 private:
  NodeId from_, to_;
};

enum class PathMetric { Hops, Weighted };
const char* to_string(PathMetric metric);

// Length of one edge under a metric: 1 for hops, 1 − weight for weighted (see above).
double edge_length(double weight, PathMetric metric);
// Sum of edge lengths along `path` (consecutive nodes must be adjacent; InputError otherwise),
// added in path order.
double path_length(const CsrGraph& graph, std::span<const NodeId> path, PathMetric metric);
// Throws InputError naming the first edge whose weight exceeds 1 + 1e-9 (weighted metric only).
void require_path_weights(const CsrGraph& graph, PathMetric metric);
// Throws InputError unless 0 <= node < n; `what` names the argument ("--from").
void require_node(const CsrGraph& graph, std::int64_t node, const char* what);

class ShortestPath final : public Algorithm {
 public:
  // Validates both nodes and, for the weighted metric, the weights.
  ShortestPath(const CsrGraph& graph, NodeId source, NodeId target, PathMetric metric);
  void run() override;

  bool reachable() const;
  // path(), or NoPathError when the target is unreachable (`where` names the graph).
  const std::vector<NodeId>& require_path(const std::string& where) const;
  // Hops, or summed 1 − weight; infinity when the target is unreachable.
  double length() const;
  // source, ..., target; empty when unreachable; {source} when source == target.
  const std::vector<NodeId>& path() const;

 private:
  const CsrGraph& graph_;
  NodeId source_, target_;
  PathMetric metric_;
  std::vector<NodeId> path_;
  double length_ = 0.0;
};

}  // namespace coact::graph
