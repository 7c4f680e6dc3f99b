#include "coact/compare/pair_comparison.h"

#include <algorithm>
#include <cmath>
#include <map>

#include "coact/compare/assignment.h"
#include "coact/compare/correlation.h"
#include "coact/compare/distribution.h"
#include "coact/compare/greedy_assignment.h"
#include "coact/compare/random_graph.h"
#include "coact/core/errors.h"
#include "coact/core/rng.h"
#include "coact/core/sha256.h"
#include "coact/data/ground_truth.h"
#include "coact/dist/comm.h"
#include "coact/graph/betweenness.h"
#include "coact/graph/core_decomposition.h"
#include "coact/graph/graph_check.h"
#include "coact/graph/pagerank.h"
#include "coact/sae/checkpoint.h"
#include "coact/sae/training.h"

namespace coact::compare {

SaeSide load_sae_side(const std::string& path) {
  const sae::Checkpoint c = sae::read_checkpoint_record(path);
  SaeSide side;
  side.path = path;
  side.hash = file_sha256(path);
  side.seed = c.config.seed;
  side.n_features = c.config.n_features;
  side.d_in = c.config.d_in;
  side.activations = c.data.activations;
  return side;
}

void load_whole_decoder(SaeSide& side) {
  side.w_dec = sae::ParameterRows(side.path).read("W_dec", 0, side.n_features);
}

std::vector<float> matched_encoder_cosines(const SaeSide& a, const SaeSide& b, const std::vector<std::int32_t>& matching) {
  const std::int64_t n1 = a.n_features, n2 = b.n_features, d = a.d_in;
  COACT_REQUIRE(b.d_in == d && static_cast<std::int64_t>(matching.size()) == n1, Error, "matched_encoder_cosines: ", n1,
                " features, ", matching.size(), " matches, widths ", d, " and ", b.d_in);
  const sae::ParameterRows first(a.path), second(b.path);
  std::vector<double> dot(static_cast<std::size_t>(n1)), norm1(static_cast<std::size_t>(n1)), norm2(static_cast<std::size_t>(n1));
  // About 64 MiB of both encoders at once: W_enc is [d, n], a feature's encoder its column.
  const std::int64_t block = std::clamp<std::int64_t>((std::int64_t{16} << 20) / std::max<std::int64_t>(1, n1 + n2), 1, std::max<std::int64_t>(1, d));
  for (std::int64_t c0 = 0; c0 < d; c0 += block) {
    const std::int64_t rows = std::min(block, d - c0);
    const std::vector<float> x = first.read("W_enc", c0, rows), y = second.read("W_enc", c0, rows);
    // Features in runs of 1,024, each run down the block's rows: x read in order.
#pragma omp parallel for schedule(static)
    for (std::int64_t i0 = 0; i0 < n1; i0 += 1024) {
      const std::int64_t end = std::min(n1, i0 + 1024);
      for (std::int64_t r = 0; r < rows; ++r) {
        const float* xr = x.data() + r * n1;
        const float* yr = y.data() + r * n2;
        for (std::int64_t i = i0; i < end; ++i) {
          const double u = xr[i], v = yr[matching[static_cast<std::size_t>(i)]];
          dot[static_cast<std::size_t>(i)] += u * v;
          norm1[static_cast<std::size_t>(i)] += u * u;
          norm2[static_cast<std::size_t>(i)] += v * v;
        }
      }
    }
  }
  std::vector<float> cosine(static_cast<std::size_t>(n1));
  for (std::size_t i = 0; i < cosine.size(); ++i)
    cosine[i] = static_cast<float>(dot[i] / (std::max(std::sqrt(norm1[i]), 1e-12) * std::max(std::sqrt(norm2[i]), 1e-12)));
  return cosine;
}

GraphSide load_graph_statistics(const std::string& path) {
  GraphSide side;
  side.path = path;
  side.file = graph::read_graph_file(path);
  // The file's node data are used as written once they agree with its CSR (one pass over the
  // edges); describe --check recomputes everything.
  graph::require_node_data_matches_csr(side.file);
  const graph::NodeData& nodes = side.file.nodes;
  const std::int64_t n = side.file.graph.num_nodes();
  std::map<std::int64_t, std::int64_t> sizes;  // component id -> size
  for (auto c : nodes.component) ++sizes[c];
  NodeStatistics& s = side.stats;
  s.degree.assign(nodes.degree.begin(), nodes.degree.end());
  s.strength = nodes.strength;
  s.frequency = nodes.frequency;
  s.clustering = nodes.clustering;
  s.component_size.resize(static_cast<std::size_t>(n));
  for (std::int64_t v = 0; v < n; ++v)
    s.component_size[static_cast<std::size_t>(v)] = static_cast<double>(sizes[nodes.component[static_cast<std::size_t>(v)]]);
  s.mean_neighbor_degree = nodes.mean_neighbor_degree;
  // Centralities for the extended Q2 search: those `coact centrality` stored, else computed
  // here (k-cores and PageRank are fast; betweenness exact up to 512 nodes, 64 sampled sources
  // beyond).
  {
    const graph::CsrGraph& g = side.file.graph;
    const graph::NodeAnalytics& stored = side.file.analytics;
    if (stored.core_number.present) {
      s.core_number.assign(stored.core_number.values.begin(), stored.core_number.values.end());
    } else {
      graph::CoreDecomposition cores(g);
      cores.run();
      s.core_number.assign(cores.core_number().begin(), cores.core_number().end());
    }
    // Weighted PageRank, or unweighted when some weight is negative (as it may be in graphs
    // from elsewhere): the Q2 search then still runs.
    bool negative = false;
    for (const double w : g.weights()) negative = negative || w < 0;
    const graph::EdgeWeighting weighting = negative ? graph::EdgeWeighting::Unit : graph::EdgeWeighting::Weight;
    // A stored PageRank is reused when it was run with the same settings.
    const graph::PageRankOptions wanted{.weighting = weighting};
    const auto setting = [&](const char* key, auto& map) { const auto it = map.find(key); return it == map.end() ? decltype(it->second){} : it->second; };
    if (stored.pagerank.present && setting("weighting", stored.pagerank.texts) == graph::to_string(weighting) &&
        setting("damping", stored.pagerank.numbers) == wanted.damping &&
        setting("tolerance", stored.pagerank.numbers) == wanted.tolerance) {
      s.pagerank = stored.pagerank.values;
    } else {
      graph::PageRank pagerank(g, wanted);
      pagerank.run();
      s.pagerank = pagerank.scores();
    }
    if (stored.betweenness.present) {
      s.betweenness = stored.betweenness.values;
    } else {
      graph::Betweenness betweenness(g, {.samples = n <= 512 ? 0 : 64, .seed = 0});
      betweenness.run();
      s.betweenness = betweenness.scores();
    }
  }
  side.standardised = standardised_statistics(s);
  side.extended = standardised_extended_statistics(s);
  return side;
}

GraphSide load_graph_side(const std::string& path, const SaeSide& sae) {
  GraphSide side = load_graph_statistics(path);
  const auto& attrs = side.file.attributes;
  if (attrs.sae_hash != sae.hash)
    throw InputError(str(path, ": was built from ", attrs.sae_file, " (", attrs.sae_hash, "), not from ", sae.path, " (",
                         sae.hash, ")"));
  const std::int64_t n = side.file.graph.num_nodes();
  if (n != sae.n_features)
    throw InputError(str(path, ": has ", n, " nodes but ", sae.path, " has ", sae.n_features, " features"));
  return side;
}

namespace {

// Spearman of x[i] against y[match[i]] over the given first-side nodes; NaN when undefined
// (fewer than two pairs or a constant side).
double matched_spearman(const std::vector<double>& x, const std::vector<double>& y, const std::vector<std::int32_t>& match,
                        const std::vector<std::int64_t>& nodes) {
  if (nodes.size() < 2) return std::nan("");
  std::vector<double> a, b;
  for (auto i : nodes) {
    a.push_back(x[static_cast<std::size_t>(i)]);
    b.push_back(y[static_cast<std::size_t>(match[static_cast<std::size_t>(i)])]);
  }
  return spearman_correlation(a, b);
}

// Strength of every node of an Erdős–Rényi graph whose edges carry `weights` in a seeded random
// order: the baseline keeps the weight distribution and randomises the structure.
std::vector<double> random_strengths(const EdgeListGraph& random, std::vector<double> weights, std::uint64_t seed) {
  CounterRng rng(mix_seed(seed, 0x57E6), 0);
  for (std::size_t i = weights.size(); i > 1; --i) std::swap(weights[i - 1], weights[static_cast<std::size_t>(rng.below(i))]);
  std::vector<double> sum(static_cast<std::size_t>(random.nodes), 0.0);
  std::vector<std::int64_t> degree(static_cast<std::size_t>(random.nodes), 0);
  for (std::size_t e = 0; e < random.edges.size(); ++e) {
    const auto [i, j] = random.edges[e];
    for (auto v : {i, j}) {
      sum[static_cast<std::size_t>(v)] += weights[e];
      ++degree[static_cast<std::size_t>(v)];
    }
  }
  for (std::size_t v = 0; v < sum.size(); ++v) sum[v] = degree[v] ? sum[v] / static_cast<double>(degree[v]) : 0.0;
  return sum;
}

double js_real(const std::vector<double>& a, const std::vector<double>& b, std::int64_t bins) {
  const auto edges = shared_bin_edges(a, b, bins);
  const PairedDensities d = real_densities(a, b, edges);
  return jensen_shannon_distance(d.p, d.q);
}

}  // namespace

namespace {

Assignment solve(MatrixView<const float> cost, const PairOptions& o, const std::string& label, PairResult& r) {
  if (o.greedy) {
    r.method = "greedy";
    return greedy_assignment(cost);
  }
  r.method = "exact";
  Assignment assignment = solve_assignment(cost, {.label = label});
  r.certified = verify_optimality(cost, assignment, 1e-6).optimal;
  return assignment;
}

// cos(a_i, b_{matching[i]}) in double, for matched pairs the decoder matching did not price.
std::vector<float> matched_cosines(const std::vector<float>& a, const std::vector<float>& b, std::int64_t d,
                                   const std::vector<std::int32_t>& matching) {
  const auto n1 = static_cast<std::int64_t>(matching.size());
  std::vector<float> cosine(static_cast<std::size_t>(n1));
#pragma omp parallel for schedule(static)
  for (std::int64_t i = 0; i < n1; ++i) {
    const float* x = a.data() + i * d;
    const float* y = b.data() + static_cast<std::int64_t>(matching[static_cast<std::size_t>(i)]) * d;
    double dot = 0, xx = 0, yy = 0;
    for (std::int64_t k = 0; k < d; ++k) {
      dot += static_cast<double>(x[k]) * y[k];
      xx += static_cast<double>(x[k]) * x[k];
      yy += static_cast<double>(y[k]) * y[k];
    }
    // A zero row has cosine 0 with everything, as in cosine_cost.
    cosine[static_cast<std::size_t>(i)] = xx > 0 && yy > 0 ? static_cast<float>(dot / std::sqrt(xx * yy)) : 0.0f;
  }
  return cosine;
}

}  // namespace

DecoderMatching match_decoders(backend::Backend& compute, dist::Comm& comm, const ShareRows& first_share,
                               std::int64_t n1, const ShareRows& second_share, std::int64_t n2,
                               const PairOptions& options, const std::string& label) {
  BlockedMatchingOptions matching = options.matching;
  matching.greedy = options.greedy;
  matching.label = label;
  BlockedMatching result = blocked_cosine_matching(compute, comm, first_share, n1, second_share, n2, matching);
  DecoderMatching out;
  out.matching = result.assignment.column_of_row;
  out.cosine.resize(result.matched_cost.size());
  for (std::size_t i = 0; i < out.cosine.size(); ++i) out.cosine[i] = 1.0f - result.matched_cost[i];
  out.cost = result.assignment.cost;
  out.certified = result.certificate.optimal;
  out.method = options.greedy ? "greedy" : "exact";
  out.ranks = comm.size();
  out.stats = result.stats;
  out.nearest = std::move(result.nearest);
  out.null_nearest = std::move(result.null_nearest);
  return out;
}

void check_pair(const SaeSide& a, const SaeSide& b, const PairOptions& o) {
  const std::int64_t d = a.d_in, n1 = a.n_features, n2 = b.n_features;
  if (b.d_in != d && !o.match_activations)
    throw InputError(str(a.path, " has d_in = ", d, " but ", b.path, " has d_in = ", b.d_in,
                         ": SAEs of different activation widths cannot be matched by decoder cosine (use --match activations)"));
  if (n1 != n2 && !o.rectangular)
    throw InputError(str(a.path, " has n = ", n1, " features but ", b.path, " has n = ", n2,
                         ": matching needs the same n (pass --rectangular to match the smaller into the larger)"));
  if (n1 > n2)
    throw InputError(str(a.path, " has more features (", n1, ") than ", b.path, " (", n2,
                         "): give the smaller SAE first for a rectangular matching"));
}

PairResult compare_pair(const SaeSide& a, const SaeSide& b, const GraphSide& ga,
                        const GraphSide& gb, const PairOptions& o, const std::vector<float>& truth,
                        const PairCorrelation* correlation, const DecoderMatching* decoders,
                        const RankFunction& ranker) {
  const std::int64_t d = a.d_in, n1 = a.n_features, n2 = b.n_features;
  const bool same_width = b.d_in == d;
  if (o.match_activations && correlation == nullptr) throw Error("activation matching without activation correlations");
  check_pair(a, b, o);
  PairResult r;
  const std::string label = str("matching ", a.seed, " to ", b.seed);
  const float nan = std::nanf("");

  // Decoder cosines: cost = 1 − cos over all n1 × n2 pairs (SAEs of one activation space),
  // matched without forming that matrix, at every size: the blocked matcher is as fast as the
  // dense path where the matrix fits (n = 16,384, d = 2,048, one core: 36.7 s against 37.1 s
  // for cosine_cost + solve_assignment + verify_optimality; its GEMM work is 1.09 passes over
  // the entries, the dense path's one pass plus three over the stored matrix), needs no n1·n2
  // floats (591 MiB peak against the matrix's 1 GiB alone), and spreads over ranks.
  if (same_width && decoders == nullptr)
    throw Error(str(label, ": compare_pair takes the decoder matching run over the ranks (match_decoders)"));
  if (same_width) {
    if (static_cast<std::int64_t>(decoders->matching.size()) != n1)
      throw Error(str("a decoder matching of ", decoders->matching.size(), " rows for ", n1, " features"));
    r.matching = decoders->matching;
    r.matching_cost = decoders->cost;
    r.method = decoders->method;
    r.certified = decoders->certified;
    r.matching_ranks = decoders->ranks;
    r.matching_stats = decoders->stats;
  }
  if (o.match_activations) {
    if (static_cast<std::int64_t>(correlation->correlation.size()) != n1 * n2)
      throw Error(str("activation correlations of ", correlation->correlation.size(), " entries for ", n1, " x ", n2, " features"));
    std::vector<float> cost(correlation->correlation.size());
    for (std::size_t e = 0; e < cost.size(); ++e) cost[e] = 1.0f - correlation->correlation[e];
    const Assignment assignment = solve(MatrixView<const float>(cost.data(), n1, n2), o, label + " (activations)", r);
    r.match = "activations";
    r.matching_path = "dense";
    r.matching = assignment.column_of_row;
    r.matching_cost = assignment.cost;
    r.correlation_tokens = correlation->tokens;
    r.activation_correlation.resize(static_cast<std::size_t>(n1));
    double sum = 0;
    for (std::int64_t i = 0; i < n1; ++i) {
      const float c = correlation->correlation[static_cast<std::size_t>(i * n2 + r.matching[static_cast<std::size_t>(i)])];
      r.activation_correlation[static_cast<std::size_t>(i)] = c;
      sum += c;
    }
    r.mean_matched_correlation = n1 ? sum / static_cast<double>(n1) : 0.0;
  }
  r.decoder_cosine.assign(static_cast<std::size_t>(n1), nan);
  if (same_width) {
    r.decoder_cosine = o.match_activations ? matched_cosines(a.w_dec, b.w_dec, d, r.matching) : decoders->cosine;
  }
  r.encoder_cosine.assign(static_cast<std::size_t>(n1), nan);
  if (same_width) r.encoder_cosine = matched_encoder_cosines(a, b, r.matching);
  std::vector<std::int64_t> shared_nodes, all_nodes(static_cast<std::size_t>(n1));
  r.shared.resize(static_cast<std::size_t>(n1));
  double cosine_sum = 0;
  // Shared: the matched similarity (decoder cosine, or correlation for activation matching)
  // at or above the threshold.
  const std::vector<float>& similarity = o.match_activations ? r.activation_correlation : r.decoder_cosine;
  for (std::int64_t i = 0; i < n1; ++i) {
    all_nodes[static_cast<std::size_t>(i)] = i;
    cosine_sum += r.decoder_cosine[static_cast<std::size_t>(i)];
    r.shared[static_cast<std::size_t>(i)] = similarity[static_cast<std::size_t>(i)] >= o.threshold;
    if (r.shared[static_cast<std::size_t>(i)]) shared_nodes.push_back(i);
  }
  r.shared_fraction = n1 ? static_cast<double>(shared_nodes.size()) / static_cast<double>(n1) : 0.0;
  r.mean_matched_cosine = n1 ? cosine_sum / static_cast<double>(n1) : 0.0;
  if (o.match_activations && same_width) {
    std::int64_t same = 0, same_shared = 0;
    for (std::int64_t i = 0; i < n1; ++i) {
      const bool agree = decoders->matching[static_cast<std::size_t>(i)] == r.matching[static_cast<std::size_t>(i)];
      same += agree;
      same_shared += agree && r.shared[static_cast<std::size_t>(i)];
    }
    r.has_decoder_agreement = true;
    r.agreement_with_decoder = n1 ? static_cast<double>(same) / static_cast<double>(n1) : 0.0;
    r.agreement_with_decoder_shared =
        shared_nodes.empty() ? std::nan("") : static_cast<double>(same_shared) / static_cast<double>(shared_nodes.size());
  }

  // Q1: distributions against each other and against a random graph of the second's size.
  const graph::CsrGraph& g1 = ga.file.graph;
  const graph::CsrGraph& g2 = gb.file.graph;
  std::vector<std::int64_t> deg1(ga.stats.degree.begin(), ga.stats.degree.end()), deg2(gb.stats.degree.begin(), gb.stats.degree.end());
  {
    const PairedDensities dd = integer_densities(deg1, deg2);
    r.js_degree = jensen_shannon_distance(dd.p, dd.q);
    const EdgeListGraph random = erdos_renyi_gnm(n2, g2.num_edges(), o.baseline_seed);
    const PairedDensities dr = integer_densities(deg1, random.degrees);
    r.js_degree_random = jensen_shannon_distance(dr.p, dr.q);
    r.js_strength = js_real(ga.stats.strength, gb.stats.strength, o.strength_bins);
    std::vector<double> weights;  // the second graph's edge weights, each edge once
    for (graph::NodeId u = 0; u < g2.num_nodes(); ++u) {
      const auto nb = g2.neighbors(u);
      const auto w = g2.edge_weights(u);
      for (std::size_t e = 0; e < nb.size(); ++e)
        if (nb[e] > u) weights.push_back(w[e]);
    }
    r.js_strength_random = js_real(ga.stats.strength, random_strengths(random, std::move(weights), o.baseline_seed), o.strength_bins);
  }
  // Edge Jaccard: the first graph's edges carried through the matching, against the second's.
  for (graph::NodeId u = 0; u < g1.num_nodes(); ++u)
    for (const graph::NodeId v : g1.neighbors(u)) {
      if (v <= u) continue;
      const graph::NodeId mu = r.matching[static_cast<std::size_t>(u)], mv = r.matching[static_cast<std::size_t>(v)];
      const auto row = g2.neighbors(mu);
      r.edges_kept += std::binary_search(row.begin(), row.end(), mv);
    }
  const std::int64_t union_edges = g1.num_edges() + g2.num_edges() - r.edges_kept;
  r.edge_jaccard = union_edges > 0 ? static_cast<double>(r.edges_kept) / static_cast<double>(union_edges) : 1.0;
  r.spearman_degree = matched_spearman(ga.stats.degree, gb.stats.degree, r.matching, all_nodes);
  r.spearman_strength = matched_spearman(ga.stats.strength, gb.stats.strength, r.matching, all_nodes);
  r.spearman_frequency = matched_spearman(ga.stats.frequency, gb.stats.frequency, r.matching, all_nodes);
  r.spearman_degree_shared = matched_spearman(ga.stats.degree, gb.stats.degree, r.matching, shared_nodes);
  r.spearman_strength_shared = matched_spearman(ga.stats.strength, gb.stats.strength, r.matching, shared_nodes);
  r.spearman_frequency_shared = matched_spearman(ga.stats.frequency, gb.stats.frequency, r.matching, shared_nodes);

  // Q2 and Q3 on the shared features.
  std::vector<std::int64_t> match(r.matching.begin(), r.matching.end());
  r.search = global_search(ga.standardised, gb.standardised, shared_nodes, match, kStatisticCount, ranker);
  r.search_extended = global_search(ga.extended, gb.extended, shared_nodes, match, kExtendedStatisticCount, ranker);
  r.neighbourhood = neighbourhood_transfer({g1.indptr(), g1.indices()}, {g2.indptr(), g2.indices()}, ga.standardised,
                                           gb.standardised, shared_nodes, match, ranker);

  if (!truth.empty() && same_width) {
    GroundTruthPair t;
    t.true_features = static_cast<std::int64_t>(truth.size()) / d;
    const auto rec1 = sae::ground_truth_recovery(truth, a.w_dec, d, o.truth_threshold);
    const auto rec2 = sae::ground_truth_recovery(truth, b.w_dec, d, o.truth_threshold);
    t.recovered_first = rec1.recovered;
    t.recovered_second = rec2.recovered;
    t.mmcs_first = rec1.mmcs;
    t.mmcs_second = rec2.mmcs;
    const data::NearestRows first = data::nearest_rows(a.w_dec, truth, d);
    const data::NearestRows second = data::nearest_rows(b.w_dec, truth, d);
    const auto& best1 = first.index;
    const auto& best2 = second.index;
    const auto& cos1 = first.cosine;
    const auto& cos2 = second.cosine;
    for (std::int64_t i = 0; i < n1; ++i) {
      const auto j = static_cast<std::size_t>(r.matching[static_cast<std::size_t>(i)]);
      if (cos1[static_cast<std::size_t>(i)] >= o.truth_threshold && cos2[j] >= o.truth_threshold) {
        ++t.both_hit;
        t.same_truth += best1[static_cast<std::size_t>(i)] == best2[j];
      }
    }
    r.truth = t;
  }
  return r;
}

}  // namespace coact::compare
