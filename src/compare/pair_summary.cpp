#include "coact/compare/pair_summary.h"

#include "coact/compare/pair_comparison.h"

namespace coact::compare {

namespace {

using Fields = std::vector<PairSummaryField>;

void number(Fields& out, const std::string& name, double PairSummary::*member, bool run_measurement = false) {
  out.push_back({name, run_measurement, [member](const PairSummary& s) { return std::optional<double>(s.*member); },
                 [member](PairSummary& s, double v) { s.*member = v; }});
}

void optional_number(Fields& out, const std::string& name, std::optional<double> PairSummary::*member) {
  out.push_back({name, false, [member](const PairSummary& s) { return s.*member; },
                 [member](PairSummary& s, double v) { s.*member = v; }});
}

// A search's eleven numbers under `prefix` (q2_hit_at_1, ...).
void search(Fields& out, const std::string& prefix, SearchScore PairSummary::*member) {
  out.push_back({prefix + "queries", false, [member](const PairSummary& s) { return std::optional<double>(static_cast<double>((s.*member).queries)); },
                 [member](PairSummary& s, double v) { (s.*member).queries = static_cast<std::int64_t>(v); }});
  const std::pair<const char*, double SearchScore::*> parts[] = {
      {"hit_at_1", &SearchScore::hit_at_1},           {"hit_at_10", &SearchScore::hit_at_10},
      {"hit_at_100", &SearchScore::hit_at_100},       {"mrr", &SearchScore::mrr},
      {"median_rank", &SearchScore::median_rank},     {"chance_hit_at_1", &SearchScore::chance_hit_at_1},
      {"chance_hit_at_10", &SearchScore::chance_hit_at_10}, {"chance_hit_at_100", &SearchScore::chance_hit_at_100},
      {"chance_mrr", &SearchScore::chance_mrr},       {"chance_median_rank", &SearchScore::chance_median_rank}};
  for (const auto& [name, part] : parts)
    out.push_back({prefix + name, false, [member, part](const PairSummary& s) { return std::optional<double>((s.*member).*part); },
                   [member, part](PairSummary& s, double v) { (s.*member).*part = v; }});
}

Fields make_fields() {
  Fields f;
  number(f, "shared_fraction", &PairSummary::shared_fraction);
  number(f, "shared_features", &PairSummary::shared_features);
  number(f, "mean_matched_cosine", &PairSummary::mean_matched_cosine);
  number(f, "matching_cost", &PairSummary::matching_cost);
  number(f, "certified", &PairSummary::certified);
  number(f, "matching_ranks", &PairSummary::matching_ranks, true);
  number(f, "matching_full_passes", &PairSummary::matching_full_passes, true);
  number(f, "matching_passes", &PairSummary::matching_passes, true);
  number(f, "matching_pricing_rounds", &PairSummary::matching_pricing_rounds, true);
  number(f, "matching_block_bytes", &PairSummary::matching_block_bytes, true);
  number(f, "matching_rank_bytes", &PairSummary::matching_rank_bytes, true);
  number(f, "matching_seconds", &PairSummary::matching_seconds, true);
  number(f, "js_degree", &PairSummary::js_degree);
  number(f, "js_degree_random", &PairSummary::js_degree_random);
  number(f, "js_strength", &PairSummary::js_strength);
  number(f, "js_strength_random", &PairSummary::js_strength_random);
  number(f, "edge_jaccard", &PairSummary::edge_jaccard);
  number(f, "edges_kept", &PairSummary::edges_kept);
  number(f, "spearman_degree", &PairSummary::spearman_degree);
  number(f, "spearman_strength", &PairSummary::spearman_strength);
  number(f, "spearman_frequency", &PairSummary::spearman_frequency);
  number(f, "spearman_degree_shared", &PairSummary::spearman_degree_shared);
  number(f, "spearman_strength_shared", &PairSummary::spearman_strength_shared);
  number(f, "spearman_frequency_shared", &PairSummary::spearman_frequency_shared);
  search(f, "q2_", &PairSummary::q2);
  search(f, "q2x_", &PairSummary::q2x);
  optional_number(f, "correlation_tokens", &PairSummary::correlation_tokens);
  optional_number(f, "mean_matched_correlation", &PairSummary::mean_matched_correlation);
  optional_number(f, "agreement_with_decoder", &PairSummary::agreement_with_decoder);
  optional_number(f, "agreement_with_decoder_shared", &PairSummary::agreement_with_decoder_shared);
  number(f, "q3_pairs", &PairSummary::q3_pairs);
  number(f, "q3_neighbour_overlap", &PairSummary::q3_neighbour_overlap);
  number(f, "q3_chance_overlap", &PairSummary::q3_chance_overlap);
  search(f, "q3_restricted_", &PairSummary::q3_restricted);
  search(f, "q3_global_", &PairSummary::q3_global);
  optional_number(f, "truth_features", &PairSummary::truth_features);
  optional_number(f, "truth_recovered_first", &PairSummary::truth_recovered_first);
  optional_number(f, "truth_recovered_second", &PairSummary::truth_recovered_second);
  optional_number(f, "truth_mmcs_first", &PairSummary::truth_mmcs_first);
  optional_number(f, "truth_mmcs_second", &PairSummary::truth_mmcs_second);
  optional_number(f, "truth_both_hit", &PairSummary::truth_both_hit);
  optional_number(f, "truth_same", &PairSummary::truth_same);
  return f;
}

}  // namespace

const std::vector<PairSummaryField>& pair_summary_fields() {
  static const Fields fields = make_fields();
  return fields;
}

const PairSummaryField* find_pair_summary_field(const std::string& name) {
  for (const auto& f : pair_summary_fields())
    if (f.name == name) return &f;
  return nullptr;
}

PairSummary summarise_pair(const PairResult& r) {
  PairSummary s;
  s.shared_fraction = r.shared_fraction;
  s.shared_features = r.shared_fraction * static_cast<double>(r.matching.size());
  s.mean_matched_cosine = r.mean_matched_cosine;
  s.matching_cost = r.matching_cost;
  s.certified = r.certified ? 1.0 : 0.0;
  s.matching_ranks = static_cast<double>(r.matching_ranks);
  s.matching_full_passes = r.matching_stats.full_pass_equivalents;
  s.matching_passes = static_cast<double>(r.matching_stats.passes);
  s.matching_pricing_rounds = static_cast<double>(r.matching_stats.pricing_rounds);
  s.matching_block_bytes = static_cast<double>(r.matching_stats.block_bytes);
  s.matching_rank_bytes = static_cast<double>(r.matching_stats.max_rank_bytes);
  s.matching_seconds = r.matching_stats.seconds;
  s.js_degree = r.js_degree;
  s.js_degree_random = r.js_degree_random;
  s.js_strength = r.js_strength;
  s.js_strength_random = r.js_strength_random;
  s.edge_jaccard = r.edge_jaccard;
  s.edges_kept = static_cast<double>(r.edges_kept);
  s.spearman_degree = r.spearman_degree;
  s.spearman_strength = r.spearman_strength;
  s.spearman_frequency = r.spearman_frequency;
  s.spearman_degree_shared = r.spearman_degree_shared;
  s.spearman_strength_shared = r.spearman_strength_shared;
  s.spearman_frequency_shared = r.spearman_frequency_shared;
  s.q2 = r.search;
  s.q2x = r.search_extended;
  if (r.match == "activations") {
    s.correlation_tokens = static_cast<double>(r.correlation_tokens);
    s.mean_matched_correlation = r.mean_matched_correlation;
    if (r.has_decoder_agreement) {
      s.agreement_with_decoder = r.agreement_with_decoder;
      s.agreement_with_decoder_shared = r.agreement_with_decoder_shared;
    }
  }
  s.q3_pairs = static_cast<double>(r.neighbourhood.pairs);
  s.q3_neighbour_overlap = r.neighbourhood.neighbour_overlap;
  s.q3_chance_overlap = r.neighbourhood.chance_overlap;
  s.q3_restricted = r.neighbourhood.restricted;
  s.q3_global = r.neighbourhood.global;
  if (r.truth) {
    const GroundTruthPair& t = *r.truth;
    s.truth_features = static_cast<double>(t.true_features);
    s.truth_recovered_first = static_cast<double>(t.recovered_first);
    s.truth_recovered_second = static_cast<double>(t.recovered_second);
    s.truth_mmcs_first = t.mmcs_first;
    s.truth_mmcs_second = t.mmcs_second;
    s.truth_both_hit = static_cast<double>(t.both_hit);
    s.truth_same = static_cast<double>(t.same_truth);
  }
  return s;
}

}  // namespace coact::compare
