#include "coact/graph/pagerank.h"

#include <cmath>

#include "coact/core/errors.h"

namespace coact::graph {

PageRank::PageRank(const CsrGraph& graph, const PageRankOptions& options) : graph_(graph), options_(options) {
  if (!(options.damping >= 0 && options.damping < 1))
    throw UsageError(str("PageRank: damping must be in [0, 1) (got ", options.damping, ")"));
  if (!(options.tolerance > 0)) throw UsageError(str("PageRank: tolerance must be positive (got ", options.tolerance, ")"));
  if (options.max_iterations < 1)
    throw UsageError(str("PageRank: max iterations must be at least 1 (got ", options.max_iterations, ")"));
  require_non_negative_weights(graph, options.weighting, "PageRank");
}

void PageRank::run() {
  const std::int64_t n = graph_.num_nodes();
  scores_.clear();
  iterations_ = 0;
  if (n == 0) {
    mark_finished();
    return;
  }
  const auto& indptr = graph_.indptr();
  const auto& indices = graph_.indices();
  // Edge values as one array (a copy for unit/count: the hot loop then has no branch), and each
  // node's inverse weighted degree, 0 for dangling nodes.
  std::vector<double> value(indices.size());
  std::vector<double> inverse_degree(static_cast<std::size_t>(n));
  // One thread below ~128k entries: a team costs more than the loop there.
  const bool parallel = indices.size() > (std::size_t{1} << 17);
#pragma omp parallel for schedule(dynamic, 256) if (parallel)
  for (std::int64_t u = 0; u < n; ++u) {
    double sum = 0.0;
    for (std::int64_t e = indptr[static_cast<std::size_t>(u)]; e < indptr[static_cast<std::size_t>(u) + 1]; ++e) {
      value[static_cast<std::size_t>(e)] = edge_value(graph_, e, options_.weighting);
      sum += value[static_cast<std::size_t>(e)];
    }
    inverse_degree[static_cast<std::size_t>(u)] = sum != 0.0 ? 1.0 / sum : 0.0;
  }
  const double alpha = options_.damping, teleport = 1.0 / static_cast<double>(n);
  // share[u] = x[u] / k(u): what u sends along each unit of edge value. The update of x and
  // the next iteration's shares and dangling mass are computed in one pass.
  std::vector<double> x(static_cast<std::size_t>(n), teleport), next(static_cast<std::size_t>(n));
  std::vector<double> share(static_cast<std::size_t>(n)), next_share(static_cast<std::size_t>(n));
  double dangling = 0.0;
  for (std::int64_t u = 0; u < n; ++u) {
    share[static_cast<std::size_t>(u)] = teleport * inverse_degree[static_cast<std::size_t>(u)];
    if (inverse_degree[static_cast<std::size_t>(u)] == 0.0) dangling += teleport;
  }
  for (iterations_ = 1; iterations_ <= options_.max_iterations; ++iterations_) {
    const double base = alpha * dangling * teleport + (1.0 - alpha) * teleport;
    double change = 0.0, next_dangling = 0.0;
#pragma omp parallel for schedule(dynamic, 512) reduction(+ : change, next_dangling) if (parallel)
    for (std::int64_t v = 0; v < n; ++v) {
      double in = 0.0;
      for (std::int64_t e = indptr[static_cast<std::size_t>(v)]; e < indptr[static_cast<std::size_t>(v) + 1]; ++e)
        in += value[static_cast<std::size_t>(e)] * share[static_cast<std::size_t>(indices[static_cast<std::size_t>(e)])];
      const double updated = alpha * in + base;
      change += std::fabs(updated - x[static_cast<std::size_t>(v)]);
      next[static_cast<std::size_t>(v)] = updated;
      const double inverse = inverse_degree[static_cast<std::size_t>(v)];
      next_share[static_cast<std::size_t>(v)] = updated * inverse;
      if (inverse == 0.0) next_dangling += updated;
    }
    x.swap(next);
    share.swap(next_share);
    dangling = next_dangling;
    if (change < static_cast<double>(n) * options_.tolerance) {
      scores_ = std::move(x);
      mark_finished();
      return;
    }
  }
  throw NumericError(str("PageRank did not converge within ", options_.max_iterations, " iterations (tolerance ",
                         options_.tolerance, ")"));
}

const std::vector<double>& PageRank::scores() const {
  assure_finished("PageRank");
  return scores_;
}

std::int64_t PageRank::iterations() const {
  assure_finished("PageRank");
  return iterations_;
}

}  // namespace coact::graph
