// What `coact communities` prints about a partition: community sizes as a histogram, and per
// community its size, internal edges, internal density 2 L / (s (s − 1)) and its members of
// highest degree.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "coact/graph/csr_graph.h"

namespace coact::graph {

struct CommunityInfo {
  std::int64_t id = 0;
  std::int64_t size = 0;
  std::int64_t internal_edges = 0;
  double density = 0.0;              // 0 for a single node
  std::vector<NodeId> top_features;  // highest degree first (ties: lower id)
};

struct CommunitySummary {
  std::int64_t communities = 0;
  std::int64_t singletons = 0;            // communities of one node
  std::int64_t largest = 0;
  std::vector<CommunityInfo> by_size;     // all communities, largest first (ties: lower id)
  // Size histogram over powers of two: bins[b] counts communities of size in [2^b, 2^(b+1)).
  std::vector<std::int64_t> size_bins;
};

// `community` holds ids 0..C-1, one per node (InputError otherwise). `top` members listed each.
CommunitySummary summarise_communities(const CsrGraph& graph, std::span<const std::int64_t> community, int top = 5);

}  // namespace coact::graph
