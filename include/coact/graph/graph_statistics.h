// The seed study's descriptive table for one graph (docs/method.md, "Graph statistics"), with
// networkx semantics: nodes; edges; average degree 2E/N; density 2E/(N(N-1)) (0 when E = 0
// or N <= 1); connected components (isolated nodes count); largest component size; the set of
// distinct component sizes; average clustering over all nodes; and the Pearson correlation of
// degree and feature frequency over all nodes.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "coact/graph/algorithm.h"
#include "coact/graph/connected_components.h"
#include "coact/graph/csr_graph.h"
#include "coact/graph/local_clustering.h"
#include "coact/graph/node_statistics.h"

namespace coact::graph {

struct GraphSummary {
  std::int64_t nodes = 0;
  std::int64_t edges = 0;
  double average_degree = 0.0;
  double density = 0.0;
  std::int64_t components = 0;
  std::int64_t largest_component = 0;
  std::vector<std::int64_t> component_sizes;  // distinct sizes, ascending
  double average_clustering = 0.0;
  double pearson_degree_frequency = 0.0;  // NaN without frequencies or when undefined
};

class GraphStatistics final : public Algorithm {
 public:
  // `frequency` is per node (size n) or empty (then the Pearson entry is NaN). The graph and
  // the frequencies must outlive this object.
  GraphStatistics(const CsrGraph& graph, std::span<const double> frequency = {});
  // Runs components, clustering and node statistics (kept for callers that need them too).
  void run() override;

  const GraphSummary& summary() const;
  const ConnectedComponents& components() const;
  const LocalClustering& clustering() const;
  const NodeStatistics& nodes() const;

 private:
  const CsrGraph& graph_;
  std::span<const double> frequency_;
  ConnectedComponents components_;
  LocalClustering clustering_;
  NodeStatistics nodes_;
  GraphSummary summary_;
};

// Pearson's r of two equally long series (two-pass: means, then centred sums); NaN when either
// series is constant or has fewer than two values.
double pearson_correlation(std::span<const double> x, std::span<const double> y);

struct NodeData;
// The same summary from node data already computed for this CSR (a graph file's /nodes): the
// same numbers as GraphStatistics, without a second pass over the graph.
GraphSummary summarise_node_data(const CsrGraph& graph, const NodeData& nodes);

// density as networkx.density computes it for an undirected graph.
double density(std::int64_t nodes, std::int64_t edges);

}  // namespace coact::graph
