// `coact inspect`: one feature's card — its statistics in its graph, its strongest neighbours,
// its matched features in the other seeds (from compare.h5) with their decoder cosines, its
// nearest nodes by node statistics in another graph, and, when an activation store is given,
// its top-activating tokens (decoded when a tokenizer is given).
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "coact/backend/backend.h"
#include "coact/core/options.h"

namespace coact::compare {

struct CardOptions {
  std::int64_t feature = 0;
  std::string graph;           // graph_<seed>.h5 holding the feature
  std::string compare;         // optional compare.h5 with this graph's SAE
  std::string sae;             // optional: the graph's SAE (default: the file the graph names)
  std::string activations;     // optional: scan this store for top-activating tokens
  std::string tokenizer;       // optional: tokenizer.json to decode tokens
  std::int64_t scan_tokens = 1 << 20;  // tokens of the store to scan
  int neighbours = 10;         // strongest neighbours listed
  int top = 10;                // top tokens / nearest nodes listed
  int context = 8;             // tokens of context before a top token
};

// feature, scan-tokens, neighbours, top (flags of coact inspect; top and scan-tokens of coact path).
const options::Table<CardOptions>& card_table();

struct Neighbour {
  std::int64_t feature = 0;
  double weight = 0;
  std::int64_t count = 0;
  double frequency = 0;
  std::int64_t degree = 0;
};

// A node of another graph near the feature by standardised statistics.
struct NearestNode {
  std::int64_t feature = 0;
  double distance = 0;
  double frequency = 0;
  std::int64_t degree = 0;
};

struct Match {
  std::int64_t seed = 0;        // the other SAE's seed
  std::string graph;            // its graph file
  std::int64_t feature = 0;     // the matched feature there
  double decoder_cosine = 0;
  double encoder_cosine = 0;
  bool shared = false;
  std::vector<NearestNode> nearest_by_statistics;  // in that graph, nearest first
  std::int64_t rank_of_match = 0;  // where the match ranks among them (1 = nearest)
};

struct TopToken {
  std::int64_t row = 0;
  double activation = 0;
  std::int32_t token = -1;
  std::string text;      // decoded token (with context) when a tokenizer is given
};

struct FeatureCard {
  std::int64_t feature = 0;
  std::int64_t seed = 0;
  std::string graph;
  double frequency = 0, strength = 0, clustering = 0, mean_neighbor_degree = 0;
  std::int64_t topk_count = 0, degree = 0, component = 0, component_size = 0;
  std::vector<Neighbour> by_weight, by_count;
  std::vector<Match> matches;
  std::vector<TopToken> top_tokens;
  std::int64_t tokens_scanned = 0;
};

FeatureCard feature_card(backend::Backend& compute, const CardOptions& options);

// The top-activating tokens of each of `features` (of the SAE at sae_path, n features) over the
// first options.scan_tokens rows of options.activations, options.top per feature, best first, in
// one pass over the store; token ids when the store has /tokens, decoded with
// options.context tokens before them when options.tokenizer is given. `scanned` gets the rows read.
std::vector<std::vector<TopToken>> top_tokens(backend::Backend& compute, const std::string& sae_path, std::int64_t n,
                                              std::span<const std::int64_t> features, const CardOptions& options,
                                              std::int64_t* scanned);
// A graph's SAE: the path the graph file stores, or the file of that name beside the graph.
std::string resolve_sae_of_graph(const std::string& stored, const std::string& graph);
std::string card_text(const FeatureCard& card);
std::string card_json(const FeatureCard& card);

}  // namespace coact::compare
