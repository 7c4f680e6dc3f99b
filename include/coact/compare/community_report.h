// `coact communities` as one library call: the graph's communities (graph/community_analysis.h),
// scored against the planted groups of synthetic data when a truth store is given, stored in
// the graph file when asked, and rendered as text or JSON.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "coact/backend/backend.h"
#include "coact/core/options.h"
#include "coact/compare/planted_groups.h"
#include "coact/graph/community_analysis.h"

namespace coact::compare {

struct CommunityRequest {
  std::string graph;                  // graph_<seed>.h5
  graph::CommunityOptions options;
  bool store = true;                  // write the partitions into the graph file
  std::string truth_store;            // "" = no scoring
  std::string sae;                    // "" = the SAE the graph names
  double truth_threshold = 0.9;       // decoder cosine for a feature to count as a true feature
  std::string command_line;
};

// store and truth-threshold (flags of coact communities; the algorithms' are community_table's).
const options::Table<CommunityRequest>& community_request_table();

struct CommunityReport {
  std::string graph;
  std::int64_t nodes = 0, edges = 0;
  bool stored = false;
  graph::CommunityResults results;
  std::vector<std::optional<CommunityScore>> scores;  // per method, with a truth store
  std::optional<PlantedGroups> planted;
  std::string truth_store;

  std::string text(int show) const;  // the largest `show` communities per method
  std::string json(int show) const;
};

CommunityReport analyse_communities(const CommunityRequest& request);

}  // namespace coact::compare
