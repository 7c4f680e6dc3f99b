#include "coact/graph/community_summary.h"

#include <algorithm>

#include "coact/core/errors.h"

namespace coact::graph {

CommunitySummary summarise_communities(const CsrGraph& graph, std::span<const std::int64_t> community, int top) {
  const std::int64_t n = graph.num_nodes();
  if (static_cast<std::int64_t>(community.size()) != n)
    throw InputError(str("communities: ", community.size(), " labels for ", n, " nodes"));
  std::int64_t count = 0;
  for (const auto c : community) {
    if (c < 0 || c >= n) throw InputError(str("communities: label ", c, " outside [0, ", n, ")"));
    count = std::max(count, c + 1);
  }
  std::vector<CommunityInfo> info(static_cast<std::size_t>(count));
  std::vector<std::vector<NodeId>> members(static_cast<std::size_t>(count));
  for (std::int64_t c = 0; c < count; ++c) info[static_cast<std::size_t>(c)].id = c;
  for (NodeId u = 0; u < n; ++u) {
    const std::int64_t c = community[static_cast<std::size_t>(u)];
    CommunityInfo& ci = info[static_cast<std::size_t>(c)];
    ++ci.size;
    members[static_cast<std::size_t>(c)].push_back(u);
    for (const NodeId v : graph.neighbors(u))
      if (v > u && community[static_cast<std::size_t>(v)] == c) ++ci.internal_edges;
  }
  CommunitySummary s;
  for (std::int64_t c = 0; c < count; ++c) {
    CommunityInfo& ci = info[static_cast<std::size_t>(c)];
    if (ci.size == 0) continue;  // an unused id
    ci.density = ci.size > 1 ? 2.0 * static_cast<double>(ci.internal_edges) / (static_cast<double>(ci.size) * static_cast<double>(ci.size - 1)) : 0.0;
    auto& m = members[static_cast<std::size_t>(c)];
    const auto keep = std::min<std::size_t>(m.size(), static_cast<std::size_t>(std::max(top, 0)));
    std::partial_sort(m.begin(), m.begin() + static_cast<std::ptrdiff_t>(keep), m.end(), [&graph](NodeId a, NodeId b) {
      return graph.degree(a) != graph.degree(b) ? graph.degree(a) > graph.degree(b) : a < b;
    });
    ci.top_features.assign(m.begin(), m.begin() + static_cast<std::ptrdiff_t>(keep));
    ++s.communities;
    s.singletons += ci.size == 1;
    s.largest = std::max(s.largest, ci.size);
    std::size_t bin = 0;
    while ((std::int64_t{2} << bin) <= ci.size) ++bin;
    if (s.size_bins.size() <= bin) s.size_bins.resize(bin + 1, 0);
    ++s.size_bins[bin];
    s.by_size.push_back(std::move(ci));
  }
  std::stable_sort(s.by_size.begin(), s.by_size.end(), [](const CommunityInfo& a, const CommunityInfo& b) { return a.size > b.size; });
  return s;
}

}  // namespace coact::graph
