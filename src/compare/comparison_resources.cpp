// run_comparison's allocations as sizes: every line below names the buffer of comparison.cpp,
// pair_comparison.cpp, stability.cpp, blocked/cosine_tiles.cpp, blocked/tile_scans.cpp,
// blocked/exact_driver.cpp, blocked/greedy_driver.cpp, blocked/restricted_problem.cpp or the
// graph files it stands for, so a change there changes its line here.
#include "coact/compare/comparison_resources.h"

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdint>
#include <string>
#include <utility>

#include "coact/compare/blocked_matching.h"
#include "coact/compare/node_search.h"
#include "coact/compare/stability.h"
#include "coact/core/errors.h"
#include "coact/core/strings.h"
#include "blocked/cosine_tiles.h"

namespace coact::compare {
namespace {

constexpr double kFloat = 4, kDouble = 8, kInt32 = 4, kInt64 = 8;
// A std::vector's header (3 pointers) and glibc malloc's per-chunk overhead, for the per-row
// vectors (KnownEntries, CandidateGraph::edges, greedy's RowEntries).
constexpr double kVectorHeader = 24, kMallocOverhead = 16;
// A graph file as load_graph_side keeps it, per node: CsrGraph::indptr (int64); NodeData's
// frequency, topk_count, degree, strength, clustering, component, mean_neighbor_degree (7 × 8);
// NodeStatistics' 9 columns of doubles; standardised_statistics (kStatisticCount doubles) and
// standardised_extended_statistics (kExtendedStatisticCount doubles).
constexpr double kGraphNodeBytes = kInt64 + 7 * 8 + 9 * kDouble + (kStatisticCount + kExtendedStatisticCount) * kDouble;
// Per undirected edge: CsrGraph stores both directions, each with its index (NodeId, int32),
// count (int64) and weight (double).
constexpr double kGraphEdgeBytes = 2 * (kInt32 + kInt64 + kDouble);
// Q1's Erdős–Rényi baseline of a pair (pair_comparison.cpp, random_graph.h): the edge list
// (pairs of int64), the second graph's weights and their shuffled copy (doubles), per edge;
// degrees, both degree copies and random_strengths' sums and degrees, per node.
constexpr double kBaselineEdgeBytes = 2 * kInt64 + 2 * kDouble, kBaselineNodeBytes = 5 * kInt64;
// A pair's results on the root (PairResult): matching (int32), decoder and encoder cosines
// (float), shared (uint8) per feature of the first SAE.
constexpr double kPairResultBytes = kInt32 + 2 * kFloat + 1;

double decoder_bytes(const SaeShape& s) { return kFloat * static_cast<double>(s.n) * static_cast<double>(s.d); }

double graph_bytes(const GraphShape& g) {
  return static_cast<double>(g.nodes) * kGraphNodeBytes + static_cast<double>(g.edges) * kGraphEdgeBytes;
}

// A per-row vector grown one push at a time: its capacity is the power of two at or above its
// length.
double grown_vector_bytes(double entries, double entry_bytes) {
  const auto length = static_cast<std::uint64_t>(std::max(1.0, entries));
  return kVectorHeader + kMallocOverhead + static_cast<double>(std::bit_ceil(length)) * entry_bytes;
}

struct Phase {
  std::string name;
  std::vector<MemoryNeed> lines;
  double bytes() const {
    double total = 0;
    for (const auto& m : lines) total += m.bytes;
    return total;
  }
};

// A pass of cost tiles over the root's shares (cosine_tiles.cpp) and, with `nearest`, the best
// cosines taken from it (NearestScan, tile_scans.cpp): the lines common to the matching and the
// stability's null pass, prefixed with `what`.
void tile_lines(Phase& p, const std::string& what, const BlockedMatchingOptions& o, std::int64_t n1, std::int64_t n2,
                std::int64_t d, int ranks, bool nearest) {
  auto add = [&](std::string line, double bytes, MemoryPlace place, std::string sized_by) {
    p.lines.push_back({what + ": " + line, bytes, place, std::move(sized_by)});
  };
  const double dd = static_cast<double>(d);
  // CosineTiles: the unit rows of both shares, one broadcast chunk of B and one tile of the cost.
  const double a_local = static_cast<double>(row_share(n1, 0, ranks).count());
  const double b_local = static_cast<double>(row_share(n2, 0, ranks).count());
  // block_columns is capped so one chunk stays below the communicator's 1 GiB piece.
  const std::int64_t block_columns =
      std::min(std::max<std::int64_t>(1, o.block_columns), std::max<std::int64_t>(1, (std::int64_t{1} << 28) / std::max<std::int64_t>(1, d)));
  const double widest_chunk = static_cast<double>(std::min(block_columns, (n2 + ranks - 1) / ranks));
  const double tallest_block = std::min(static_cast<double>(std::max<std::int64_t>(1, o.block_rows)), a_local);
  add("this rank's unit rows of the first decoder (a_unit_)", a_local * dd * kFloat, MemoryPlace::Device, "--n");
  add("this rank's unit rows of the second decoder (b_unit_)", b_local * dd * kFloat, MemoryPlace::Host, "--n");
  add("one tile of the cost (block rows × chunk columns, tile_)", tallest_block * widest_chunk * kFloat,
      MemoryPlace::Device, "block_rows, block_columns");
  add("rows of A gathered for a pricing tile (block_)", tallest_block * dd * kFloat, MemoryPlace::Device, "block_rows");
  if (ranks > 1) add("a chunk of B broadcast by another rank (chunk_host_)", widest_chunk * dd * kFloat, MemoryPlace::Host, "block_columns");
  if (nearest) {
    // NearestScan's row and column minima, the best cosines gathered on every rank, and the
    // column minima of every rank for a piece of the columns at once.
    const double nn1 = static_cast<double>(n1), nn2 = static_cast<double>(n2);
    const double piece = ranks > 1 ? std::min(nn2, std::floor((4 << 20) / static_cast<double>(ranks))) * ranks : 0;
    add("each row's and column's best cosine (NearestScan, then gathered)", (a_local + nn2 + nn1 + nn2 + piece) * kFloat,
        MemoryPlace::Host, "--n");
  }
}

// One pair's null pass on the root, after its matching (blocked_matching.cpp): the matcher's
// tiles still held, the random rotation and turn_second's blocks of rows, and a NearestScan;
// the matcher's own state is gone.
Phase null_phase(const BlockedMatchingOptions& o, std::int64_t n1, std::int64_t n2, std::int64_t d, int ranks) {
  Phase p{str("stability null pass ", with_commas(n1), " × ", with_commas(n2), " features"), {}};
  const double dd = static_cast<double>(d);
  const double b_local = static_cast<double>(row_share(n2, 0, ranks).count());
  p.lines.push_back({"null pass: the random rotation (d × d) and its backend copy", 2 * dd * dd * kFloat, MemoryPlace::Host, "--d"});
  p.lines.push_back({"null pass: blocks of B's rows being turned (turn_second)", 2 * std::min(b_local, 1024.0) * dd * kFloat,
                     MemoryPlace::Device, "--d"});
  tile_lines(p, "null pass", o, n1, n2, d, ranks, true);
  return p;
}

// One pair's blocked matching on the root (rank 0 of `ranks`): comparison.cpp's decoder shares,
// blocked_matching.cpp, cosine_tiles.cpp, tile_scans.cpp and the exact or greedy driver.
Phase matching_phase(const BlockedMatchingOptions& o, bool greedy, std::int64_t n1, std::int64_t n2, std::int64_t d,
                     int ranks, int threads, bool nearest) {
  Phase p{str("matching ", with_commas(n1), " × ", with_commas(n2), " features"), {}};
  auto add = [&](std::string what, double bytes, MemoryPlace place, std::string sized_by) {
    p.lines.push_back({std::move(what), bytes, place, std::move(sized_by)});
  };
  const double dd = static_cast<double>(d), r = ranks;
  const double a_local = static_cast<double>(row_share(n1, 0, ranks).count());
  const double b_local = static_cast<double>(row_share(n2, 0, ranks).count());
  // The rows as read are held a block at a time while CosineTiles normalises them.
  add("matching: a block of this rank's decoder rows as read from the file (decoder_share)",
      std::min(std::max(a_local, b_local), std::floor(static_cast<double>(blocked::kShareReadFloats) / dd)) * dd * kFloat,
      MemoryPlace::Host, "--d");
  if (nearest) add("matching: the stability's random rotation (d × d), held for the pairs' null passes", dd * dd * kFloat, MemoryPlace::Host, "--d");
  tile_lines(p, "matching", o, n1, n2, d, ranks, nearest);

  const double listed = static_cast<double>(std::min<std::int64_t>(std::max(1, o.row_candidates), n2));
  const double nn1 = static_cast<double>(n1), nn2 = static_cast<double>(n2);
  if (greedy) {
    // greedy_driver.cpp: the first round's ReducedScan (KSmallest<double>: 16-byte entries, a
    // count, bound and limit per row; the row minima), the gathered lists, and on the root
    // every row's entries, the taken columns, the matching and v.
    const double k = listed;
    add("greedy: each row's cheapest entries (ReducedScan over this rank's rows)",
        a_local * (k * 16 + kInt32 + 2 * kDouble + kDouble), MemoryPlace::Host, "row_candidates");
    add("greedy: the rows' lists gathered on the root (one record per row)", nn1 * (3 * kInt32 + k * 8), MemoryPlace::Host,
        "row_candidates");
    add("greedy: the root's row entries (columns and costs per row)",
        nn1 * (2 * grown_vector_bytes(k, kFloat) + 16), MemoryPlace::Host, "row_candidates");
    add("greedy: v, taken columns, matching and matched costs", nn2 * (kDouble + 1) + nn1 * (kInt32 + kFloat + kInt32),
        MemoryPlace::Host, "--n");
    return p;
  }
  // exact_driver.cpp and tile_scans.cpp.
  const double per_row = std::max(1, o.pricing_entries);
  const double c = std::max(1, o.column_candidates);
  const double scan_k = std::min(listed + per_row, nn2);
  // KSmallest<float>: 12-byte entries, and a count, bound and limit per row; the diagonal; one
  // set of column lists per thread (cost, row and threshold); merge_columns' local lists, every
  // rank's (allgather) and the result.
  const double candidate_scan = a_local * (scan_k * 12 + 3 * 4 + kFloat) + threads * nn2 * (c * 8 + kFloat) +
                                (ranks > 1 ? (2 + r) : 1) * nn2 * c * 8;
  // The restricted problem (root): a row's entries are its listed ones, its diagonal and the
  // column lists' (CandidateEdge, 8 bytes; the virtual rows of a rectangular problem hold as
  // many); per column the LapState (u, v, both matchings) and the search's records
  // (RestrictedProblem::bytes); the gathered row lists, the row minima and cheapest columns.
  const double problem = nn2 * (grown_vector_bytes(listed + 1 + c, 8) + 1) + nn2 * (2 * kDouble + 2 * kInt32) +
                         nn2 * (16 + kInt32) + nn1 * (2 * kInt32 + listed * 8) + nn1 * (kFloat + kInt32);
  add("exact: each row's reserve (pricing_entries columns and costs, a count and a bound per row)",
      a_local * (per_row * 8 + kInt32 + kDouble), MemoryPlace::Host, "pricing_entries");
  add("exact: the entries the restricted problem holds, per row of this rank (KnownEntries)",
      a_local * grown_vector_bytes(listed + 1 + c, kInt32), MemoryPlace::Host, "row_candidates, column_candidates");
  add("exact: each column's cheapest entries over all rows", nn2 * c * 8, MemoryPlace::Host, "column_candidates");
  add("exact: duals u, v and the root's last v", (nn1 + 2 * nn2) * kDouble, MemoryPlace::Host, "--n");
  if (candidate_scan >= problem) {
    add("exact: the candidate pass's row heaps and per-thread column lists (only during that pass)", candidate_scan,
        MemoryPlace::Host, "row_candidates, pricing_entries, column_candidates, --threads");
  } else {
    add("exact: the restricted problem on the root (its entries, LapState, search) and the gathered row lists",
        problem, MemoryPlace::Host, "row_candidates, column_candidates");
  }
  return p;
}

}  // namespace

StageResources comparison_resources(const ComparisonOptions& options, const ComparisonShape& shape, int ranks) {
  const auto count = shape.saes.size();
  COACT_REQUIRE(ranks >= 1, UsageError, "comparison_resources: ", ranks, " rank(s)");
  COACT_REQUIRE(count >= 2, UsageError, "a comparison needs at least two SAEs (got ", count, ")");
  COACT_REQUIRE(shape.graphs.empty() || shape.graphs.size() == count, UsageError,
                "give one graph per SAE, in the same order (", count, " SAEs, ", shape.graphs.size(), " graphs)");
  const PairOptions& po = options.pair;
  const int threads = std::max(1, shape.threads);
  std::vector<GraphShape> graphs = shape.graphs;
  if (graphs.empty())
    for (const auto& s : shape.saes) graphs.push_back({s.n, 0});

  StageResources r;
  r.stage = "compare";
  auto host = [&](std::string what, double bytes, std::string sized_by) {
    r.memory.push_back({std::move(what), bytes, MemoryPlace::Host, std::move(sized_by)});
  };

  // Resident on the root from loading to the end (comparison.cpp's graphs and truth, the
  // decoders only where ground truth or activation matching reads them whole;
  // each pair's PairResult).
  double decoder_total = 0, graph_total = 0;
  bool same_d = true;
  for (std::size_t i = 0; i < count; ++i) {
    decoder_total += decoder_bytes(shape.saes[i]);
    graph_total += graph_bytes(graphs[i]);
    same_d = same_d && shape.saes[i].d == shape.saes.front().d;
  }
  std::int64_t pairs = 0, edges = 0, largest_n1 = 0;
  double pair_results = 0, correlations = 0;
  for (std::size_t i = 0; i < count; ++i) {
    edges += graphs[i].edges;
    for (std::size_t j = i + 1; j < count; ++j) {
      const std::int64_t n1 = shape.saes[i].n, n2 = shape.saes[j].n;
      COACT_REQUIRE(n1 <= n2, UsageError, "SAE ", i, " has more features (", n1, ") than SAE ", j, " (", n2,
                    "): give the smaller SAE first");
      COACT_REQUIRE(n1 == n2 || po.rectangular, UsageError, "SAEs ", i, " and ", j, " have n = ", n1, " and ", n2,
                    ": matching needs the same n (compare.rectangular)");
      COACT_REQUIRE(shape.saes[i].d == shape.saes[j].d || po.match_activations, UsageError, "SAEs ", i, " and ", j,
                    " have d_in = ", shape.saes[i].d, " and ", shape.saes[j].d, ": decoder matching needs one d_in");
      ++pairs;
      largest_n1 = std::max(largest_n1, n1);
      pair_results += static_cast<double>(n1) * kPairResultBytes;
      // The stability's best cosines of the pair, both ways, real and null (PairNearest).
      if (same_d) pair_results += 2 * static_cast<double>(n1 + n2) * kFloat;
      // activation_correlations' PairCorrelation: n1 × n2 floats and two active counts per pair.
      if (po.match_activations) correlations += kFloat * static_cast<double>(n1) * static_cast<double>(n2) + kInt64 * static_cast<double>(n1 + n2);
    }
  }
  if (shape.truth_features > 0 || po.match_activations)
    host("the decoders whole (ground truth or activation matching: load_whole_decoder)", decoder_total, "--sae");
  host("the graphs (CSR, node data, Q2 statistics and their standardised columns)", graph_total, "--graphs");
  if (shape.truth_features > 0)
    host("ground-truth directions (truth features × d)", static_cast<double>(shape.truth_features) * static_cast<double>(shape.saes.front().d) * kFloat,
         "--truth");
  host("each pair's results (matching, cosines, shared; best cosines for the stability)", pair_results, "--n");
  if (po.match_activations) host("activation correlations of every pair (n1 × n2 floats each)", correlations, "--match activations");
  r.memory.push_back(runtime_memory());

  // The root's phases on top of that: the largest sets the peak.
  std::vector<Phase> phases;
  for (std::size_t i = 0; i < count; ++i)
    for (std::size_t j = i + 1; j < count; ++j) {
      const SaeShape& a = shape.saes[i];
      const SaeShape& b = shape.saes[j];
      if (a.d == b.d) {
        phases.push_back(matching_phase(po.matching, po.greedy, a.n, b.n, a.d, ranks, threads, same_d));
        if (same_d) phases.push_back(null_phase(po.matching, a.n, b.n, a.d, ranks));
        // matched_encoder_cosines: a block of both encoders (about 64 MiB) and the sums.
        const double n1 = static_cast<double>(a.n), n2 = static_cast<double>(b.n);
        const double rows = std::clamp(std::floor(static_cast<double>(16 << 20) / (n1 + n2)), 1.0, std::max(1.0, static_cast<double>(a.d)));
        phases.push_back({"encoder cosines",
                          {{"encoder cosines: a block of both encoders' rows (matched_encoder_cosines)", rows * (n1 + n2) * kFloat,
                            MemoryPlace::Host, "--n"},
                           {"encoder cosines: each matched pair's sums (3 doubles)", 3 * n1 * kDouble, MemoryPlace::Host, "--n"}}});
      }
      // compare_pair's Q1 baseline on the second graph.
      phases.push_back({"Q1 baseline",
                        {{"Q1: the Erdős–Rényi baseline of the second graph (edge list, weights) and degree copies",
                          static_cast<double>(graphs[j].edges) * kBaselineEdgeBytes + static_cast<double>(b.n) * kBaselineNodeBytes,
                          MemoryPlace::Host, "--graphs"}}});
      // Q2's and Q3's global searches (node_search.cpp, search_helpers.cpp): the candidates'
      // statistics by column, and over several ranks the root's copies it broadcasts from (both
      // graphs' statistics, the queries and the matching); the widest search has 9 columns.
      {
        const double n1 = static_cast<double>(a.n), n2 = static_cast<double>(b.n);
        std::vector<MemoryNeed> lines{{"Q2: the other graph's statistics by column (global_ranks)",
                                       n2 * kExtendedStatisticCount * kDouble, MemoryPlace::Host, "--graphs"}};
        if (ranks > 1) {
          lines.push_back({"Q2: the search the root broadcasts to the other ranks (statistics, queries, matching)",
                           ((n1 + n2) * kExtendedStatisticCount + 2 * n1) * kDouble, MemoryPlace::Host, "--graphs"});
        }
        phases.push_back({"Q2 searches", std::move(lines)});
      }
      if (po.match_activations)
        phases.push_back({"dense activation matching",
                          {{"activation matching: the dense cost 1 − correlation (n1 × n2 floats)",
                            kFloat * static_cast<double>(a.n) * static_cast<double>(b.n), MemoryPlace::Host, "--n"}}});
    }
  if (same_d) {
    // feature_stability (stability.cpp): each pair's best cosines copied into its PairStability
    // and the second side's matched cosines (Side); per SAE the stable counts, real and null,
    // at each threshold (int32) and the mean matched cosine.
    const double thresholds = static_cast<double>(StabilityOptions{}.thresholds.size() + 1);
    double bytes = 0;
    for (std::size_t i = 0; i < count; ++i) {
      const double n = static_cast<double>(shape.saes[i].n);
      bytes += n * (2 * thresholds * kInt32 + kFloat);
      for (std::size_t j = i + 1; j < count; ++j)
        bytes += (2 * (n + static_cast<double>(shape.saes[j].n)) + static_cast<double>(shape.saes[j].n)) * kFloat;
    }
    phases.push_back({"stability", {{"stability: the pairs' best cosines, matched cosines and stable counts", bytes,
                                     MemoryPlace::Host, "--n"}}});
  }
  std::size_t peak = 0;
  for (std::size_t k = 0; k < phases.size(); ++k)
    if (phases[k].bytes() > phases[peak].bytes()) peak = k;
  for (const auto& m : phases[peak].lines) r.memory.push_back(m);
  for (std::size_t k = 0; k < phases.size(); ++k)
    if (k != peak && phases[k].bytes() > 0)
      r.notes.push_back(str("the root's ", phases[k].name, " phase adds ", human_bytes(phases[k].bytes()), ", below its ",
                            phases[peak].name, " phase (", human_bytes(phases[peak].bytes()), ") counted above"));

  std::int64_t largest_n = 0;
  for (const auto& s : shape.saes) largest_n = std::max(largest_n, s.n);
  r.layout = str(count, " SAE(s) (largest n ", with_commas(largest_n), ", d ", with_commas(shape.saes.front().d), "), ",
                 pairs, " pair(s), ", po.greedy ? "greedy" : "exact", " blocked matching over ", ranks, " rank(s) × ",
                 threads, " thread(s); every rank reads its share of each pair's decoders and takes part in its "
                 "matching and the stability's null pass; the root also holds the graphs and runs the pairs' analyses");

  if (ranks > 1) {
    const double rr = ranks;
    for (std::size_t i = 0; i < count; ++i)
      for (std::size_t j = i + 1; j < count; ++j) {
        const SaeShape& a = shape.saes[i];
        const SaeShape& b = shape.saes[j];
        if (a.d != b.d) continue;
        const double n1 = static_cast<double>(a.n), n2 = static_cast<double>(b.n), dd = static_cast<double>(a.d);
        const std::string pair = count > 2 ? str(" (SAEs ", i, " and ", j, ")") : "";
        r.traffic.push_back({str("this rank's rows of the second decoder, broadcast to every rank chunk by chunk (CosineTiles::pass)", pair),
                             std::ceil(n2 / rr) * dd * kFloat, po.greedy ? "pass (candidates, each refill)"
                                                                         : (po.matching.recheck ? "pass (candidates, each pricing round, the recheck)"
                                                                                                : "pass (candidates, each pricing round)")});
        if (!po.greedy) {
          const double c = std::max(1, po.matching.column_candidates);
          const double listed = std::min<double>(std::max(1, po.matching.row_candidates), n2);
          r.traffic.push_back({str("column lists allgathered (merge_columns)", pair), n2 * c * 8, "pair"});
          r.traffic.push_back({str("this rank's row candidates allgathered for the root (gather_bytes)", pair),
                               std::ceil(n1 / rr) * (2 * kInt32 + listed * 8), "pair"});
          r.traffic.push_back({str("duals u and v broadcast by the root", pair), (n1 + n2) * kDouble, "pricing round"});
        }
        r.traffic.push_back({str("the matching and matched costs broadcast by the root (share_result)", pair),
                             n1 * (kInt32 + kFloat), "pair"});
        if (same_d) {
          r.traffic.push_back({str("each row's best cosine gathered and each column's allgathered (NearestScan, matching and null pass)", pair),
                               2 * (n1 + n2 * rr) * kFloat, "pair"});
          r.traffic.push_back({str("the null pass: this rank's turned rows of the second decoder broadcast chunk by chunk", pair),
                               std::ceil(n2 / rr) * dd * kFloat, "pair"});
        }
      }
  }

  r.notes.push_back("other ranks hold only their shares of the pair being matched (their rows of both decoders, their "
                    "unit rows) and the matcher's state for their rows: less than the root, which also holds the graphs");
  if (shape.graphs.empty())
    r.notes.push_back(str("graph sizes not known: nodes = n and no edges counted; add ", kGraphEdgeBytes,
                          " bytes per edge of each graph (and ", kBaselineEdgeBytes, " per edge of a pair's second graph during Q1)"));
  if (!po.greedy)
    r.notes.push_back("entries that pricing rounds add to the restricted problem (and the rows' ReducedScan heaps) are not "
                      "counted: a small share of the candidates when the decoders are alike");
  r.notes.push_back("graph loading's transients (centralities computed when the file has none), HDF5's chunk caches and "
                    "the ground-truth scoring are not counted");
  if (po.match_activations)
    r.notes.push_back("--match activations: the correlation pass before (encoding every SAE over the tokens) and the dense "
                      "solver's own state are not counted");
  r.notes.push_back("with a GPU the device lines are GPU memory; the matcher then also holds one tile and one chunk on the "
                    "other side (tile_host_, chunk_device_), not counted");
  return r;
}

}  // namespace coact::compare
