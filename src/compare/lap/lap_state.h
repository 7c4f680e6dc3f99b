// The state every shortest-augmenting-path step works on: a partial matching and dual
// potentials (u for rows, v for columns) with reduced costs c_ij − u_i − v_j >= 0 on every
// entry the search may use and = 0 on matched entries. Internal to the compare module.
#pragma once

#include <cstdint>
#include <vector>

namespace coact::compare::lap {

inline constexpr std::int32_t kUnmatched = -1;

struct LapState {
  LapState(std::int64_t rows, std::int64_t columns)
      : row_potential(static_cast<std::size_t>(rows), 0.0), column_potential(static_cast<std::size_t>(columns), 0.0),
        column_of_row(static_cast<std::size_t>(rows), kUnmatched),
        row_of_column(static_cast<std::size_t>(columns), kUnmatched) {}

  void match(std::int32_t row, std::int32_t column) {
    column_of_row[static_cast<std::size_t>(row)] = column;
    row_of_column[static_cast<std::size_t>(column)] = row;
  }
  void unmatch_row(std::int32_t row) {
    std::int32_t& column = column_of_row[static_cast<std::size_t>(row)];
    if (column != kUnmatched) row_of_column[static_cast<std::size_t>(column)] = kUnmatched;
    column = kUnmatched;
  }
  bool row_free(std::int32_t row) const { return column_of_row[static_cast<std::size_t>(row)] == kUnmatched; }
  bool column_free(std::int32_t column) const { return row_of_column[static_cast<std::size_t>(column)] == kUnmatched; }

  std::vector<double> row_potential;     // u
  std::vector<double> column_potential;  // v
  std::vector<std::int32_t> column_of_row;
  std::vector<std::int32_t> row_of_column;
};

// The end of a shortest-path search from `start`: the rows and columns it settled, their
// distances, and the free column (sink) it reached at distance `path_length`. Updating the
// potentials this way keeps every reduced cost >= 0 and makes the new path tight
// (Jonker & Volgenant 1987; the same update as scipy's Crouse 2016 implementation).
template <class DistanceOf>
void update_potentials_and_augment(LapState& state, std::int32_t start, std::int32_t sink, double path_length,
                                   const std::vector<std::int32_t>& settled_rows,
                                   const std::vector<std::int32_t>& settled_columns, DistanceOf distance_of,
                                   const std::vector<std::int32_t>& predecessor_row) {
  state.row_potential[static_cast<std::size_t>(start)] += path_length;
  for (std::int32_t row : settled_rows) {
    if (row == start) continue;
    const std::int32_t column = state.column_of_row[static_cast<std::size_t>(row)];
    state.row_potential[static_cast<std::size_t>(row)] += path_length - distance_of(column);
  }
  for (std::int32_t column : settled_columns) {
    state.column_potential[static_cast<std::size_t>(column)] -= path_length - distance_of(column);
  }
  // Flip the path: each column on it takes the row that reached it.
  std::int32_t column = sink;
  while (true) {
    const std::int32_t row = predecessor_row[static_cast<std::size_t>(column)];
    const std::int32_t previous_column = state.column_of_row[static_cast<std::size_t>(row)];
    state.match(row, column);
    if (row == start) break;
    column = previous_column;
  }
}

}  // namespace coact::compare::lap
