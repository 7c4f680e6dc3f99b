// Graphs shared by the analytics tests (paths, communities, cores, PageRank, betweenness):
// hand-built ones with known answers and seeded random ones of several shapes.
#pragma once

#include <cstdint>
#include <random>
#include <vector>

#include "coact/graph/csr_graph.h"

namespace coact::graph::fixtures {

// G(n, p) with weights uniform in [0, 1) and counts in [1, 5], plus `isolated` extra nodes.
inline CsrGraph random_graph(NodeId n, double p, std::uint64_t seed, NodeId isolated = 0) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> uniform(0.0, 1.0);
  std::vector<WeightedEdge> edges;
  for (NodeId i = 0; i < n; ++i)
    for (NodeId j = i + 1; j < n; ++j)
      if (uniform(rng) < p) edges.push_back({i, j, 1 + static_cast<std::int64_t>(uniform(rng) * 5), uniform(rng)});
  return CsrGraph::from_weighted_edges(n + isolated, edges);
}

// Two cliques of `size` nodes (0..size-1 and size..2 size-1) joined by the edge {size-1, size}.
inline CsrGraph two_cliques(NodeId size) {
  std::vector<WeightedEdge> edges;
  for (NodeId c = 0; c < 2; ++c)
    for (NodeId i = c * size; i < (c + 1) * size; ++i)
      for (NodeId j = i + 1; j < (c + 1) * size; ++j) edges.push_back({i, j, 1, 0.9});
  edges.push_back({size - 1, size, 1, 0.1});
  return CsrGraph::from_weighted_edges(2 * size, edges);
}

// Planted partition: `groups` groups of `size` nodes, edge probability p_in inside a group and
// p_out across.
inline CsrGraph planted_partition(NodeId groups, NodeId size, double p_in, double p_out, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> uniform(0.0, 1.0);
  std::vector<WeightedEdge> edges;
  const NodeId n = groups * size;
  for (NodeId i = 0; i < n; ++i)
    for (NodeId j = i + 1; j < n; ++j)
      if (uniform(rng) < (i / size == j / size ? p_in : p_out)) edges.push_back({i, j, 1, 0.5 + 0.5 * uniform(rng)});
  return CsrGraph::from_weighted_edges(n, edges);
}

// Path 0 - 1 - ... - (n-1) with unit counts and the given weight.
inline CsrGraph path_graph(NodeId n, double weight = 0.5) {
  std::vector<WeightedEdge> edges;
  for (NodeId i = 0; i + 1 < n; ++i) edges.push_back({i, i + 1, 1, weight});
  return CsrGraph::from_weighted_edges(n, edges);
}

}  // namespace coact::graph::fixtures
