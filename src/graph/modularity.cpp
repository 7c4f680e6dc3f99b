#include "coact/graph/modularity.h"

#include <algorithm>
#include <vector>

#include "coact/core/errors.h"

namespace coact::graph {

double modularity(const CsrGraph& graph, std::span<const std::int64_t> community, EdgeWeighting weighting,
                  double resolution) {
  const std::int64_t n = graph.num_nodes();
  if (static_cast<std::int64_t>(community.size()) != n)
    throw InputError(str("modularity: ", community.size(), " community labels for ", n, " nodes"));
  std::int64_t labels = 0;
  for (const auto c : community) {
    if (c < 0) throw InputError(str("modularity: negative community label ", c));
    labels = std::max(labels, c + 1);
  }
  std::vector<double> inside(static_cast<std::size_t>(labels), 0.0), degree(static_cast<std::size_t>(labels), 0.0);
  double twice_m = 0.0;
  for (NodeId u = 0; u < n; ++u) {
    const std::int64_t cu = community[static_cast<std::size_t>(u)];
    const auto row = graph.neighbors(u);
    for (std::int64_t e = graph.indptr()[u]; e < graph.indptr()[u + 1]; ++e) {
      const double w = edge_value(graph, e, weighting);
      twice_m += w;
      degree[static_cast<std::size_t>(cu)] += w;
      // Each internal edge is seen from both ends: half from each.
      if (community[static_cast<std::size_t>(row[static_cast<std::size_t>(e - graph.indptr()[u])])] == cu)
        inside[static_cast<std::size_t>(cu)] += 0.5 * w;
    }
  }
  if (twice_m == 0.0) return 0.0;
  const double m = 0.5 * twice_m;
  double q = 0.0;
  for (std::int64_t c = 0; c < labels; ++c) {
    const double share = degree[static_cast<std::size_t>(c)] / twice_m;
    q += inside[static_cast<std::size_t>(c)] / m - resolution * share * share;
  }
  return q;
}

}  // namespace coact::graph
