// Which number of an edge the weighted algorithms use (Louvain, PageRank, weighted paths and
// betweenness): the edge's mean activation cosine (`weight`), its co-occurrence count, or 1 for
// every edge (`unit`: the unweighted graph). The co-activation weight is a cosine of two
// non-negative activation columns, so it lies in [0, 1]; algorithms that need non-negative
// weights (modularity, random walks) check that once in their constructor.
#pragma once

#include <cstdint>
#include <string>

#include "coact/graph/csr_graph.h"

namespace coact::graph {

enum class EdgeWeighting { Unit, Weight, Count };

// "unit" | "weight" | "count"; UsageError otherwise.
EdgeWeighting parse_edge_weighting(const std::string& text);
const char* to_string(EdgeWeighting weighting);

// The value of CSR entry e under a weighting.
inline double edge_value(const CsrGraph& graph, std::int64_t entry, EdgeWeighting weighting) {
  switch (weighting) {
    case EdgeWeighting::Weight: return graph.weights()[static_cast<std::size_t>(entry)];
    case EdgeWeighting::Count: return static_cast<double>(graph.counts()[static_cast<std::size_t>(entry)]);
    case EdgeWeighting::Unit: break;
  }
  return 1.0;
}

// Throws InputError "<algorithm>: edge {u, v} has weight w; ... needs non-negative weights"
// for the first negative edge value under `weighting` (counts are >= 1 by construction).
void require_non_negative_weights(const CsrGraph& graph, EdgeWeighting weighting, const char* algorithm);

}  // namespace coact::graph
