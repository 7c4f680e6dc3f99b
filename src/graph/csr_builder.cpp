// Building the symmetric CSR from an unordered edge list. Each input edge is placed in both
// endpoint rows in input order (a counting sort), each row is then stably sorted by neighbour,
// and runs of equal neighbours merge. Because duplicates of a pair appear in input order in
// both of its rows, both rows sum them in the same order and store bitwise-equal weights.
#include <algorithm>
#include <cmath>
#include <limits>

#include "coact/core/errors.h"
#include "coact/graph/csr_graph.h"

namespace coact::graph {
namespace {

// How the two edge kinds merge duplicates.
struct SumPolicy {
  static double value(const EdgeSum& edge) { return edge.weight_sum; }
  static const char* value_name() { return "weight sum"; }
  // Entries [first, last) of one pair: the mean of all occurrences.
  template <class It, class Edges>
  static double merge(It first, It last, const Edges& edges, std::int64_t total_count) {
    double sum = 0.0;
    for (auto it = first; it != last; ++it) sum += edges[it->edge].weight_sum;
    return sum / static_cast<double>(total_count);
  }
};

struct WeightPolicy {
  static double value(const WeightedEdge& edge) { return edge.weight; }
  static const char* value_name() { return "weight"; }
  template <class It, class Edges>
  static double merge(It first, It last, const Edges& edges, std::int64_t total_count) {
    if (last - first == 1) return edges[first->edge].weight;  // keep a lone weight exactly
    double weighted = 0.0;
    for (auto it = first; it != last; ++it)
      weighted += static_cast<double>(edges[it->edge].count) * edges[it->edge].weight;
    return weighted / static_cast<double>(total_count);
  }
};

template <class Edge>
struct PolicyFor;
template <>
struct PolicyFor<EdgeSum> {
  using type = SumPolicy;
};
template <>
struct PolicyFor<WeightedEdge> {
  using type = WeightPolicy;
};

// One endpoint's view of an input edge.
struct Slot {
  NodeId neighbor;
  std::int64_t edge;  // index into the input list
};

}  // namespace

template <class Edge>
CsrGraph CsrGraph::build(std::int64_t n, std::span<const Edge> edges) {
  using Policy = typename PolicyFor<Edge>::type;
  if (n < 0 || n > std::numeric_limits<NodeId>::max())
    throw InputError(str("edge list: node count ", n, " is outside [0, ", std::numeric_limits<NodeId>::max(), "]"));
  const auto m = static_cast<std::int64_t>(edges.size());

  std::vector<std::int64_t> slots_before(static_cast<std::size_t>(n) + 1, 0);
  for (std::int64_t k = 0; k < m; ++k) {
    const Edge& edge = edges[k];
    if (edge.i < 0 || edge.i >= n || edge.j < 0 || edge.j >= n)
      throw InputError(
          str("edge list: edge ", k, " (", edge.i, ", ", edge.j, ") has an endpoint outside [0, ", n, ")"));
    if (edge.i == edge.j) throw InputError(str("edge list: edge ", k, " is a self loop on node ", edge.i));
    if (edge.count < 1)
      throw InputError(
          str("edge list: edge ", k, " (", edge.i, ", ", edge.j, ") has count ", edge.count, ", expected at least 1"));
    if (!std::isfinite(Policy::value(edge)))
      throw InputError(str("edge list: edge ", k, " (", edge.i, ", ", edge.j, ") has ", Policy::value_name(), " ",
                           Policy::value(edge), ", expected a finite number"));
    ++slots_before[edge.i + 1];
    ++slots_before[edge.j + 1];
  }
  for (std::int64_t u = 0; u < n; ++u) slots_before[u + 1] += slots_before[u];

  std::vector<Slot> slots(static_cast<std::size_t>(2 * m));
  {
    std::vector<std::int64_t> cursor(slots_before.begin(), slots_before.end() - 1);
    for (std::int64_t k = 0; k < m; ++k) {
      slots[cursor[edges[k].i]++] = {edges[k].j, k};
      slots[cursor[edges[k].j]++] = {edges[k].i, k};
    }
  }

  // Sort each row and count its distinct neighbours.
  std::vector<std::int64_t> indptr(static_cast<std::size_t>(n) + 1, 0);
#pragma omp parallel for schedule(dynamic, 64)
  for (std::int64_t u = 0; u < n; ++u) {
    const auto first = slots.begin() + slots_before[u];
    const auto last = slots.begin() + slots_before[u + 1];
    std::stable_sort(first, last, [](const Slot& a, const Slot& b) { return a.neighbor < b.neighbor; });
    std::int64_t distinct = 0;
    for (auto it = first; it != last; ++it) distinct += (it == first || it->neighbor != (it - 1)->neighbor) ? 1 : 0;
    indptr[u + 1] = distinct;
  }
  for (std::int64_t u = 0; u < n; ++u) indptr[u + 1] += indptr[u];

  const auto entries = static_cast<std::size_t>(indptr[n]);
  std::vector<NodeId> indices(entries);
  std::vector<std::int64_t> counts(entries);
  std::vector<double> weights(entries);
#pragma omp parallel for schedule(dynamic, 64)
  for (std::int64_t u = 0; u < n; ++u) {
    std::int64_t out = indptr[u];
    auto run = slots.begin() + slots_before[u];
    const auto last = slots.begin() + slots_before[u + 1];
    while (run != last) {
      auto run_end = run;
      std::int64_t total = 0;
      while (run_end != last && run_end->neighbor == run->neighbor) total += edges[(run_end++)->edge].count;
      indices[out] = run->neighbor;
      counts[out] = total;
      weights[out] = Policy::merge(run, run_end, edges, total);
      ++out;
      run = run_end;
    }
  }
  return CsrGraph(Trusted{}, std::move(indptr), std::move(indices), std::move(counts), std::move(weights));
}

CsrGraph CsrGraph::from_edge_sums(std::int64_t n, std::span<const EdgeSum> edges) { return build<EdgeSum>(n, edges); }

CsrGraph CsrGraph::from_weighted_edges(std::int64_t n, std::span<const WeightedEdge> edges) {
  return build<WeightedEdge>(n, edges);
}

}  // namespace coact::graph
