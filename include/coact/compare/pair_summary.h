// Every number a compared pair of SAEs carries in compare.h5 — its /pairs/<i>_<j> attributes and
// the /summary/<name> matrices — as one typed struct, and the one table that names each number:
// the comparison writes from it, read_comparison fills it, and the report, the HTML pages, the
// file checks and the commands read its members.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "coact/compare/node_search.h"

namespace coact::compare {

struct PairResult;

struct PairSummary {
  // The matching and the shared fraction at the study's threshold.
  double shared_fraction = 0, shared_features = 0, mean_matched_cosine = 0, matching_cost = 0;
  double certified = 0;  // 1 when the exact optimum carries its certificate
  // How the decoder matching ran (blocked_matching.h).
  double matching_ranks = 0, matching_full_passes = 0, matching_passes = 0, matching_pricing_rounds = 0;
  double matching_block_bytes = 0, matching_rank_bytes = 0, matching_seconds = 0;
  // Q1.
  double js_degree = 0, js_degree_random = 0, js_strength = 0, js_strength_random = 0;
  double edge_jaccard = 0, edges_kept = 0;
  double spearman_degree = 0, spearman_strength = 0, spearman_frequency = 0;
  double spearman_degree_shared = 0, spearman_strength_shared = 0, spearman_frequency_shared = 0;
  // Q2: node-statistic search, and with the centralities.
  SearchScore q2, q2x;
  // Matching on activations (compare --match activations).
  std::optional<double> correlation_tokens, mean_matched_correlation;
  std::optional<double> agreement_with_decoder, agreement_with_decoder_shared;
  // Q3.
  double q3_pairs = 0, q3_neighbour_overlap = 0, q3_chance_overlap = 0;
  SearchScore q3_restricted, q3_global;
  // Ground truth (synthetic data).
  std::optional<double> truth_features, truth_recovered_first, truth_recovered_second, truth_mmcs_first,
      truth_mmcs_second, truth_both_hit, truth_same;
};

// One number of PairSummary: its attribute name and how to read and set it (unset: nullopt).
// A run measurement (how the matching ran: ranks, memory, time) is a pair attribute only; the
// results are also /summary/<name> matrices, which are the same for any rank count.
struct PairSummaryField {
  std::string name;
  bool run_measurement = false;
  std::function<std::optional<double>(const PairSummary&)> get;
  std::function<void(PairSummary&, double)> set;
};
// Every number, in the order the file stores them.
const std::vector<PairSummaryField>& pair_summary_fields();
const PairSummaryField* find_pair_summary_field(const std::string& name);

// The numbers of a pair's result.
PairSummary summarise_pair(const PairResult& result);

}  // namespace coact::compare
