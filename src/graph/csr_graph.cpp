// Validation of adopted CSR arrays. Rows are checked in parallel; on failure the first bad row
// is described again sequentially, so the message does not depend on the thread count.
#include "coact/graph/csr_graph.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <optional>

#include "coact/core/errors.h"

namespace coact::graph {
namespace {

constexpr std::int64_t kNoRow = std::numeric_limits<std::int64_t>::max();

// Why row u is not a valid sorted row, or nothing.
std::optional<std::string> row_problem(const std::vector<std::int64_t>& indptr, const std::vector<NodeId>& indices,
                                       const std::vector<std::int64_t>& counts, const std::vector<double>& weights,
                                       std::int64_t u, const std::string& where) {
  const std::int64_t n = static_cast<std::int64_t>(indptr.size()) - 1;
  for (std::int64_t e = indptr[u]; e < indptr[u + 1]; ++e) {
    const std::int64_t v = indices[e];
    if (v < 0 || v >= n) return str(where, "indices: entry ", e, " (row ", u, ") is ", v, ", outside [0, ", n, ")");
    if (v == u) return str(where, "indices: row ", u, " has a self loop (entry ", e, ")");
    if (e > indptr[u] && indices[e - 1] >= v)
      return str(where, "indices: row ", u, " is not strictly ascending at entry ", e, " (", v, " after ",
                 indices[e - 1], ")");
    if (counts[e] < 1)
      return str(where, "count: entry ", e, " (edge ", u, "-", v, ") is ", counts[e], ", expected at least 1");
    if (!std::isfinite(weights[e]))
      return str(where, "weight: entry ", e, " (edge ", u, "-", v, ") is ", weights[e], ", expected a finite number");
  }
  return std::nullopt;
}

// Why the rows are not symmetric, or nothing. Rows ascend, so the reverse entries (v, u) of the
// upper entries (u, v), u < v, appear in row v in increasing u: one cursor per row, advanced as
// rows u = 0, 1, ... are visited, must meet each of them in turn and end past all of row v's
// lower entries. One sequential pass, O(E), with no searching.
std::optional<std::string> symmetry_problem(const std::vector<std::int64_t>& indptr, const std::vector<NodeId>& indices,
                                            const std::vector<std::int64_t>& counts, const std::vector<double>& weights,
                                            const std::string& where) {
  const std::int64_t n = static_cast<std::int64_t>(indptr.size()) - 1;
  std::vector<std::int64_t> cursor(indptr.begin(), indptr.end() - 1);
  const auto unmatched_lower = [&](std::int64_t v, std::int64_t at) {
    return str(where, "indices: edge ", indices[at], "-", v, " is stored in row ", v, " but not in row ", indices[at],
               " (the CSR must be symmetric)");
  };
  for (std::int64_t u = 0; u < n; ++u) {
    for (std::int64_t e = indptr[u]; e < indptr[u + 1]; ++e) {
      const NodeId v = indices[e];
      if (v < u) continue;
      const std::int64_t at = cursor[v];
      const bool has_lower = at < indptr[v + 1] && indices[at] < v;
      if (has_lower && indices[at] < u) return unmatched_lower(v, at);  // row indices[at] is done without v
      if (!has_lower || indices[at] != u)
        return str(where, "indices: edge ", u, "-", v, " is stored in row ", u, " but not in row ", v,
                   " (the CSR must be symmetric)");
      if (counts[e] != counts[at])
        return str(where, "count: edge ", u, "-", v, " has count ", counts[e], " in row ", u, " but ", counts[at],
                   " in row ", v);
      if (weights[e] != weights[at])
        return str(where, "weight: edge ", u, "-", v, " has weight ", weights[e], " in row ", u, " but ", weights[at],
                   " in row ", v);
      ++cursor[v];
    }
  }
  for (std::int64_t v = 0; v < n; ++v) {
    const std::int64_t at = cursor[v];
    if (at < indptr[v + 1] && indices[at] < v) return unmatched_lower(v, at);
  }
  return std::nullopt;
}

// The smallest row for which `problem` reports something, checked in parallel.
template <class Check>
std::optional<std::string> first_problem(std::int64_t n, const Check& problem) {
  std::int64_t first_bad = kNoRow;
#pragma omp parallel for schedule(dynamic, 256) reduction(min : first_bad)
  for (std::int64_t u = 0; u < n; ++u) {
    if (u < first_bad && problem(u)) first_bad = std::min(first_bad, u);
  }
  if (first_bad == kNoRow) return std::nullopt;
  return problem(first_bad);
}

}  // namespace

CsrGraph::CsrGraph(std::vector<std::int64_t> indptr, std::vector<NodeId> indices, std::vector<std::int64_t> counts,
                   std::vector<double> weights, const std::string& where)
    : indptr_(std::move(indptr)),
      indices_(std::move(indices)),
      counts_(std::move(counts)),
      weights_(std::move(weights)) {
  const auto entries = static_cast<std::int64_t>(indices_.size());
  if (indptr_.empty()) throw InputError(str(where, "indptr: is empty, expected n + 1 entries"));
  const std::int64_t n = num_nodes();
  if (n > std::numeric_limits<NodeId>::max())
    throw InputError(str(where, "indptr: ", n, " nodes do not fit 32-bit node indices"));
  if (indptr_[0] != 0) throw InputError(str(where, "indptr: starts at ", indptr_[0], ", expected 0"));
  for (std::int64_t u = 0; u < n; ++u) {
    if (indptr_[u + 1] < indptr_[u])
      throw InputError(
          str(where, "indptr: decreases at entry ", u + 1, " (", indptr_[u + 1], " after ", indptr_[u], ")"));
  }
  if (indptr_[n] != entries)
    throw InputError(str(where, "indptr: ends at ", indptr_[n], " but indices has ", entries, " entries"));
  if (static_cast<std::int64_t>(counts_.size()) != entries)
    throw InputError(str(where, "count: has ", counts_.size(), " entries, expected ", entries, " (one per index)"));
  if (static_cast<std::int64_t>(weights_.size()) != entries)
    throw InputError(str(where, "weight: has ", weights_.size(), " entries, expected ", entries, " (one per index)"));

  const auto row_check = [&](std::int64_t u) { return row_problem(indptr_, indices_, counts_, weights_, u, where); };
  if (auto problem = first_problem(n, row_check)) throw InputError(*problem);

  if (auto problem = symmetry_problem(indptr_, indices_, counts_, weights_, where)) throw InputError(*problem);
}

CsrGraph::CsrGraph(Trusted, std::vector<std::int64_t> indptr, std::vector<NodeId> indices,
                   std::vector<std::int64_t> counts, std::vector<double> weights)
    : indptr_(std::move(indptr)),
      indices_(std::move(indices)),
      counts_(std::move(counts)),
      weights_(std::move(weights)) {}

}  // namespace coact::graph
