#include "coact/graph/label_propagation.h"

#include <omp.h>

#include <algorithm>
#include <numeric>
#include <unordered_map>

#include "coact/core/errors.h"

namespace coact::graph {

namespace {

// Per-thread scratch to count neighbour labels: a dense counter indexed by label (labels are
// node ids) and the list of labels touched, so a node costs O(degree), not O(n).
struct LabelCounter {
  std::vector<std::int32_t> count;
  std::vector<std::int64_t> touched;
  explicit LabelCounter(std::int64_t n) : count(static_cast<std::size_t>(n), 0) {}

  // The maximum frequency among u's neighbours' labels; leaves the counts in place for the
  // caller to inspect, clear() afterwards.
  std::int32_t tally(const CsrGraph& graph, NodeId u, const std::vector<std::int64_t>& label) {
    std::int32_t best = 0;
    for (const NodeId v : graph.neighbors(u)) {
      const std::int64_t l = label[static_cast<std::size_t>(v)];
      std::int32_t& c = count[static_cast<std::size_t>(l)];
      if (c == 0) touched.push_back(l);
      best = std::max(best, ++c);
    }
    return best;
  }
  void clear() {
    for (const auto l : touched) count[static_cast<std::size_t>(l)] = 0;
    touched.clear();
  }
};

}  // namespace

std::vector<std::int32_t> greedy_coloring_largest_first(const CsrGraph& graph) {
  const std::int64_t n = graph.num_nodes();
  std::vector<NodeId> order(static_cast<std::size_t>(n));
  std::iota(order.begin(), order.end(), 0);
  // Python's sorted(reverse=True) is stable: equal degrees keep ascending ids.
  std::stable_sort(order.begin(), order.end(), [&graph](NodeId a, NodeId b) { return graph.degree(a) > graph.degree(b); });
  std::vector<std::int32_t> color(static_cast<std::size_t>(n), -1);
  // used[c] == stamp marks colour c as taken by a neighbour of the current node.
  std::vector<std::int64_t> used(static_cast<std::size_t>(n) + 1, -1);
  for (std::int64_t position = 0; position < n; ++position) {
    const NodeId u = order[static_cast<std::size_t>(position)];
    for (const NodeId v : graph.neighbors(u)) {
      const std::int32_t c = color[static_cast<std::size_t>(v)];
      if (c >= 0) used[static_cast<std::size_t>(c)] = position;
    }
    std::int32_t c = 0;
    while (used[static_cast<std::size_t>(c)] == position) ++c;
    color[static_cast<std::size_t>(u)] = c;
  }
  return color;
}

std::int64_t renumber_by_first_node(std::vector<std::int64_t>& labels) {
  std::unordered_map<std::int64_t, std::int64_t> id;
  id.reserve(labels.size());
  for (auto& l : labels) l = id.emplace(l, static_cast<std::int64_t>(id.size())).first->second;
  return static_cast<std::int64_t>(id.size());
}

LabelPropagation::LabelPropagation(const CsrGraph& graph, std::int64_t max_rounds) : graph_(graph), max_rounds_(max_rounds) {
  if (max_rounds < 1) throw UsageError(str("label propagation: max rounds must be at least 1 (got ", max_rounds, ")"));
}

void LabelPropagation::run() {
  const std::int64_t n = graph_.num_nodes();
  const std::vector<std::int32_t> color = greedy_coloring_largest_first(graph_);
  colors_ = n > 0 ? *std::max_element(color.begin(), color.end()) + 1 : 0;
  // Nodes with neighbours grouped by colour (isolated nodes never change).
  std::vector<std::int64_t> class_start(static_cast<std::size_t>(colors_) + 1, 0);
  for (std::int64_t u = 0; u < n; ++u)
    if (graph_.degree(static_cast<NodeId>(u)) > 0) ++class_start[static_cast<std::size_t>(color[static_cast<std::size_t>(u)]) + 1];
  std::partial_sum(class_start.begin(), class_start.end(), class_start.begin());
  std::vector<NodeId> by_color(static_cast<std::size_t>(class_start.back()));
  {
    std::vector<std::int64_t> next(class_start.begin(), class_start.end() - 1);
    for (std::int64_t u = 0; u < n; ++u)
      if (graph_.degree(static_cast<NodeId>(u)) > 0)
        by_color[static_cast<std::size_t>(next[static_cast<std::size_t>(color[static_cast<std::size_t>(u)])]++)] = static_cast<NodeId>(u);
  }

  std::vector<std::int64_t> label(static_cast<std::size_t>(n));
  std::iota(label.begin(), label.end(), 0);
  const auto active = static_cast<std::int64_t>(by_color.size());
  rounds_ = 0;
  const int threads = omp_get_max_threads();
  std::vector<LabelCounter> counters;
  counters.reserve(static_cast<std::size_t>(threads));
  for (int t = 0; t < threads; ++t) counters.emplace_back(n);

  // Stable when every node with neighbours holds one of its most frequent labels.
  const auto complete = [&] {
    int unstable = 0;
#pragma omp parallel for schedule(dynamic, 256) reduction(| : unstable) num_threads(threads)
    for (std::int64_t i = 0; i < active; ++i) {
      LabelCounter& counter = counters[static_cast<std::size_t>(omp_get_thread_num())];
      const NodeId u = by_color[static_cast<std::size_t>(i)];
      const std::int32_t best = counter.tally(graph_, u, label);
      unstable |= counter.count[static_cast<std::size_t>(label[static_cast<std::size_t>(u)])] != best;
      counter.clear();
    }
    return unstable == 0;
  };

  while (!complete()) {
    if (rounds_ == max_rounds_)
      throw NumericError(str("label propagation did not settle within ", max_rounds_, " rounds"));
    for (std::int64_t c = 0; c < colors_; ++c) {
      const std::int64_t first = class_start[static_cast<std::size_t>(c)], last = class_start[static_cast<std::size_t>(c) + 1];
      // No two nodes of a class are adjacent: each reads only labels of other classes.
#pragma omp parallel for schedule(dynamic, 64) num_threads(threads) if (last - first > 512)
      for (std::int64_t i = first; i < last; ++i) {
        LabelCounter& counter = counters[static_cast<std::size_t>(omp_get_thread_num())];
        const NodeId u = by_color[static_cast<std::size_t>(i)];
        const std::int32_t best = counter.tally(graph_, u, label);
        std::int64_t& mine = label[static_cast<std::size_t>(u)];
        if (counter.count[static_cast<std::size_t>(mine)] != best) {
          std::int64_t largest = -1;
          for (const auto l : counter.touched)
            if (counter.count[static_cast<std::size_t>(l)] == best) largest = std::max(largest, l);
          mine = largest;
        }
        counter.clear();
      }
    }
    ++rounds_;
  }
  community_ = std::move(label);
  communities_ = renumber_by_first_node(community_);
  mark_finished();
}

const std::vector<std::int64_t>& LabelPropagation::community_of() const {
  assure_finished("LabelPropagation");
  return community_;
}

std::int64_t LabelPropagation::num_communities() const {
  assure_finished("LabelPropagation");
  return communities_;
}

std::int64_t LabelPropagation::rounds() const {
  assure_finished("LabelPropagation");
  return rounds_;
}

std::int64_t LabelPropagation::colors() const {
  assure_finished("LabelPropagation");
  return colors_;
}

}  // namespace coact::graph
