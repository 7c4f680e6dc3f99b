#include <gtest/gtest.h>

#include <algorithm>
#include <tuple>

#include "coact/compare/assignment.h"
#include "coact/compare/greedy_assignment.h"
#include "coact/core/errors.h"
#include "lap_fixtures.h"

namespace coact::compare {
namespace {

// The definition: sort every (cost, row, column) and take each pair whose row and column are
// both still free.
std::vector<std::int32_t> sort_all_pairs(const testing::Matrix& m) {
  std::vector<std::tuple<float, std::int32_t, std::int32_t>> pairs;
  for (std::int32_t i = 0; i < m.rows; ++i)
    for (std::int32_t j = 0; j < m.cols; ++j) pairs.emplace_back(m.values[static_cast<std::size_t>(i * m.cols + j)], i, j);
  std::sort(pairs.begin(), pairs.end());
  std::vector<std::int32_t> column_of_row(static_cast<std::size_t>(m.rows), -1);
  std::vector<bool> taken(static_cast<std::size_t>(m.cols), false);
  for (const auto& [cost, i, j] : pairs) {
    if (column_of_row[static_cast<std::size_t>(i)] < 0 && !taken[static_cast<std::size_t>(j)]) {
      column_of_row[static_cast<std::size_t>(i)] = j;
      taken[static_cast<std::size_t>(j)] = true;
    }
  }
  return column_of_row;
}

TEST(GreedyAssignment, EqualsTheSortAllPairsDefinition) {
  // Large enough that rows run through their 16-entry lists and rescan.
  for (const testing::Matrix& m : {testing::uniform_matrix(90, 90, 1), testing::uniform_matrix(40, 70, 2),
                                   testing::integer_matrix(60, 60, 3, 3), testing::integer_matrix(200, 200, 50, 4)}) {
    const Assignment greedy = greedy_assignment(m.view());
    EXPECT_EQ(greedy.column_of_row, sort_all_pairs(m));
    EXPECT_DOUBLE_EQ(greedy.cost, assignment_cost(m.view(), greedy.column_of_row));
  }
}

TEST(GreedyAssignment, IsNoBetterThanTheOptimumAndHasNoCertificate) {
  // [[1, 2], [2, 100]]: greedy takes (0,0) then must take (1,1) = 101; the optimum is 4.
  const testing::Matrix trap{2, 2, {1, 2, 2, 100}};
  const Assignment greedy = greedy_assignment(trap.view());
  EXPECT_EQ(greedy.cost, 101.0);
  EXPECT_EQ(solve_assignment(trap.view()).cost, 4.0);
  EXPECT_FALSE(verify_optimality(trap.view(), greedy).optimal);

  const testing::Matrix m = testing::uniform_matrix(120, 120, 5);
  EXPECT_GE(greedy_assignment(m.view()).cost, solve_assignment(m.view()).cost);
}

TEST(GreedyAssignment, RejectsBadInput) {
  const testing::Matrix tall = testing::uniform_matrix(4, 3, 1);
  EXPECT_THROW(greedy_assignment(tall.view()), InputError);
  testing::Matrix nan = testing::uniform_matrix(3, 3, 1);
  nan.at(1, 1) = std::numeric_limits<float>::quiet_NaN();
  EXPECT_THROW(greedy_assignment(nan.view()), InputError);
}

}  // namespace
}  // namespace coact::compare
