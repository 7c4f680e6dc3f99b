// The cross-seed comparison (docs/method.md, "Cross-seed comparison"), for every pair of SAEs and
// their graphs: the exact feature matching on decoder cosines and the shared fraction, then
// Q1 (are the graphs alike: degree/strength Jensen–Shannon distances against an Erdős–Rényi
// baseline, edge Jaccard under the matching, rank correlations of matched node statistics),
// Q2 (can node statistics find a feature's counterpart) and Q3 (does a feature's neighbourhood
// help find its neighbours' counterparts), each with its chance level. On synthetic data it
// also scores the SAEs against the true features. The decoder matching runs on every rank of a
// communicator (match_decoders, blocked_matching.h); the rest of a pair on one process (the root).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "coact/backend/backend.h"
#include "coact/compare/activation_correlation.h"
#include "coact/compare/blocked_matching.h"
#include "coact/compare/node_search.h"
#include "coact/graph/graph_file.h"
#include "coact/sae/sae.h"

namespace coact::compare {

// An SAE as the comparison holds it on the root: what its file says, no tensor. Each rank reads
// its share of the decoder for the matching, and the encoder is read a block at a time
// (matched_encoder_cosines), so no rank holds an SAE whole.
struct SaeSide {
  std::string path;
  std::string hash;      // sha256 of the file
  std::uint64_t seed = 0;
  std::int64_t n_features = 0, d_in = 0;
  std::string activations;  // the store it was trained on (for ground truth)
  // W_dec [n, d] whole, only where a pair needs it on the root (ground truth, activation
  // matching: both sized by a dense n1 × n2 or truth × n problem); empty otherwise.
  std::vector<float> w_dec;
};

struct GraphSide {
  std::string path;
  graph::GraphFile file;
  NodeStatistics stats;            // the Q2 inputs of every node (centralities included)
  std::vector<double> standardised;  // standardised_statistics(stats)
  std::vector<double> extended;      // standardised_extended_statistics(stats)
};

// How each pair of SAEs is compared.
struct PairOptions {
  double threshold = 0.7;        // decoder cosine at or above which a matched pair is "shared"
  bool greedy = false;           // approximate matching instead of the exact assignment
  bool rectangular = false;      // allow different dictionary sizes (the smaller is matched)
  std::uint64_t baseline_seed = 0;  // Erdős–Rényi baselines
  std::int64_t strength_bins = 50;
  double truth_threshold = 0.9;  // a feature "hits" a true feature at this cosine
  // Match on activation correlation (compare_pair's `correlation`) instead of decoder cosine;
  // `threshold` then applies to the matched correlation.
  bool match_activations = false;
  // Tiles and candidate counts of the decoder matching (its `greedy` and `label` come from
  // the fields above and the pair).
  BlockedMatchingOptions matching;
};

struct GroundTruthPair {
  std::int64_t true_features = 0;
  std::int64_t recovered_first = 0, recovered_second = 0;  // true features with a feature >= threshold
  double mmcs_first = 0, mmcs_second = 0;
  std::int64_t both_hit = 0;     // matched pairs whose two features each hit a true feature
  std::int64_t same_truth = 0;   // ... and hit the same one
};

struct PairResult {
  std::size_t first = 0, second = 0;  // indices into the SAE list
  // Matching: feature i of the first SAE -> matching[i] of the second.
  std::vector<std::int32_t> matching;
  std::vector<float> decoder_cosine, encoder_cosine;
  std::vector<std::uint8_t> shared;
  std::string method;                 // "exact" or "greedy"
  std::string match = "decoder";      // what was matched: "decoder" (cosine) or "activations" (correlation)
  // Activation matching: the matched pairs' correlation (NaN entries elsewhere), the tokens it
  // was measured on, and how often the decoder matching of the same pair (same d_in only)
  // picks the same partner: over all features and over the shared ones (NaN without it).
  std::vector<float> activation_correlation;
  double mean_matched_correlation = 0;
  std::int64_t correlation_tokens = 0;
  double agreement_with_decoder = 0, agreement_with_decoder_shared = 0;
  bool has_decoder_agreement = false;
  bool certified = false;             // exact: the optimality certificate held
  // How the matching ran: "blocked" (decoder cosines, blocked_cosine_matching over `ranks`
  // ranks, with its stats) or "dense" (activation correlations: the n1×n2 matrix is given).
  std::string matching_path = "blocked";
  int matching_ranks = 1;
  BlockedMatchingStats matching_stats;
  double matching_cost = 0;           // Σ (1 − cos)
  double shared_fraction = 0;
  double mean_matched_cosine = 0;
  // Q1
  double js_degree = 0, js_degree_random = 0;
  double js_strength = 0, js_strength_random = 0;
  double edge_jaccard = 0;
  std::int64_t edges_kept = 0;        // edges of the first graph whose matched pair is an edge of the second
  double spearman_degree = 0, spearman_strength = 0, spearman_frequency = 0;                       // all matched pairs
  double spearman_degree_shared = 0, spearman_strength_shared = 0, spearman_frequency_shared = 0;  // shared pairs
  // Q2, Q3
  SearchScore search;
  SearchScore search_extended;        // Q2 with the centralities added (kExtendedStatisticCount columns)
  NeighbourhoodScore neighbourhood;
  std::optional<GroundTruthPair> truth;
};

// Reads an SAE's record (read_checkpoint_record's checks, no tensor) and hashes its file; a
// graph file, checking that the graph was built from that SAE (its recorded hash) and has its
// number of features.
SaeSide load_sae_side(const std::string& path);
// Reads the SAE's whole decoder into side.w_dec.
void load_whole_decoder(SaeSide& side);
// Each feature of `a` and its match's encoder cosine (W_enc columns), reading both files'
// W_enc a block of input coordinates at a time: memory O(block · (n1 + n2)), not the tensors.
std::vector<float> matched_encoder_cosines(const SaeSide& a, const SaeSide& b, const std::vector<std::int32_t>& matching);
GraphSide load_graph_side(const std::string& path, const SaeSide& sae);
// A graph file's Q2 statistics (recomputed from its CSR) without checking which SAE built it.
GraphSide load_graph_statistics(const std::string& path);

// The decoder matching of a pair: feature i of the first SAE -> matching[i] of the second,
// with the decoder cosine of each matched pair.
struct DecoderMatching {
  std::vector<std::int32_t> matching;
  std::vector<float> cosine;
  double cost = 0;              // Σ (1 − cos)
  bool certified = false;       // exact: the optimality certificate held
  std::string method;           // "exact" or "greedy"
  int ranks = 1;
  BlockedMatchingStats stats;
  NearestCosines nearest;       // with options.matching.nearest: each feature's best cosine in the other SAE
  NearestCosines null_nearest;  // with options.matching.null_rotation: the same against the other turned
};

// Collective over `comm`: the exact (or, with options.greedy, greedy) matching on
// 1 − cos(W_dec1[i], W_dec2[j]), every rank passing its share row_share(n, rank, size) of both
// decoders (n1 <= n2), read a block at a time (decoder_share). Memory per rank
// O((n1 + n2)/ranks · d + n · candidates). Every rank gets the whole result.
DecoderMatching match_decoders(backend::Backend& compute, dist::Comm& comm, const ShareRows& first_share,
                               std::int64_t n1, const ShareRows& second_share, std::int64_t n2,
                               const PairOptions& options, const std::string& label);

// Refuses (InputError naming both files) a pair the options cannot compare: different d_in
// for a decoder matching, different sizes without options.rectangular, the larger SAE first.
void check_pair(const SaeSide& a, const SaeSide& b, const PairOptions& options);

// One pair. `truth` (m × d true directions) may be empty. With options.match_activations the
// matching is the exact assignment on 1 − `correlation` (required then; SAEs of different
// d_in allowed, their decoder and encoder cosines are NaN and the ground truth is skipped).
// `decoders` is the pair's decoder matching, run over the ranks by match_decoders (required
// for SAEs of one d_in: SaeSide holds no decoder to match here). `ranker` computes Q2's and Q3's
// global ranks (run_comparison spreads them over the ranks).
PairResult compare_pair(const SaeSide& a, const SaeSide& b, const GraphSide& ga,
                        const GraphSide& gb, const PairOptions& options, const std::vector<float>& truth,
                        const PairCorrelation* correlation, const DecoderMatching* decoders,
                        const RankFunction& ranker = global_ranks);

}  // namespace coact::compare
