#include "coact/graph/k_shortest_paths.h"

#include <algorithm>
#include <set>
#include <utility>

#include "coact/core/errors.h"
#include "path_search.h"

namespace coact::graph {

KShortestPaths::KShortestPaths(const CsrGraph& graph, NodeId source, NodeId target, std::int64_t k, PathMetric metric)
    : graph_(graph), source_(source), target_(target), k_(k), metric_(metric) {
  if (k < 1) throw UsageError(str("--k must be at least 1 (got ", k, ")"));
  require_node(graph, source, "path source");
  require_node(graph, target, "path target");
  require_path_weights(graph, metric);
}

void KShortestPaths::run() {
  paths_.clear();
  detail::PathSearch search(graph_, metric_);
  std::vector<NodeId> found;
  double length = 0.0;
  if (!search.find(source_, target_, {}, {}, found, length)) {
    mark_finished();
    return;
  }
  paths_.push_back({found, path_length(graph_, found, metric_)});
  // Candidates ordered by (length, node sequence): the set also drops a candidate generated
  // twice from different spur nodes, since the same nodes always sum to the same length.
  std::set<std::pair<double, std::vector<NodeId>>> candidates;
  std::vector<std::uint8_t> blocked(static_cast<std::size_t>(graph_.num_nodes()), 0);
  std::vector<NodeId> blocked_hops, spur_path, total;
  while (static_cast<std::int64_t>(paths_.size()) < k_) {
    const std::vector<NodeId> last = paths_.back().nodes;
    for (std::size_t i = 0; i + 1 < last.size(); ++i) {
      const NodeId spur = last[i];
      // Edges out of the spur node already taken by an accepted path with this same root.
      blocked_hops.clear();
      for (const Path& p : paths_)
        if (p.nodes.size() > i + 1 && std::equal(last.begin(), last.begin() + static_cast<std::ptrdiff_t>(i) + 1, p.nodes.begin()))
          blocked_hops.push_back(p.nodes[i + 1]);
      for (std::size_t r = 0; r < i; ++r) blocked[static_cast<std::size_t>(last[r])] = 1;  // the root stays loopless
      if (search.find(spur, target_, blocked, blocked_hops, spur_path, length)) {
        total.assign(last.begin(), last.begin() + static_cast<std::ptrdiff_t>(i));
        total.insert(total.end(), spur_path.begin(), spur_path.end());
        candidates.emplace(path_length(graph_, total, metric_), total);
      }
      for (std::size_t r = 0; r < i; ++r) blocked[static_cast<std::size_t>(last[r])] = 0;
    }
    // A candidate equal to an accepted path cannot arise (its first deviation edge is blocked),
    // but a candidate may be found again later; skip any already accepted to be safe.
    bool accepted = false;
    while (!candidates.empty() && !accepted) {
      auto best = candidates.begin();
      const bool known = std::any_of(paths_.begin(), paths_.end(), [&](const Path& p) { return p.nodes == best->second; });
      if (!known) {
        paths_.push_back({best->second, best->first});
        accepted = true;
      }
      candidates.erase(best);
    }
    if (!accepted) break;
  }
  mark_finished();
}

const std::vector<Path>& KShortestPaths::paths() const {
  assure_finished("KShortestPaths");
  return paths_;
}

const std::vector<Path>& KShortestPaths::require_paths(const std::string& where) const {
  if (!found()) throw NoPathError(source_, target_, where);
  return paths_;
}

}  // namespace coact::graph
