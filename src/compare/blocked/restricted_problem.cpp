#include "blocked/restricted_problem.h"

#include <algorithm>
#include <limits>
#include <numeric>

#include "coact/core/errors.h"
#include "lap/cost_rows.h"

namespace coact::compare::blocked {

RestrictedProblem::RestrictedProblem(std::int64_t real_rows, std::int64_t columns, float virtual_cost,
                                     double tolerance, const std::string& label, std::int64_t progress_min_rows)
    : real_rows_(real_rows), columns_(columns), virtual_cost_(virtual_cost), tolerance_(tolerance), label_(label),
      state_(columns, columns), progress_(label, progress_min_rows, columns) {
  graph_.edges.resize(static_cast<std::size_t>(columns));
  graph_.dense.assign(static_cast<std::size_t>(columns), 0);
  // No dense rows: the search never reads the cost matrix, only the graph.
  search_ = std::make_unique<lap::SparseShortestPath>(lap::CostRows(MatrixView<const float>(nullptr, 0, columns)),
                                                      graph_);
}

void RestrictedProblem::start(const std::vector<float>& row_minimum, const std::vector<std::int32_t>& cheapest_column,
                              int virtual_entries) {
  for (std::int64_t i = 0; i < real_rows_; ++i) {
    state_.row_potential[static_cast<std::size_t>(i)] = row_minimum[static_cast<std::size_t>(i)];
    const std::int32_t column = cheapest_column[static_cast<std::size_t>(i)];
    if (state_.column_free(column)) {
      state_.match(static_cast<std::int32_t>(i), column);
      ++matched_;
    } else {
      free_rows_.push_back(static_cast<std::int32_t>(i));
    }
  }
  progress_.report(matched_);
  solve();
  // The virtual rows take the columns left, in order; their other entries are spread evenly
  // (a search that reaches a virtual row finds a way on near any column).
  const std::int64_t spread = std::min<std::int64_t>(std::max(1, virtual_entries), columns_) - 1;
  std::int64_t next_free = 0;
  for (std::int64_t t = real_rows_; t < columns_; ++t) {
    const auto row = static_cast<std::int32_t>(t);
    state_.row_potential[static_cast<std::size_t>(t)] = virtual_cost_;
    while (!state_.column_free(static_cast<std::int32_t>(next_free))) ++next_free;
    const auto column = static_cast<std::int32_t>(next_free);
    graph_.add(row, column, virtual_cost_);
    graph_.add(row, row, virtual_cost_);
    for (std::int64_t s = 1; s <= spread; ++s) {
      graph_.add(row, static_cast<std::int32_t>((next_free + s * columns_ / (spread + 1)) % columns_), virtual_cost_);
    }
    state_.match(row, column);
    ++matched_;
  }
  progress_.report(matched_);
}

void RestrictedProblem::solve() {
  // Rows in increasing order (real rows before virtual ones): deterministic, and the real
  // rows' choices come first.
  std::sort(free_rows_.begin(), free_rows_.end());
  for (const std::int32_t row : free_rows_) {
    if (!state_.row_free(row)) continue;
    COACT_REQUIRE(search_->augment(row, state_), NumericError, label_, ": no augmenting path from row ", row,
                  " inside the restricted problem (internal error: its diagonal entry guarantees one)");
    ++augmentations_;
    progress_.report(++matched_);
  }
  free_rows_.clear();
}

void RestrictedProblem::free_row(std::int32_t row) {
  state_.unmatch_row(row);
  free_rows_.push_back(row);
  --matched_;
}

float RestrictedProblem::entry_cost(std::int32_t row, std::int32_t column) const {
  for (const lap::CandidateEdge& e : graph_.edges[static_cast<std::size_t>(row)]) {
    if (e.column == column) return e.cost;
  }
  return std::numeric_limits<float>::quiet_NaN();
}

void RestrictedProblem::reprice(std::int32_t row, double minimum) {
  double& u = state_.row_potential[static_cast<std::size_t>(row)];
  if (!(minimum < u)) return;
  u = minimum;
  const std::int32_t column = state_.column_of_row[static_cast<std::size_t>(row)];
  if (column == lap::kUnmatched) return;
  const double matched_reduced =
      static_cast<double>(entry_cost(row, column)) - u - state_.column_potential[static_cast<std::size_t>(column)];
  if (matched_reduced > tolerance_) free_row(row);
}

double RestrictedProblem::minimum_real_reduced_cost() const {
  double minimum = std::numeric_limits<double>::infinity();
  for (std::int64_t i = 0; i < real_rows_; ++i) {
    const double u = state_.row_potential[static_cast<std::size_t>(i)];
    for (const lap::CandidateEdge& e : graph_.edges[static_cast<std::size_t>(i)]) {
      minimum = std::min(minimum, static_cast<double>(e.cost) - u - state_.column_potential[static_cast<std::size_t>(e.column)]);
    }
  }
  return minimum;
}

std::int64_t RestrictedProblem::virtual_violations() const {
  if (real_rows_ == columns_) return 0;
  const double largest_v = *std::max_element(state_.column_potential.begin(), state_.column_potential.end());
  const double minimum = static_cast<double>(virtual_cost_) - largest_v;
  std::int64_t count = 0;
  for (std::int64_t t = real_rows_; t < columns_; ++t) {
    count += minimum < state_.row_potential[static_cast<std::size_t>(t)] - tolerance_;
  }
  return count;
}

void RestrictedProblem::price_virtual_rows(int k) {
  const std::int64_t violating = virtual_violations();
  if (violating == 0) return;
  const auto& v = state_.column_potential;
  const double minimum = static_cast<double>(virtual_cost_) - *std::max_element(v.begin(), v.end());
  // The columns of largest v first (ties: lower column), dealt out k to each violating row.
  const std::int64_t per_row = std::min<std::int64_t>(std::max(1, k), columns_);
  const std::int64_t wanted = std::min(columns_, violating * per_row);
  std::vector<std::int32_t> order(static_cast<std::size_t>(columns_));
  std::iota(order.begin(), order.end(), 0);
  std::partial_sort(order.begin(), order.begin() + wanted, order.end(), [&](std::int32_t a, std::int32_t b) {
    return v[static_cast<std::size_t>(a)] > v[static_cast<std::size_t>(b)] ||
           (v[static_cast<std::size_t>(a)] == v[static_cast<std::size_t>(b)] && a < b);
  });
  std::int64_t dealt = 0;
  for (std::int64_t t = real_rows_; t < columns_; ++t) {
    double& u = state_.row_potential[static_cast<std::size_t>(t)];
    if (!(minimum < u - tolerance_)) continue;
    const auto row = static_cast<std::int32_t>(t);
    for (std::int64_t s = 0; s < per_row; ++s) graph_.add(row, order[static_cast<std::size_t>(dealt++ % wanted)], virtual_cost_);
    u = minimum;
    const std::int32_t column = state_.column_of_row[static_cast<std::size_t>(t)];
    if (column != lap::kUnmatched &&
        static_cast<double>(virtual_cost_) - u - v[static_cast<std::size_t>(column)] > tolerance_) {
      free_row(row);
    }
  }
}

std::int64_t RestrictedProblem::bytes() const {
  std::int64_t total = static_cast<std::int64_t>(graph_.edges.size() * (sizeof(std::vector<lap::CandidateEdge>) + 1));
  for (const auto& row : graph_.edges) total += static_cast<std::int64_t>(row.capacity() * sizeof(lap::CandidateEdge));
  // LapState (u, v, both matchings) and the search's per-column records and predecessors.
  total += columns_ * static_cast<std::int64_t>(2 * sizeof(double) + 2 * sizeof(std::int32_t));
  total += columns_ * static_cast<std::int64_t>(16 + sizeof(std::int32_t));
  return total;
}

void RestrictedProblem::finish_progress() {
  progress_.report(matched_);
  progress_.finish();
}

}  // namespace coact::compare::blocked
