#include "coact/graph/edge_weighting.h"

#include "coact/core/errors.h"

namespace coact::graph {

EdgeWeighting parse_edge_weighting(const std::string& text) {
  if (text == "unit") return EdgeWeighting::Unit;
  if (text == "weight") return EdgeWeighting::Weight;
  if (text == "count") return EdgeWeighting::Count;
  throw UsageError(str("edge weighting '", text, "' is not unit, weight or count"));
}

const char* to_string(EdgeWeighting weighting) {
  switch (weighting) {
    case EdgeWeighting::Unit: return "unit";
    case EdgeWeighting::Weight: return "weight";
    case EdgeWeighting::Count: return "count";
  }
  return "?";
}

void require_non_negative_weights(const CsrGraph& graph, EdgeWeighting weighting, const char* algorithm) {
  if (weighting != EdgeWeighting::Weight) return;
  const auto& weights = graph.weights();
  for (NodeId u = 0; u < graph.num_nodes(); ++u) {
    const auto row = graph.neighbors(u);
    for (std::int64_t e = graph.indptr()[u]; e < graph.indptr()[u + 1]; ++e)
      if (weights[static_cast<std::size_t>(e)] < 0.0)
        throw InputError(str(algorithm, ": edge {", u, ", ", row[static_cast<std::size_t>(e - graph.indptr()[u])],
                             "} has weight ", weights[static_cast<std::size_t>(e)],
                             "; this algorithm needs non-negative edge weights (use --weight unit or count)"));
  }
}

}  // namespace coact::graph
