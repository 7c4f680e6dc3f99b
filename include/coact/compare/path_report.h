// `coact path` as one library call: the shortest path(s) between two features of a graph (hops,
// or Dijkstra on 1 - weight; Yen for k paths), each feature with its degree, frequency and,
// given a store, its top-activating tokens; rendered as text or JSON.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "coact/backend/backend.h"
#include "coact/compare/feature_card.h"
#include "coact/core/options.h"
#include "coact/graph/graph_file.h"
#include "coact/graph/k_shortest_paths.h"

namespace coact::compare {

struct PathOptions {
  std::int64_t from = 0, to = 0;
  bool weighted = false;        // edge length 1 - weight instead of one hop
  std::int64_t k = 1;           // shortest simple paths (Yen)
  std::int64_t top = 5;         // top tokens per feature
  std::int64_t scan_tokens = std::int64_t{1} << 20;
};
// from, to, weighted, k, top, scan-tokens.
const options::Table<PathOptions>& path_table();

struct PathRequest {
  std::string graph;
  PathOptions options;
  std::string activations;  // "" = no top tokens
  std::string tokenizer;    // decodes the top tokens
  std::string sae;          // "" = the SAE the graph names
  backend::DeviceRequest device = backend::DeviceRequest::Auto;
};

struct PathReport {
  graph::GraphFile file;
  std::vector<graph::Path> paths;  // empty: the features are not connected
  graph::NodeId from = 0, to = 0;
  graph::PathMetric metric = graph::PathMetric::Hops;
  std::map<graph::NodeId, std::vector<TopToken>> top_tokens;

  std::string text() const;
  std::string json() const;
};

PathReport find_paths(const PathRequest& request);

}  // namespace coact::compare
