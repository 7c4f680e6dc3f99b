#include "lap/dense_shortest_path.h"

#include <omp.h>

#include <algorithm>
#include <limits>
#include <numeric>

#include "lap/parallel.h"

namespace coact::compare::lap {
namespace {

constexpr double kInfinity = std::numeric_limits<double>::infinity();

}  // namespace

DenseShortestPath::DenseShortestPath(const CostRows& cost, int threads, std::int64_t min_parallel_columns)
    : cost_(cost), threads_(std::max(1, threads)), min_parallel_columns_(min_parallel_columns),
      distance_(static_cast<std::size_t>(cost.cols)), predecessor_row_(static_cast<std::size_t>(cost.cols)),
      remaining_(static_cast<std::size_t>(cost.cols)), partial_(static_cast<std::size_t>(threads_)) {}

// Ties: the smaller distance; among equal distances a free column (it ends the search at
// once), then the earlier position. The same rule merges per-thread results in thread order,
// so the chosen column does not depend on the thread count.
bool DenseShortestPath::better(const Candidate& a, const Candidate& b) {
  if (a.distance != b.distance) return a.distance < b.distance;
  return a.free && !b.free;
}

DenseShortestPath::Candidate DenseShortestPath::scan_slice(std::int32_t row, double row_distance,
                                                           const LapState& state, std::int64_t begin,
                                                           std::int64_t end) {
  const float* costs = cost_.row(row);
  const double* v = state.column_potential.data();
  const double reduced_base = row_distance - state.row_potential[static_cast<std::size_t>(row)];
  Candidate best{kInfinity, -1, false};
  for (std::int64_t position = begin; position < end; ++position) {
    const std::int32_t column = remaining_[static_cast<std::size_t>(position)];
    const double through_row = reduced_base + static_cast<double>(costs[column]) - v[column];
    double& distance = distance_[static_cast<std::size_t>(column)];
    if (through_row < distance) {
      distance = through_row;
      predecessor_row_[static_cast<std::size_t>(column)] = row;
    }
    if (distance < best.distance || (distance == best.distance && !best.free && state.column_free(column))) {
      best = {distance, position, state.column_free(column)};
    }
  }
  return best;
}

std::int64_t DenseShortestPath::augment(std::int32_t start, LapState& state) {
  const std::int64_t columns = cost_.cols;
  std::fill(distance_.begin(), distance_.end(), kInfinity);
  std::iota(remaining_.begin(), remaining_.end(), 0);
  settled_rows_.clear();
  settled_columns_.clear();

  std::int64_t remaining_count = columns;
  std::int32_t row = start;
  double path_length = 0;
  std::int32_t sink = kUnmatched;

  // Takes the chosen column out of the search; decides whether it ends the path.
  auto settle = [&](const Candidate& best) {
    path_length = best.distance;
    const std::int32_t column = remaining_[static_cast<std::size_t>(best.position)];
    remaining_[static_cast<std::size_t>(best.position)] = remaining_[static_cast<std::size_t>(--remaining_count)];
    settled_columns_.push_back(column);
    if (state.column_free(column)) {
      sink = column;
    } else {
      row = state.row_of_column[static_cast<std::size_t>(column)];
    }
  };

  const int team = columns >= min_parallel_columns_ ? threads_ : 1;
  if (team == 1) {
    while (sink == kUnmatched) {
      settled_rows_.push_back(row);
      settle(scan_slice(row, path_length, state, 0, remaining_count));
    }
  } else {
#pragma omp parallel num_threads(team)
    {
      const int thread = omp_get_thread_num();
      const int threads = omp_get_num_threads();
      while (true) {
        // Slices are recomputed from the shrinking count; reads of row, path_length and
        // remaining_count happen after the barrier that ended the previous step.
        const std::int64_t begin = remaining_count * thread / threads;
        const std::int64_t end = remaining_count * (thread + 1) / threads;
        partial_[static_cast<std::size_t>(thread)] = scan_slice(row, path_length, state, begin, end);
#pragma omp barrier
#pragma omp single
        {
          settled_rows_.push_back(row);
          Candidate best = partial_[0];
          for (int t = 1; t < threads; ++t) {
            if (better(partial_[static_cast<std::size_t>(t)], best)) best = partial_[static_cast<std::size_t>(t)];
          }
          settle(best);
        }
        if (sink != kUnmatched) break;
      }
    }
  }

  update_potentials_and_augment(
      state, start, sink, path_length, settled_rows_, settled_columns_,
      [this](std::int32_t column) { return distance_[static_cast<std::size_t>(column)]; }, predecessor_row_);
  return static_cast<std::int64_t>(settled_columns_.size());
}

std::int64_t row_reduction_start(const CostRows& cost, LapState& state) {
  const std::int64_t rows = cost.rows;
  const std::int64_t columns = cost.cols;
  std::vector<std::int32_t> cheapest(static_cast<std::size_t>(rows));
#pragma omp parallel for schedule(static) if (worth_a_team(rows * columns))
  for (std::int64_t i = 0; i < rows; ++i) {
    const float* costs = cost.row(i);
    std::int64_t best = 0;
    for (std::int64_t j = 1; j < columns; ++j) {
      if (costs[j] < costs[best]) best = j;
    }
    cheapest[static_cast<std::size_t>(i)] = static_cast<std::int32_t>(best);
    state.row_potential[static_cast<std::size_t>(i)] = costs[best];
  }
  std::int64_t matched = 0;
  for (std::int64_t i = 0; i < rows; ++i) {
    const std::int32_t column = cheapest[static_cast<std::size_t>(i)];
    if (state.column_free(column)) {
      state.match(static_cast<std::int32_t>(i), column);
      ++matched;
    }
  }
  return matched;
}

}  // namespace coact::compare::lap
