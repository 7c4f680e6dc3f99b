// Greedy matching (an approximation): the globally cheapest free pair first. Each row keeps
// a short sorted list of its cheapest columns; a global heap holds every unmatched row's best
// still-free entry. When a row's list runs out of free columns it is rebuilt from a fresh
// scan of the row restricted to free columns, so the result equals the sort-all-pairs
// definition without sorting n1·n2 entries.
#include "coact/compare/greedy_assignment.h"

#include <algorithm>
#include <queue>
#include <tuple>

#include "coact/core/errors.h"
#include "coact/core/timer.h"
#include "lap/lap_state.h"
#include "lap/parallel.h"
#include "lap/validate.h"

namespace coact::compare {
namespace {

constexpr std::size_t kListLength = 16;

struct Entry {
  float cost;
  std::int32_t row;
  std::int32_t column;
  // Heap order: cheapest first; ties to the lower row, then the lower column.
  bool operator>(const Entry& other) const {
    return std::tie(cost, row, column) > std::tie(other.cost, other.row, other.column);
  }
};

// The kListLength cheapest free columns of `row`, sorted by (cost, column).
std::vector<std::int32_t> cheapest_free_columns(MatrixView<const float> cost, std::int32_t row,
                                                const std::vector<std::uint8_t>& column_taken) {
  std::vector<std::pair<float, std::int32_t>> free_entries;
  const float* costs = cost.row(row);
  for (std::int64_t j = 0; j < cost.cols; ++j) {
    if (!column_taken[static_cast<std::size_t>(j)]) free_entries.emplace_back(costs[j], static_cast<std::int32_t>(j));
  }
  const std::size_t keep = std::min(kListLength, free_entries.size());
  std::partial_sort(free_entries.begin(), free_entries.begin() + static_cast<std::ptrdiff_t>(keep), free_entries.end());
  std::vector<std::int32_t> columns(keep);
  for (std::size_t s = 0; s < keep; ++s) columns[s] = free_entries[s].second;
  // Reversed, so the next best is popped from the back.
  std::reverse(columns.begin(), columns.end());
  return columns;
}

}  // namespace

Assignment greedy_assignment(MatrixView<const float> cost) {
  Stopwatch clock;
  lap::check_cost_matrix(cost, "greedy assignment");
  const std::int64_t rows = cost.rows;
  std::vector<std::uint8_t> column_taken(static_cast<std::size_t>(cost.cols), 0);
  std::vector<std::vector<std::int32_t>> lists(static_cast<std::size_t>(rows));
#pragma omp parallel for schedule(dynamic, 16) if (lap::worth_a_team(rows * cost.cols))
  for (std::int64_t i = 0; i < rows; ++i) {
    lists[static_cast<std::size_t>(i)] = cheapest_free_columns(cost, static_cast<std::int32_t>(i), column_taken);
  }

  std::priority_queue<Entry, std::vector<Entry>, std::greater<>> heap;
  for (std::int64_t i = 0; i < rows; ++i) {
    const std::int32_t column = lists[static_cast<std::size_t>(i)].back();
    heap.push({cost(i, column), static_cast<std::int32_t>(i), column});
  }
  std::vector<std::int32_t> column_of_row(static_cast<std::size_t>(rows), lap::kUnmatched);
  while (!heap.empty()) {
    const Entry top = heap.top();
    heap.pop();
    auto& list = lists[static_cast<std::size_t>(top.row)];
    if (!column_taken[static_cast<std::size_t>(top.column)]) {
      column_of_row[static_cast<std::size_t>(top.row)] = top.column;
      column_taken[static_cast<std::size_t>(top.column)] = 1;
      continue;
    }
    // Its best column went to another row: its next best still-free column re-enters.
    while (!list.empty() && column_taken[static_cast<std::size_t>(list.back())]) list.pop_back();
    if (list.empty()) list = cheapest_free_columns(cost, top.row, column_taken);
    heap.push({cost(top.row, list.back()), top.row, list.back()});
  }

  Assignment result;
  result.column_of_row = std::move(column_of_row);
  result.cost = assignment_cost(cost, result.column_of_row);
  result.stats.seconds = clock.seconds();
  return result;
}

}  // namespace coact::compare
