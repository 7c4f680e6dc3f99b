#include "coact/graph/shortest_path.h"

#include <algorithm>
#include <limits>

#include "coact/core/errors.h"
#include "path_search.h"

namespace coact::graph {

namespace {
// Weights are cosines; rounding may put one a hair above 1.
constexpr double kWeightSlack = 1e-9;
}  // namespace

const char* to_string(PathMetric metric) { return metric == PathMetric::Hops ? "hops" : "weighted"; }

double edge_length(double weight, PathMetric metric) {
  if (metric == PathMetric::Hops) return 1.0;
  return weight >= 1.0 ? 0.0 : 1.0 - weight;
}

double path_length(const CsrGraph& graph, std::span<const NodeId> path, PathMetric metric) {
  double length = 0.0;
  for (std::size_t i = 1; i < path.size(); ++i) {
    const auto row = graph.neighbors(path[i - 1]);
    const auto at = std::lower_bound(row.begin(), row.end(), path[i]);
    if (at == row.end() || *at != path[i])
      throw InputError(str("path: nodes ", path[i - 1], " and ", path[i], " are not adjacent"));
    length += edge_length(graph.edge_weights(path[i - 1])[static_cast<std::size_t>(at - row.begin())], metric);
  }
  return length;
}

void require_path_weights(const CsrGraph& graph, PathMetric metric) {
  if (metric != PathMetric::Weighted) return;
  const auto& weights = graph.weights();
  for (NodeId u = 0; u < graph.num_nodes(); ++u)
    for (std::int64_t e = graph.indptr()[u]; e < graph.indptr()[u + 1]; ++e)
      if (!(weights[static_cast<std::size_t>(e)] <= 1.0 + kWeightSlack))
        throw InputError(str("weighted path: edge {", u, ", ", graph.indices()[static_cast<std::size_t>(e)], "} has weight ",
                             weights[static_cast<std::size_t>(e)],
                             " above 1, so its length 1 - weight would be negative (use hops instead)"));
}

void require_node(const CsrGraph& graph, std::int64_t node, const char* what) {
  if (node < 0 || node >= graph.num_nodes())
    throw InputError(str(what, ": feature ", node, " is not a node of the graph (it has ", graph.num_nodes(), " nodes)"));
}

ShortestPath::ShortestPath(const CsrGraph& graph, NodeId source, NodeId target, PathMetric metric)
    : graph_(graph), source_(source), target_(target), metric_(metric) {
  require_node(graph, source, "path source");
  require_node(graph, target, "path target");
  require_path_weights(graph, metric);
}

void ShortestPath::run() {
  detail::PathSearch search(graph_, metric_);
  path_.clear();
  if (!search.find(source_, target_, {}, {}, path_, length_)) {
    path_.clear();
    length_ = std::numeric_limits<double>::infinity();
  } else {
    length_ = path_length(graph_, path_, metric_);  // summed in path order, as Yen sums
  }
  mark_finished();
}

bool ShortestPath::reachable() const {
  assure_finished("ShortestPath");
  return !path_.empty();
}

double ShortestPath::length() const {
  assure_finished("ShortestPath");
  return length_;
}

const std::vector<NodeId>& ShortestPath::path() const {
  assure_finished("ShortestPath");
  return path_;
}

const std::vector<NodeId>& ShortestPath::require_path(const std::string& where) const {
  if (!reachable()) throw NoPathError(source_, target_, where);
  return path_;
}

NoPathError::NoPathError(NodeId from, NodeId to, const std::string& where)
    : Error(str(where, where.empty() ? "" : ": ", "no path from feature ", from, " to feature ", to,
                ": they lie in different connected components")),
      from_(from),
      to_(to) {}

}  // namespace coact::graph
