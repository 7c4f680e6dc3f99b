#include "lap/sparse_shortest_path.h"

#include <algorithm>

namespace coact::compare::lap {

SparseShortestPath::SparseShortestPath(const CostRows& cost, const CandidateGraph& graph)
    : cost_(cost), graph_(graph), columns_(static_cast<std::size_t>(cost.cols), ColumnRecord{0.0, 0, 0}),
      predecessor_row_(static_cast<std::size_t>(cost.cols)) {}

void SparseShortestPath::new_search() {
  if (++stamp_ == 0) {  // wrapped after 2^32 searches: clear the stamps once
    std::fill(columns_.begin(), columns_.end(), ColumnRecord{0.0, 0, 0});
    stamp_ = 1;
  }
  heap_.clear();
  settled_rows_.clear();
  settled_columns_.clear();
}

void SparseShortestPath::relax(std::int32_t column, double through, std::int32_t row, const LapState& state) {
  ColumnRecord& record = columns_[static_cast<std::size_t>(column)];
  if (record.settled_stamp == stamp_) return;
  if (record.seen_stamp == stamp_ && !(through < record.distance)) return;
  record.seen_stamp = stamp_;
  record.distance = through;
  predecessor_row_[static_cast<std::size_t>(column)] = row;
  heap_.push_back({through, state.column_free(column) ? 0 : 1, column});
  std::push_heap(heap_.begin(), heap_.end(), HeapOrder{});
}

bool SparseShortestPath::augment(std::int32_t start, LapState& state) {
  new_search();
  const double* v = state.column_potential.data();
  std::int32_t row = start;
  double path_length = 0;
  std::int32_t sink = kUnmatched;
  while (sink == kUnmatched) {
    settled_rows_.push_back(row);
    const double base = path_length - state.row_potential[static_cast<std::size_t>(row)];
    if (graph_.dense[static_cast<std::size_t>(row)]) {
      ++dense_row_scans_;
      const float* costs = cost_.row(row);
      for (std::int64_t j = 0; j < cost_.cols; ++j) {
        relax(static_cast<std::int32_t>(j), base + static_cast<double>(costs[j]) - v[j], row, state);
      }
    } else {
      for (const CandidateEdge& e : graph_.edges[static_cast<std::size_t>(row)]) {
        relax(e.column, base + static_cast<double>(e.cost) - v[e.column], row, state);
      }
    }
    // The nearest column not yet settled (stale heap entries are skipped).
    std::int32_t column = kUnmatched;
    while (!heap_.empty()) {
      std::pop_heap(heap_.begin(), heap_.end(), HeapOrder{});
      const HeapEntry top = heap_.back();
      heap_.pop_back();
      const ColumnRecord& record = columns_[static_cast<std::size_t>(top.column)];
      if (record.settled_stamp == stamp_ || top.distance != record.distance) continue;
      column = top.column;
      break;
    }
    if (column == kUnmatched) return false;
    columns_[static_cast<std::size_t>(column)].settled_stamp = stamp_;
    settled_columns_.push_back(column);
    ++settled_total_;
    path_length = columns_[static_cast<std::size_t>(column)].distance;
    if (state.column_free(column)) {
      sink = column;
    } else {
      row = state.row_of_column[static_cast<std::size_t>(column)];
    }
  }
  update_potentials_and_augment(
      state, start, sink, path_length, settled_rows_, settled_columns_,
      [this](std::int32_t column) { return columns_[static_cast<std::size_t>(column)].distance; }, predecessor_row_);
  return true;
}

}  // namespace coact::compare::lap
