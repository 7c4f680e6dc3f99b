// Newman modularity of a partition with a resolution γ, as networkx.community.modularity:
//   Q = Σ_c [ L_c / m − γ (d_c / 2m)² ]
// where m is the total edge weight, L_c the weight of the edges inside community c and d_c the
// summed weighted degree of its nodes. 0 for a graph without edges (networkx divides by zero).
#pragma once

#include <cstdint>
#include <span>

#include "coact/graph/csr_graph.h"
#include "coact/graph/edge_weighting.h"

namespace coact::graph {

// `community` holds one label per node (any non-negative integers). InputError when its length
// is not n or a label is negative.
double modularity(const CsrGraph& graph, std::span<const std::int64_t> community, EdgeWeighting weighting,
                  double resolution = 1.0);

}  // namespace coact::graph
