// solve_assignment: input checks, method choice, the dense method's driver, and the squared
// view of rectangular problems for the sparse method.
#include <omp.h>

#include <algorithm>

#include "coact/compare/assignment.h"
#include "coact/core/errors.h"
#include "coact/core/timer.h"
#include "lap/cost_rows.h"
#include "lap/dense_shortest_path.h"
#include "lap/lap_state.h"
#include "lap/match_progress.h"
#include "lap/sparse_pricing.h"
#include "lap/validate.h"

namespace coact::compare {

const char* to_string(AssignmentMethod method) {
  switch (method) {
    case AssignmentMethod::Auto: return "auto";
    case AssignmentMethod::DenseShortestPath: return "dense-shortest-path";
    case AssignmentMethod::SparsePricing: return "sparse-pricing";
  }
  return "?";
}

double assignment_cost(MatrixView<const float> cost, std::span<const std::int32_t> column_of_row) {
  COACT_REQUIRE(static_cast<std::int64_t>(column_of_row.size()) == cost.rows, InputError, "assignment_cost: ",
                column_of_row.size(), " assigned rows for a matrix of ", cost.rows, " rows");
  double total = 0;
  for (std::int64_t i = 0; i < cost.rows; ++i) {
    const std::int32_t column = column_of_row[static_cast<std::size_t>(i)];
    COACT_REQUIRE(column >= 0 && column < cost.cols, InputError, "assignment_cost: row ", i, " has column ", column,
                  " outside [0, ", cost.cols, ")");
    total += static_cast<double>(cost(i, column));
  }
  return total;
}

namespace {

using lap::LapState;

void solve_dense(const lap::CostRows& cost, LapState& state, AssignmentStats& stats, lap::MatchProgress& progress) {
  stats.initial_matches = lap::row_reduction_start(cost, state);
  std::int64_t matched = stats.initial_matches;
  progress.report(matched);
  lap::DenseShortestPath dense(cost, omp_get_max_threads());
  for (std::int64_t i = 0; i < cost.rows; ++i) {
    const auto row = static_cast<std::int32_t>(i);
    if (!state.row_free(row)) continue;
    stats.settled_columns += dense.augment(row, state);
    ++stats.augmentations;
    ++stats.dense_augmentations;
    progress.report(++matched);
  }
}

std::int64_t count_matched(const LapState& state) {
  return std::count_if(state.column_of_row.begin(), state.column_of_row.end(),
                       [](std::int32_t c) { return c != lap::kUnmatched; });
}

}  // namespace

Assignment solve_assignment(MatrixView<const float> cost, const AssignmentOptions& options) {
  Stopwatch clock;
  const double largest = lap::check_cost_matrix(cost, options.label.c_str());
  // Reduced costs are sums of a few terms of the cost's magnitude in double: 1e-11 of the
  // largest cost is far above their rounding and far below any real difference of costs.
  const double tolerance = 1e-11 * std::max(1.0, largest);

  AssignmentMethod method = options.method;
  if (method == AssignmentMethod::Auto) {
    // Spare columns shorten every dense search (a free column is never far) and make the
    // virtual rows of the squared problem compete among themselves: measured at n1 = 4,096
    // on decoder cosines, the dense method wins from about 1% spare columns on (0.5 s
    // against 1.2 s with 104 spare, 0.4 s against 6.6 s with 404) and loses with 14 (1.2 s
    // against 0.48 s).
    const bool nearly_square = (cost.cols - cost.rows) * 256 <= cost.cols;
    method = nearly_square ? AssignmentMethod::SparsePricing : AssignmentMethod::DenseShortestPath;
  }

  Assignment result;
  result.stats.method = method;
  // SparsePricing squares a rectangular problem with n2 − n1 extra rows of one constant
  // (lap/cost_rows.h); the largest |cost| keeps every column's minimum on a real row, so the
  // start is the same as for the real rows alone.
  const std::int64_t solved_rows = method == AssignmentMethod::SparsePricing ? cost.cols : cost.rows;
  const std::vector<float> extra_row(
      static_cast<std::size_t>(solved_rows > cost.rows ? cost.cols : 0), static_cast<float>(largest));
  const lap::CostRows rows(cost, solved_rows - cost.rows, extra_row.data());
  LapState state(solved_rows, cost.cols);
  lap::MatchProgress progress(options.label, options.progress_min_rows, solved_rows);
  if (cost.rows > 0) {
    if (method == AssignmentMethod::SparsePricing) {
      lap::solve_sparse_pricing(rows, {options.row_candidates, options.column_candidates, options.label}, tolerance,
                                state, result.stats, progress);
    } else {
      solve_dense(rows, state, result.stats, progress);
    }
  }
  progress.report(count_matched(state));
  progress.finish();
  COACT_REQUIRE(count_matched(state) == solved_rows, NumericError, options.label, ": ",
                solved_rows - count_matched(state), " rows left unmatched (internal error)");

  // The extra rows' matches and potentials are dropped: the real rows' part is the answer.
  state.column_of_row.resize(static_cast<std::size_t>(cost.rows));
  state.row_potential.resize(static_cast<std::size_t>(cost.rows));
  result.column_of_row = std::move(state.column_of_row);
  result.row_potential = std::move(state.row_potential);
  result.column_potential = std::move(state.column_potential);
  result.cost = assignment_cost(cost, result.column_of_row);
  result.stats.seconds = clock.seconds();
  return result;
}

}  // namespace coact::compare
