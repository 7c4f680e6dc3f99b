// Communities of a graph as one analysis: label propagation and/or Louvain, with their options
// table (coact communities' flags), each partition's summary, and the node datasets to store.
// Scoring against planted groups needs the SAE and the synthetic truth: compare/community_report.h.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "coact/core/options.h"
#include "coact/graph/community_summary.h"
#include "coact/graph/csr_graph.h"
#include "coact/graph/graph_file.h"
#include "coact/graph/louvain.h"

namespace coact::graph {

struct CommunityOptions {
  bool label_propagation = true, louvain = true;  // --method both | label-propagation | louvain
  LouvainOptions louvain_options;                  // weighting also scores label propagation's modularity
  std::int64_t top = 5;                            // top features kept per community
};

// method, weight, resolution, louvain-threshold, louvain-trials, louvain-refinement, seed, top.
const options::Table<CommunityOptions>& community_table();

struct DetectedCommunities {
  std::string name;     // "label propagation" / "louvain"
  std::string dataset;  // where it is stored
  std::string details;  // the algorithm's own numbers
  std::vector<std::int64_t> community;
  double modularity = 0, seconds = 0;
  CommunitySummary summary;
};

struct CommunityResults {
  std::vector<DetectedCommunities> methods;
  NodeAnalytics analytics;  // the partitions, ready to store

  // The stored column of a method (by its dataset).
  NodeColumn<std::int64_t>& column_of(const DetectedCommunities& method);
};

CommunityResults detect_communities(const CsrGraph& graph, const CommunityOptions& options, const std::string& command_line);

}  // namespace coact::graph
