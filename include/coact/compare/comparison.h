// `coact compare`: every pair of SAEs (with their graphs) compared and stored in compare.h5
// (docs/formats.md, "compare.h5"), plus the seeds × seeds summary. The report and the feature
// cards read that file back (read_comparison).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "coact/backend/backend.h"
#include "coact/core/options.h"
#include "coact/compare/pair_summary.h"
#include "coact/compare/pair_comparison.h"
#include "coact/graph/graph_statistics.h"
#include "coact/io/provenance.h"

namespace coact::compare {

struct ComparisonOptions {
  std::vector<std::string> saes;
  std::vector<std::string> graphs;   // one per SAE, same order
  std::string out;                   // compare.h5
  bool force = false;
  PairOptions pair;
  std::string truth_store;           // store with /ground_truth ("" = the SAEs' training store, if it has one)
  std::string command_line;
  std::string config_text;
  // pair.match_activations: the correlations of every pair (activation_correlations).
  std::vector<PairCorrelation> correlations;
};

// The options a user sets (coact compare's flags, a study's [compare] keys): the matching and
// each pair's analysis. SAE and graph lists, paths and provenance belong to the caller.
const options::Table<ComparisonOptions>& comparison_table();

// What compare.h5 holds, as read back: per SAE, per graph and per pair.
// The communities `coact communities` stored in an SAE's graph file, for one method; a number
// the file did not hold is NaN (truth scores exist only on synthetic data).
struct StoredCommunities {
  std::string method;  // "louvain" or "label_propagation"
  double modularity = 0, communities = 0, truth_adjusted_rand = 0, truth_nmi = 0;
};

struct ComparedSae {
  std::string path, hash, graph_path;
  std::int64_t seed = 0, d_in = 0, n_features = 0;
  graph::GraphSummary graph;                   // the graph's descriptive statistics
  std::vector<StoredCommunities> communities;  // only the methods the graph file held
};

struct ComparedPair {
  std::int64_t first = 0, second = 0;         // indices into `saes`
  PairSummary values;                          // every number of the pair (shared_fraction, js_degree, Q2, ...)
  std::string method;
};

struct ComparisonFile {
  std::string path;
  double threshold = 0;
  std::string match = "decoder";  // "decoder" or "activations"
  std::vector<ComparedSae> saes;
  std::vector<ComparedPair> pairs;
  bool has_truth = false;
};

// Collective over `comm`: every rank calls it with the same options and its own backend. The
// root reads and checks the inputs, runs each pair's analyses and writes `out` atomically;
// the decoder matching of each pair runs on every rank (match_decoders), each holding its
// share of the two decoders, so that no process ever holds the n1×n2 cost matrix. A failure
// on the root is raised on every rank alike (dist::run_on_root). Returns what it wrote on the
// root, an empty ComparisonFile elsewhere.
ComparisonFile run_comparison(backend::Backend& compute, dist::Comm& comm, const ComparisonOptions& options);

// The same on this process alone (a communicator of one rank).
ComparisonFile run_comparison(backend::Backend& compute, const ComparisonOptions& options);

// Reads compare.h5 after the consistency checks of require_consistent_comparison_attributes
// (comparison_check.h).
ComparisonFile read_comparison(const std::string& path);

}  // namespace coact::compare
