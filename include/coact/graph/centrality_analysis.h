// Per-feature centralities of a graph as one analysis: k-core numbers, PageRank and betweenness,
// with their options table (coact centrality's flags), the node datasets to store, and the text
// and JSON a command prints.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "coact/core/options.h"
#include "coact/graph/betweenness.h"
#include "coact/graph/csr_graph.h"
#include "coact/graph/graph_file.h"
#include "coact/graph/pagerank.h"

namespace coact::graph {

struct CentralityOptions {
  bool cores = true, pagerank = true, betweenness = true;  // the measures to compute
  PageRankOptions pagerank_options;
  // Betweenness sources; absent: exact up to kAutoExactNodes nodes with neighbours, else
  // kAutoSamples sampled sources (a few seconds at seed scale on two cores).
  std::optional<std::int64_t> samples;
  bool weighted_betweenness = false;  // path lengths 1 - weight instead of hops
  std::uint64_t seed = 0;             // betweenness samples
};
inline constexpr std::int64_t kAutoExactNodes = 2048;
inline constexpr std::int64_t kAutoSamples = 1024;

// measures, damping, tolerance, max-iterations, weight, samples, weighted-betweenness, seed.
const options::Table<CentralityOptions>& centrality_table();

struct CentralityResults {
  std::int64_t nodes = 0, edges = 0;
  NodeAnalytics analytics;  // the measures computed, ready to store
  struct Measure {
    std::string name;       // "cores", "pagerank", "betweenness"
    std::string headline;   // "k-cores: degeneracy 12, innermost core 301 features"
    double seconds = 0;
    std::vector<double> scores;
    std::vector<std::pair<std::string, double>> numbers;  // for JSON: max_core, iterations, sources, ...
    std::vector<std::int64_t> core_sizes;                  // cores only
  };
  std::vector<Measure> measures;
};

CentralityResults compute_centralities(const CsrGraph& graph, const CentralityOptions& options,
                                       const std::string& command_line);

// What coact centrality prints: a text summary with the `top` features per measure, or JSON.
std::string centrality_text(const CentralityResults& results, const std::string& path, int top);
std::string centrality_json(const CentralityResults& results, const std::string& path, int top, bool stored);

// The `count` nodes of highest score (ties to the lower id).
std::vector<NodeId> top_nodes(const std::vector<double>& score, int count);

}  // namespace coact::graph
