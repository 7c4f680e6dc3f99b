#include "lap/pricing.h"

#include <algorithm>
#include <limits>

#include "lap/parallel.h"

namespace coact::compare::lap {

double row_reduced_minimum(const float* costs, const double* column_potential, std::int64_t columns) {
  double minimum = std::numeric_limits<double>::infinity();
#pragma omp simd reduction(min : minimum)
  for (std::int64_t j = 0; j < columns; ++j) {
    minimum = std::min(minimum, static_cast<double>(costs[j]) - column_potential[j]);
  }
  return minimum;
}

namespace {

// Lowers u_i to the row's feasible maximum and unmatches the row if its match is no longer
// tight. Returns true when the row was unmatched.
bool lower_row_potential(const CostRows& cost, std::int32_t row, double row_minimum, LapState& state,
                         double tolerance) {
  double& u = state.row_potential[static_cast<std::size_t>(row)];
  if (row_minimum >= u) return false;
  u = row_minimum;
  const std::int32_t column = state.column_of_row[static_cast<std::size_t>(row)];
  if (column == kUnmatched) return false;
  const double matched_reduced = static_cast<double>(cost(row, column)) - u -
                                 state.column_potential[static_cast<std::size_t>(column)];
  if (matched_reduced <= tolerance) return false;
  state.unmatch_row(row);
  return true;
}

}  // namespace

PricingOutcome price_and_repair(const CostRows& cost, CandidateGraph& graph, LapState& state,
                                std::vector<double>& row_floor, double tolerance, int new_edges_per_row) {
  const std::int64_t rows = cost.rows;
  const std::int64_t columns = cost.cols;
  const double* v = state.column_potential.data();
  std::vector<std::vector<CandidateEdge>> new_edges(static_cast<std::size_t>(rows));
  // Only rows whose u rose above their floor can hold a negative reduced cost.
  std::vector<std::int32_t> suspects;
  for (std::int64_t i = 0; i < rows; ++i) {
    if (!graph.dense[static_cast<std::size_t>(i)] &&
        state.row_potential[static_cast<std::size_t>(i)] > row_floor[static_cast<std::size_t>(i)] + tolerance) {
      suspects.push_back(static_cast<std::int32_t>(i));
    }
  }
  const auto suspect_count = static_cast<std::int64_t>(suspects.size());

#pragma omp parallel for schedule(dynamic, 16) if (worth_a_team(suspect_count * columns))
  for (std::int64_t k = 0; k < suspect_count; ++k) {
    const std::int32_t i = suspects[static_cast<std::size_t>(k)];
    const float* costs = cost.row(i);
    const double minimum = row_reduced_minimum(costs, v, columns);
    row_floor[static_cast<std::size_t>(i)] = minimum;
    const double threshold = state.row_potential[static_cast<std::size_t>(i)] - tolerance;
    if (!(minimum < threshold)) continue;
    // Rare: collect the most negative entries (sorted by c_ij − v_j, ties to lower column).
    std::vector<std::pair<double, std::int32_t>> violating;
    for (std::int64_t j = 0; j < columns; ++j) {
      const double reduced = static_cast<double>(costs[j]) - v[j];
      if (reduced < threshold) violating.emplace_back(reduced, static_cast<std::int32_t>(j));
    }
    const std::size_t keep = std::min<std::size_t>(violating.size(), static_cast<std::size_t>(new_edges_per_row));
    std::partial_sort(violating.begin(), violating.begin() + static_cast<std::ptrdiff_t>(keep), violating.end());
    auto& mine = new_edges[static_cast<std::size_t>(i)];
    for (std::size_t s = 0; s < keep; ++s) mine.push_back({violating[s].second, costs[violating[s].second]});
  }

  PricingOutcome outcome;
  outcome.scanned_rows = suspect_count;
  for (std::int64_t i = 0; i < rows; ++i) {
    const auto& mine = new_edges[static_cast<std::size_t>(i)];
    if (mine.empty()) continue;
    ++outcome.violating_rows;
    const auto row = static_cast<std::int32_t>(i);
    for (const CandidateEdge& e : mine) graph.add(row, e.column, e.cost);
    if (lower_row_potential(cost, row, row_floor[static_cast<std::size_t>(i)], state, tolerance)) {
      outcome.freed_rows.push_back(row);
    }
  }
  return outcome;
}

void widen_rows(const CostRows& cost, const std::vector<std::int32_t>& rows, CandidateGraph& graph,
                LapState& state, std::vector<double>& row_floor, double tolerance,
                std::vector<std::int32_t>& freed_rows) {
  const double* v = state.column_potential.data();
  std::vector<std::uint8_t> present(static_cast<std::size_t>(cost.cols), 0);
  std::vector<std::pair<double, std::int32_t>> entries;
  for (std::int32_t row : rows) {
    if (graph.dense[static_cast<std::size_t>(row)]) continue;
    auto& edges = graph.edges[static_cast<std::size_t>(row)];
    const float* costs = cost.row(row);
    const std::size_t wanted = std::max<std::size_t>(1, edges.size());
    if (4 * (edges.size() + wanted) > static_cast<std::size_t>(cost.cols)) {
      graph.dense[static_cast<std::size_t>(row)] = 1;
    } else {
      for (const CandidateEdge& e : edges) present[static_cast<std::size_t>(e.column)] = 1;
      entries.clear();
      for (std::int64_t j = 0; j < cost.cols; ++j) {
        if (!present[static_cast<std::size_t>(j)]) entries.emplace_back(costs[j] - v[j], static_cast<std::int32_t>(j));
      }
      std::partial_sort(entries.begin(), entries.begin() + static_cast<std::ptrdiff_t>(wanted), entries.end());
      for (const CandidateEdge& e : edges) present[static_cast<std::size_t>(e.column)] = 0;
      for (std::size_t s = 0; s < wanted; ++s) edges.push_back({entries[s].second, costs[entries[s].second]});
    }
    const double minimum = row_reduced_minimum(costs, v, cost.cols);
    row_floor[static_cast<std::size_t>(row)] = minimum;
    if (lower_row_potential(cost, row, minimum, state, tolerance)) freed_rows.push_back(row);
  }
}

}  // namespace coact::compare::lap
