// Internal pieces of the solver that the public API cannot reach on small inputs: the dense
// search's OpenMP team (used only for very wide matrices) must give the serial result.
#include <gtest/gtest.h>

#include <numeric>

#include "lap/candidate_graph.h"
#include "lap/dense_shortest_path.h"
#include "lap/lap_state.h"
#include "lap_fixtures.h"

namespace coact::compare::lap {
namespace {

LapState solve_with(const testing::Matrix& m, int threads, std::int64_t min_parallel_columns) {
  LapState state(m.rows, m.cols);
  row_reduction_start(m.view(), state);
  DenseShortestPath search(m.view(), threads, min_parallel_columns);
  for (std::int32_t i = 0; i < m.rows; ++i) {
    if (state.row_free(i)) search.augment(i, state);
  }
  return state;
}

TEST(LapInternals, DenseTeamSearchEqualsSerialSearch) {
  for (const testing::Matrix& m : {testing::uniform_matrix(60, 80, 3), testing::integer_matrix(50, 50, 3, 4)}) {
    const LapState serial = solve_with(m, 1, DenseShortestPath::kDefaultMinParallelColumns);
    for (int threads : {2, 3}) {  // 3 oversubscribes 2 cores: slow but must agree
      const LapState team = solve_with(m, threads, 1);
      EXPECT_EQ(team.column_of_row, serial.column_of_row) << threads << " threads";
      EXPECT_EQ(team.row_potential, serial.row_potential);
      EXPECT_EQ(team.column_potential, serial.column_potential);
    }
  }
}

TEST(LapInternals, CandidatesHoldEachRowsAndColumnsCheapestEntries) {
  const testing::Matrix m = testing::uniform_matrix(40, 40, 12);
  ColumnMinima minima;
  const CandidateGraph graph = select_candidates(m.view(), 3, 2, minima);
  for (std::int64_t i = 0; i < 40; ++i) {
    // The row's three cheapest columns are among its candidates.
    std::vector<std::int32_t> order(40);
    std::iota(order.begin(), order.end(), 0);
    std::sort(order.begin(), order.end(), [&](std::int32_t a, std::int32_t b) {
      return m.values[static_cast<std::size_t>(i * 40 + a)] < m.values[static_cast<std::size_t>(i * 40 + b)];
    });
    for (int r = 0; r < 3; ++r) {
      bool found = false;
      for (const CandidateEdge& e : graph.edges[static_cast<std::size_t>(i)]) {
        found = found || e.column == order[static_cast<std::size_t>(r)];
      }
      EXPECT_TRUE(found) << "row " << i << " rank " << r;
    }
  }
  for (std::int64_t j = 0; j < 40; ++j) {
    float lowest = 2;
    std::int32_t lowest_row = -1;
    for (std::int32_t i = 0; i < 40; ++i) {
      if (m.values[static_cast<std::size_t>(i * 40 + j)] < lowest) {
        lowest = m.values[static_cast<std::size_t>(i * 40 + j)];
        lowest_row = i;
      }
    }
    EXPECT_EQ(minima.value[static_cast<std::size_t>(j)], lowest);
    EXPECT_EQ(minima.row[static_cast<std::size_t>(j)], lowest_row);
  }
}

}  // namespace
}  // namespace coact::compare::lap
