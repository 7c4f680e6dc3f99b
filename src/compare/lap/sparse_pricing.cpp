#include "lap/sparse_pricing.h"

#include <omp.h>

#include <algorithm>

#include "coact/core/log.h"
#include "coact/core/strings.h"
#include "coact/core/timer.h"
#include "lap/augmenting_row_reduction.h"
#include "lap/candidate_graph.h"
#include "lap/dense_shortest_path.h"
#include "lap/pricing.h"
#include "lap/sparse_shortest_path.h"

namespace coact::compare::lap {
namespace {

// Dense shortest paths (O(n) per settled column) beat another sparse round plus a pricing
// pass over the rows whose u rose only when very few rows are left to re-match.
constexpr std::int64_t kDenseFinishMaxRows = 2;
// More pricing rounds than this means rounding keeps re-creating tiny violations; the dense
// finish is exact without further pricing, so it ends the loop.
constexpr int kMaxPricingRounds = 50;
// Sparse searches may scan this many whole rows per row of the matrix (each O(n log n))
// before the remaining rows are matched by the dense search instead.
constexpr std::int64_t kDenseScanBudget = 2;

}  // namespace

void solve_sparse_pricing(const CostRows& cost, const SparsePricingSettings& settings, double tolerance,
                          LapState& state, AssignmentStats& stats, MatchProgress& progress) {
  Stopwatch phase;
  ColumnMinima minima;
  CandidateGraph graph =
      select_candidates(cost, settings.row_candidates, settings.column_candidates, minima);
  stats.candidate_seconds = phase.seconds();
  // Start: v_j = column minimum and u = 0 make every entry of the matrix feasible; a
  // column's cheapest row takes it when that row is still free (tight by construction).
  state.column_potential = minima.value;
  for (std::int64_t j = 0; j < cost.cols; ++j) {
    const std::int32_t row = minima.row[static_cast<std::size_t>(j)];
    if (row >= 0 && state.row_free(row)) {
      state.match(row, static_cast<std::int32_t>(j));
      ++stats.initial_matches;
    }
  }
  progress.report(stats.initial_matches);

  std::vector<std::int32_t> free_rows;
  for (std::int64_t i = 0; i < cost.rows; ++i) {
    if (state.row_free(static_cast<std::int32_t>(i))) free_rows.push_back(static_cast<std::int32_t>(i));
  }
  // Two passes of augmenting row reduction, as Jonker and Volgenant do; the rows it leaves
  // free go to the shortest-path search (processed from the back of the list).
  stats.initial_matches += augmenting_row_reduction(graph, state, free_rows, 2, 8);
  progress.report(stats.initial_matches);
  std::reverse(free_rows.begin(), free_rows.end());

  SparseShortestPath sparse(cost, graph);
  std::vector<double> row_floor(static_cast<std::size_t>(cost.rows), 0.0);  // see lap/pricing.h
  std::vector<std::int32_t> freed;
  std::int64_t matched = stats.initial_matches;
  // Re-matches rows on the dense matrix. Valid once pricing has made every entry feasible;
  // the dense search keeps it so, and the result is optimal without another pass.
  auto dense_finish = [&](const std::vector<std::int32_t>& rows) {
    phase.restart();
    DenseShortestPath dense(cost, omp_get_max_threads());
    for (std::int32_t row : rows) {
      if (!state.row_free(row)) continue;
      stats.settled_columns += dense.augment(row, state);
      ++stats.augmentations;
      ++stats.dense_augmentations;
      progress.report(++matched);
    }
    stats.search_seconds += phase.seconds();
  };
  for (int round = 0;; ++round) {
    // Match every free row inside the restricted problem; a search that cannot reach a free
    // column widens the rows it reached and tries again. When searches keep scanning whole
    // rows (a matrix whose rows all want the same few columns), the dense search is cheaper.
    phase.restart();
    bool switch_to_dense = false;
    while (!free_rows.empty() && !switch_to_dense) {
      const std::int32_t row = free_rows.back();
      if (!state.row_free(row)) {
        free_rows.pop_back();
        continue;
      }
      if (sparse.augment(row, state)) {
        free_rows.pop_back();
        ++stats.augmentations;
        progress.report(++matched);
      } else {
        freed.clear();
        widen_rows(cost, sparse.settled_rows(), graph, state, row_floor, tolerance, freed);
        matched -= static_cast<std::int64_t>(freed.size());
        free_rows.insert(free_rows.end(), freed.begin(), freed.end());
      }
      switch_to_dense = sparse.dense_row_scans() > kDenseScanBudget * cost.rows;
    }
    stats.search_seconds += phase.seconds();
    if (round == kMaxPricingRounds) {
      log::warn(settings.label, ": ", round, " pricing rounds; finishing on the dense matrix");
      switch_to_dense = true;
    }
    progress.status(str("pricing round ", round + 1));
    phase.restart();
    PricingOutcome priced =
        price_and_repair(cost, graph, state, row_floor, tolerance, std::max(2, settings.row_candidates));
    ++stats.pricing_rounds;
    stats.pricing_seconds += phase.seconds();
    log::debug(settings.label, ": pricing round ", round + 1, ": ", priced.scanned_rows, " rows scanned, ",
               priced.violating_rows,
               " rows had negative reduced costs, ", priced.freed_rows.size(), " unmatched; ", graph.edge_count(),
               " candidate entries");
    matched -= static_cast<std::int64_t>(priced.freed_rows.size());
    if (switch_to_dense) {
      free_rows.insert(free_rows.end(), priced.freed_rows.begin(), priced.freed_rows.end());
      std::sort(free_rows.begin(), free_rows.end());
      dense_finish(free_rows);
      break;
    }
    if (priced.freed_rows.empty()) break;
    if (static_cast<std::int64_t>(priced.freed_rows.size()) <= kDenseFinishMaxRows) {
      dense_finish(priced.freed_rows);
      break;
    }
    free_rows.assign(priced.freed_rows.rbegin(), priced.freed_rows.rend());
  }
  stats.settled_columns += sparse.settled_columns();
  stats.candidate_entries = graph.edge_count();
  stats.dense_rows = graph.dense_count();
}

}  // namespace coact::compare::lap
