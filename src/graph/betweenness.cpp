#include "coact/graph/betweenness.h"

#include <omp.h>

#include <algorithm>
#include <functional>
#include <limits>
#include <queue>

#include "coact/core/errors.h"
#include "coact/core/rng.h"

namespace coact::graph {

namespace {

// One thread's work arrays, reset after each source only where it reached.
struct SourceWork {
  std::vector<double> distance, sigma, delta;
  std::vector<double> tentative;         // Dijkstra's best distance so far, +inf when unseen
  std::vector<NodeId> seen;              // nodes whose tentative entry must be cleared
  std::vector<std::int64_t> settled_at;  // position in `order`, -1 when unreached
  std::vector<NodeId> order;             // nodes in non-decreasing distance
  explicit SourceWork(std::int64_t n)
      : distance(static_cast<std::size_t>(n), -1.0),
        sigma(static_cast<std::size_t>(n), 0.0),
        delta(static_cast<std::size_t>(n), 0.0),
        tentative(static_cast<std::size_t>(n), std::numeric_limits<double>::infinity()),
        settled_at(static_cast<std::size_t>(n), -1) {}
  void reset() {
    for (const NodeId v : order) {
      distance[static_cast<std::size_t>(v)] = -1.0;
      sigma[static_cast<std::size_t>(v)] = 0.0;
      delta[static_cast<std::size_t>(v)] = 0.0;
      settled_at[static_cast<std::size_t>(v)] = -1;
    }
    order.clear();
  }
};

// Hop distances: breadth-first search counting shortest paths (sigma) as it goes.
void forward_hops(const CsrGraph& graph, NodeId source, SourceWork& w) {
  w.distance[static_cast<std::size_t>(source)] = 0.0;
  w.sigma[static_cast<std::size_t>(source)] = 1.0;
  w.settled_at[static_cast<std::size_t>(source)] = 0;
  w.order.push_back(source);
  for (std::size_t head = 0; head < w.order.size(); ++head) {
    const NodeId v = w.order[head];
    const double next = w.distance[static_cast<std::size_t>(v)] + 1.0;
    const double sigma_v = w.sigma[static_cast<std::size_t>(v)];
    for (const NodeId u : graph.neighbors(v)) {
      double& du = w.distance[static_cast<std::size_t>(u)];
      if (du < 0.0) {
        du = next;
        w.settled_at[static_cast<std::size_t>(u)] = static_cast<std::int64_t>(w.order.size());
        w.order.push_back(u);
      }
      if (du == next) w.sigma[static_cast<std::size_t>(u)] += sigma_v;
    }
  }
}

// Lengths 1 − weight: Dijkstra; a node's predecessors are its neighbours settled before it at
// exactly distance(v) + length(v, w) — networkx's rule, evaluated with the same additions.
void forward_weighted(const CsrGraph& graph, NodeId source, SourceWork& w) {
  using Entry = std::pair<double, NodeId>;
  std::priority_queue<Entry, std::vector<Entry>, std::greater<>> heap;
  std::vector<double>& tentative = w.tentative;
  heap.push({0.0, source});
  w.seen.push_back(source);
  tentative[static_cast<std::size_t>(source)] = 0.0;
  while (!heap.empty()) {
    const auto [d, v] = heap.top();
    heap.pop();
    if (w.settled_at[static_cast<std::size_t>(v)] >= 0) continue;
    w.settled_at[static_cast<std::size_t>(v)] = static_cast<std::int64_t>(w.order.size());
    w.order.push_back(v);
    w.distance[static_cast<std::size_t>(v)] = d;
    const auto row = graph.neighbors(v);
    const auto weights = graph.edge_weights(v);
    double sigma = v == source ? 1.0 : 0.0;
    for (std::size_t e = 0; e < row.size(); ++e) {
      const NodeId u = row[e];
      const double through = d + edge_length(weights[e], PathMetric::Weighted);
      if (w.settled_at[static_cast<std::size_t>(u)] >= 0) {
        if (u != v && w.distance[static_cast<std::size_t>(u)] + edge_length(weights[e], PathMetric::Weighted) == d)
          sigma += w.sigma[static_cast<std::size_t>(u)];
        continue;
      }
      double& best = tentative[static_cast<std::size_t>(u)];
      if (through < best) {
        if (best == std::numeric_limits<double>::infinity()) w.seen.push_back(u);
        best = through;
        heap.push({through, u});
      }
    }
    w.sigma[static_cast<std::size_t>(v)] = sigma;
  }
  for (const NodeId v : w.seen) tentative[static_cast<std::size_t>(v)] = std::numeric_limits<double>::infinity();
  w.seen.clear();
}

}  // namespace

Betweenness::Betweenness(const CsrGraph& graph, const BetweennessOptions& options) : graph_(graph), options_(options) {
  if (options.samples < 0) throw UsageError(str("betweenness: samples must be >= 0 (got ", options.samples, ")"));
  require_path_weights(graph, options.metric);
}

void Betweenness::run() {
  const std::int64_t n = graph_.num_nodes();
  std::vector<NodeId> sources;
  for (std::int64_t v = 0; v < n; ++v)
    if (graph_.degree(static_cast<NodeId>(v)) > 0) sources.push_back(static_cast<NodeId>(v));
  const auto connected = static_cast<std::int64_t>(sources.size());
  exact_ = options_.samples == 0 || options_.samples >= connected;
  if (!exact_) {
    // The first `samples` entries of a seeded Fisher–Yates shuffle, then in ascending order so
    // that threads walk memory in order.
    CounterRng rng(mix_seed(options_.seed, 0xBE7), 0);
    for (std::int64_t i = 0; i < options_.samples; ++i) {
      const auto j = i + static_cast<std::int64_t>(rng.below(static_cast<std::uint64_t>(connected - i)));
      std::swap(sources[static_cast<std::size_t>(i)], sources[static_cast<std::size_t>(j)]);
    }
    sources.resize(static_cast<std::size_t>(options_.samples));
    std::sort(sources.begin(), sources.end());
  }
  sources_ = static_cast<std::int64_t>(sources.size());

  const int threads = omp_get_max_threads();
  std::vector<std::vector<double>> partial(static_cast<std::size_t>(threads));
#pragma omp parallel num_threads(threads)
  {
    std::vector<double>& mine = partial[static_cast<std::size_t>(omp_get_thread_num())];
    mine.assign(static_cast<std::size_t>(n), 0.0);
    SourceWork work(n);
#pragma omp for schedule(static, 1)
    for (std::int64_t i = 0; i < sources_; ++i) {
      const NodeId s = sources[static_cast<std::size_t>(i)];
      if (options_.metric == PathMetric::Hops) {
        forward_hops(graph_, s, work);
      } else {
        forward_weighted(graph_, s, work);
      }
      // Dependencies, farthest first: delta(v) += sigma(v)/sigma(w) (1 + delta(w)) over the
      // predecessors v of w.
      for (auto it = work.order.rbegin(); it != work.order.rend(); ++it) {
        const NodeId w = *it;
        const double coefficient = (1.0 + work.delta[static_cast<std::size_t>(w)]) / work.sigma[static_cast<std::size_t>(w)];
        const double dw = work.distance[static_cast<std::size_t>(w)];
        const std::int64_t at = work.settled_at[static_cast<std::size_t>(w)];
        const auto row = graph_.neighbors(w);
        const auto weights = graph_.edge_weights(w);
        for (std::size_t e = 0; e < row.size(); ++e) {
          const NodeId v = row[e];
          const std::int64_t v_at = work.settled_at[static_cast<std::size_t>(v)];
          if (v_at < 0 || v_at >= at) continue;
          const bool predecessor = options_.metric == PathMetric::Hops
                                       ? work.distance[static_cast<std::size_t>(v)] == dw - 1.0
                                       : work.distance[static_cast<std::size_t>(v)] + edge_length(weights[e], PathMetric::Weighted) == dw;
          if (predecessor) work.delta[static_cast<std::size_t>(v)] += work.sigma[static_cast<std::size_t>(v)] * coefficient;
        }
        if (w != s) mine[static_cast<std::size_t>(w)] += work.delta[static_cast<std::size_t>(w)];
      }
      work.reset();
    }
  }
  scores_.assign(static_cast<std::size_t>(n), 0.0);
  for (const auto& p : partial)
    for (std::int64_t v = 0; v < n; ++v) scores_[static_cast<std::size_t>(v)] += p[static_cast<std::size_t>(v)];
  double scale = 1.0;
  if (options_.normalized) {
    scale = n > 2 ? 1.0 / (static_cast<double>(n - 1) * static_cast<double>(n - 2)) : 1.0;
  } else {
    scale = 0.5;
  }
  if (!exact_) scale *= static_cast<double>(connected) / static_cast<double>(sources_);
  if (scale != 1.0)
    for (auto& b : scores_) b *= scale;
  mark_finished();
}

const std::vector<double>& Betweenness::scores() const {
  assure_finished("Betweenness");
  return scores_;
}

std::int64_t Betweenness::sources() const {
  assure_finished("Betweenness");
  return sources_;
}

bool Betweenness::exact() const {
  assure_finished("Betweenness");
  return exact_;
}

}  // namespace coact::graph
