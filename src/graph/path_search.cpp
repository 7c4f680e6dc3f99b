#include "path_search.h"

#include <algorithm>
#include <functional>
#include <limits>
#include <queue>

namespace coact::graph::detail {

namespace {
constexpr double kUnreached = std::numeric_limits<double>::infinity();

bool contains(std::span<const NodeId> nodes, NodeId v) { return std::find(nodes.begin(), nodes.end(), v) != nodes.end(); }
}  // namespace

PathSearch::PathSearch(const CsrGraph& graph, PathMetric metric)
    : graph_(graph),
      metric_(metric),
      distance_(static_cast<std::size_t>(graph.num_nodes()), kUnreached),
      parent_(static_cast<std::size_t>(graph.num_nodes()), -1),
      done_(static_cast<std::size_t>(graph.num_nodes()), 0) {}

void PathSearch::reset() {
  for (const NodeId v : touched_) {
    distance_[static_cast<std::size_t>(v)] = kUnreached;
    parent_[static_cast<std::size_t>(v)] = -1;
    done_[static_cast<std::size_t>(v)] = 0;
  }
  touched_.clear();
}

bool PathSearch::find(NodeId source, NodeId target, std::span<const std::uint8_t> blocked,
                      std::span<const NodeId> blocked_first_hops, std::vector<NodeId>& path, double& length) {
  reset();
  const auto is_blocked = [&blocked](NodeId v) { return !blocked.empty() && blocked[static_cast<std::size_t>(v)] != 0; };
  if (is_blocked(source) || is_blocked(target)) return false;
  const bool found = metric_ == PathMetric::Hops ? breadth_first(source, target, blocked, blocked_first_hops)
                                                 : dijkstra(source, target, blocked, blocked_first_hops);
  if (!found) return false;
  path.clear();
  for (NodeId v = target; v != -1; v = parent_[static_cast<std::size_t>(v)]) path.push_back(v);
  std::reverse(path.begin(), path.end());
  length = distance_[static_cast<std::size_t>(target)];
  return true;
}

bool PathSearch::breadth_first(NodeId source, NodeId target, std::span<const std::uint8_t> blocked,
                               std::span<const NodeId> blocked_first_hops) {
  // touched_ doubles as the FIFO queue: nodes enter it once, when discovered.
  distance_[static_cast<std::size_t>(source)] = 0;
  done_[static_cast<std::size_t>(source)] = 1;
  touched_.push_back(source);
  for (std::size_t head = 0; head < touched_.size(); ++head) {
    const NodeId u = touched_[head];
    if (u == target) return true;
    for (const NodeId v : graph_.neighbors(u)) {
      if (done_[static_cast<std::size_t>(v)] || (!blocked.empty() && blocked[static_cast<std::size_t>(v)])) continue;
      if (u == source && contains(blocked_first_hops, v)) continue;
      done_[static_cast<std::size_t>(v)] = 1;
      distance_[static_cast<std::size_t>(v)] = distance_[static_cast<std::size_t>(u)] + 1;
      parent_[static_cast<std::size_t>(v)] = u;
      touched_.push_back(v);
    }
  }
  return false;
}

bool PathSearch::dijkstra(NodeId source, NodeId target, std::span<const std::uint8_t> blocked,
                          std::span<const NodeId> blocked_first_hops) {
  using Entry = std::pair<double, NodeId>;  // (distance, node): ties settle the lower id first
  std::priority_queue<Entry, std::vector<Entry>, std::greater<>> heap;
  distance_[static_cast<std::size_t>(source)] = 0;
  touched_.push_back(source);
  heap.push({0.0, source});
  while (!heap.empty()) {
    const auto [d, u] = heap.top();
    heap.pop();
    if (done_[static_cast<std::size_t>(u)]) continue;  // a stale entry
    done_[static_cast<std::size_t>(u)] = 1;
    if (u == target) return true;
    const auto row = graph_.neighbors(u);
    const auto weights = graph_.edge_weights(u);
    for (std::size_t e = 0; e < row.size(); ++e) {
      const NodeId v = row[e];
      if (done_[static_cast<std::size_t>(v)] || (!blocked.empty() && blocked[static_cast<std::size_t>(v)])) continue;
      if (u == source && contains(blocked_first_hops, v)) continue;
      const double candidate = d + edge_length(weights[e], metric_);
      double& best = distance_[static_cast<std::size_t>(v)];
      if (candidate < best) {
        if (best == kUnreached) touched_.push_back(v);
        best = candidate;
        parent_[static_cast<std::size_t>(v)] = u;
        heap.push({candidate, v});
      }
    }
  }
  return false;
}

}  // namespace coact::graph::detail
