#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <set>

#include "coact/compare/assignment.h"
#include "coact/core/errors.h"
#include "lap_fixtures.h"

namespace coact::compare {
namespace {

using testing::Matrix;

const AssignmentMethod kExactMethods[] = {AssignmentMethod::SparsePricing, AssignmentMethod::DenseShortestPath};

AssignmentOptions with(AssignmentMethod method, int row_candidates = 32, int column_candidates = 4) {
  AssignmentOptions options;
  options.method = method;
  options.row_candidates = row_candidates;
  options.column_candidates = column_candidates;
  return options;
}

// The result is a valid assignment, its reported cost is its cost, and its potentials prove
// it optimal over the whole matrix.
void expect_certified(const Matrix& m, const Assignment& a) {
  const OptimalityCertificate c = verify_optimality(m.view(), a, 1e-9);
  EXPECT_TRUE(c.valid_assignment) << c.problem;
  EXPECT_TRUE(c.optimal) << c.problem;
  EXPECT_LE(c.gap_bound, 1e-9 * static_cast<double>(std::max<std::int64_t>(1, m.rows)));
  EXPECT_DOUBLE_EQ(a.cost, assignment_cost(m.view(), a.column_of_row));
}

TEST(Assignment, MatchesBruteForceOnSmallRandomSquareMatrices) {
  for (std::int64_t n = 1; n <= 8; ++n) {
    for (std::uint64_t seed = 0; seed < 6; ++seed) {
      const Matrix m = testing::uniform_matrix(n, n, 100 * n + seed);
      const double best = testing::brute_force_optimum(m);
      for (AssignmentMethod method : kExactMethods) {
        const Assignment a = solve_assignment(m.view(), with(method));
        EXPECT_NEAR(a.cost, best, 1e-12) << "n " << n << " seed " << seed << " " << to_string(method);
        expect_certified(m, a);
      }
    }
  }
}

TEST(Assignment, MatchesBruteForceWithManyTies) {
  for (std::int64_t n = 2; n <= 8; ++n) {
    for (int levels : {1, 2, 3}) {
      const Matrix m = testing::integer_matrix(n, n, levels, 7 * n + static_cast<std::uint64_t>(levels));
      const double best = testing::brute_force_optimum(m);
      // One candidate per row and column forces widening and pricing on these tiny cases.
      for (const AssignmentOptions& options : {with(AssignmentMethod::SparsePricing, 1, 1),
                                               with(AssignmentMethod::SparsePricing),
                                               with(AssignmentMethod::DenseShortestPath)}) {
        const Assignment a = solve_assignment(m.view(), options);
        EXPECT_EQ(a.cost, best) << "n " << n << " levels " << levels << " " << to_string(options.method);
        expect_certified(m, a);
      }
    }
  }
}

TEST(Assignment, MatchesBruteForceOnRectangularMatrices) {
  for (std::int64_t cols = 1; cols <= 8; ++cols) {
    for (std::int64_t rows = 1; rows < cols; ++rows) {
      for (int kind = 0; kind < 2; ++kind) {
        const std::uint64_t seed = static_cast<std::uint64_t>(rows * 31 + cols + 1000 * kind);
        const Matrix m = kind == 0 ? testing::uniform_matrix(rows, cols, seed) : testing::integer_matrix(rows, cols, 3, seed);
        const double best = testing::brute_force_optimum(m);
        for (const AssignmentOptions& options : {with(AssignmentMethod::SparsePricing),
                                                 with(AssignmentMethod::SparsePricing, 1, 1),
                                                 with(AssignmentMethod::DenseShortestPath)}) {
          const Assignment a = solve_assignment(m.view(), options);
          EXPECT_NEAR(a.cost, best, 1e-12) << rows << "x" << cols << " " << to_string(options.method);
          expect_certified(m, a);
        }
      }
    }
  }
}

TEST(Assignment, SolvesLargerRectangularProblemsWithBothMethods) {
  for (const auto& [rows, cols] : {std::pair<std::int64_t, std::int64_t>{150, 151}, {120, 200}, {30, 400}}) {
    for (const Matrix& m : {testing::uniform_matrix(rows, cols, 40), testing::integer_matrix(rows, cols, 5, 41)}) {
      const Assignment dense = solve_assignment(m.view(), with(AssignmentMethod::DenseShortestPath));
      expect_certified(m, dense);
      for (const AssignmentOptions& options : {with(AssignmentMethod::SparsePricing),
                                               with(AssignmentMethod::SparsePricing, 2, 1)}) {
        const Assignment sparse = solve_assignment(m.view(), options);
        EXPECT_NEAR(sparse.cost, dense.cost, 1e-9) << rows << "x" << cols;
        expect_certified(m, sparse);
        EXPECT_EQ(sparse.row_potential.size(), static_cast<std::size_t>(rows));
        EXPECT_EQ(sparse.column_potential.size(), static_cast<std::size_t>(cols));
      }
    }
  }
}

TEST(Assignment, RecoversAPlantedPermutation) {
  const testing::PlantedInstance planted = testing::planted_cosine_instance(200, 48, 5);
  for (AssignmentMethod method : kExactMethods) {
    const Assignment a = solve_assignment(planted.cost.view(), with(method));
    EXPECT_EQ(a.column_of_row, planted.perm) << to_string(method);
    expect_certified(planted.cost, a);
  }
}

TEST(Assignment, SparseAndDenseAgreeOnLargerInstancesOfEveryKind) {
  const std::int64_t n = 180;
  std::vector<Matrix> cases = {testing::uniform_matrix(n, n, 1), testing::integer_matrix(n, n, 4, 2),
                               testing::integer_matrix(n, n, 1000, 3), testing::planted_cosine_instance(n, 16, 4).cost};
  // Machol–Wien c_ij = i·j: every row ranks the columns alike, so augmenting paths are long.
  Matrix machol{n, n, std::vector<float>(static_cast<std::size_t>(n * n))};
  for (std::int64_t i = 0; i < n; ++i)
    for (std::int64_t j = 0; j < n; ++j) machol.at(i, j) = static_cast<float>((i + 1) * (j + 1));
  cases.push_back(machol);
  for (const Matrix& m : cases) {
    const Assignment dense = solve_assignment(m.view(), with(AssignmentMethod::DenseShortestPath));
    expect_certified(m, dense);
    for (const AssignmentOptions& options : {with(AssignmentMethod::SparsePricing),
                                             with(AssignmentMethod::SparsePricing, 1, 1),
                                             with(AssignmentMethod::SparsePricing, 3, 0)}) {
      const Assignment sparse = solve_assignment(m.view(), options);
      EXPECT_NEAR(sparse.cost, dense.cost, 1e-9 * std::max(1.0, std::fabs(dense.cost)));
      expect_certified(m, sparse);
    }
  }
}

TEST(Assignment, PricingAddsWhatTheRestrictedProblemMissed) {
  // The optimum needs entries outside each row's single cheapest one: with one candidate per
  // row and column, only pricing (or widening) can find them.
  const Matrix m = testing::uniform_matrix(300, 300, 11);
  const Assignment a = solve_assignment(m.view(), with(AssignmentMethod::SparsePricing, 1, 1));
  expect_certified(m, a);
  EXPECT_GE(a.stats.pricing_rounds, 1);
  EXPECT_GT(a.stats.candidate_entries, 300);
  const Assignment dense = solve_assignment(m.view(), with(AssignmentMethod::DenseShortestPath));
  EXPECT_NEAR(a.cost, dense.cost, 1e-9);
}

TEST(Assignment, FallsBackToTheDenseSearchWhenRowsCompeteForTheSameColumns) {
  // Machol–Wien again: every row's cheapest entries are the same few columns, so sparse
  // searches fail, rows are widened, and the rest is matched on the dense matrix.
  const std::int64_t n = 180;
  Matrix m{n, n, std::vector<float>(static_cast<std::size_t>(n * n))};
  for (std::int64_t i = 0; i < n; ++i)
    for (std::int64_t j = 0; j < n; ++j) m.at(i, j) = static_cast<float>((i + 1) * (j + 1));
  const Assignment a = solve_assignment(m.view(), with(AssignmentMethod::SparsePricing));
  expect_certified(m, a);
  EXPECT_GT(a.stats.dense_rows, 0);
  EXPECT_GT(a.stats.dense_augmentations, 0);
  // Σ_i (i+1)(n−i) pairs the largest with the smallest: the anti-diagonal is optimal.
  double anti_diagonal = 0;
  for (std::int64_t i = 0; i < n; ++i) anti_diagonal += static_cast<double>((i + 1) * (n - i));
  EXPECT_EQ(a.cost, anti_diagonal);
}

TEST(Assignment, HandlesConstantMatricesAndSingleEntries) {
  for (std::int64_t n : {1, 2, 64, 300}) {
    Matrix m{n, n, std::vector<float>(static_cast<std::size_t>(n * n), 2.5f)};
    for (AssignmentMethod method : kExactMethods) {
      const Assignment a = solve_assignment(m.view(), with(method));
      EXPECT_EQ(a.cost, 2.5 * static_cast<double>(n));
      expect_certified(m, a);
    }
  }
  Matrix one{1, 1, {-7.25f}};
  const Assignment a = solve_assignment(one.view());
  EXPECT_EQ(a.column_of_row, std::vector<std::int32_t>{0});
  EXPECT_EQ(a.cost, -7.25);
  const Assignment empty = solve_assignment(MatrixView<const float>(nullptr, 0, 0));
  EXPECT_TRUE(empty.column_of_row.empty());
  EXPECT_EQ(empty.cost, 0.0);
}

TEST(Assignment, RespectsARowStride) {
  const Matrix wide = testing::uniform_matrix(6, 9, 21);
  const MatrixView<const float> left(wide.values.data(), 6, 6, 9);  // the first 6 columns
  Matrix copy{6, 6, {}};
  for (std::int64_t i = 0; i < 6; ++i)
    for (std::int64_t j = 0; j < 6; ++j) copy.values.push_back(wide.values[static_cast<std::size_t>(i * 9 + j)]);
  EXPECT_NEAR(solve_assignment(left).cost, testing::brute_force_optimum(copy), 1e-12);
}

TEST(Assignment, ResultDoesNotDependOnTheRun) {
  const Matrix m = testing::integer_matrix(150, 150, 3, 9);
  for (AssignmentMethod method : kExactMethods) {
    const Assignment first = solve_assignment(m.view(), with(method));
    const Assignment second = solve_assignment(m.view(), with(method));
    EXPECT_EQ(first.column_of_row, second.column_of_row);
    EXPECT_EQ(first.row_potential, second.row_potential);
  }
}

TEST(Assignment, RejectsBadInput) {
  Matrix m = testing::uniform_matrix(4, 4, 1);
  m.at(2, 3) = std::numeric_limits<float>::quiet_NaN();
  EXPECT_THROW(solve_assignment(m.view()), InputError);
  m.at(2, 3) = std::numeric_limits<float>::infinity();
  EXPECT_THROW(solve_assignment(m.view()), InputError);
  m.at(2, 3) = -std::numeric_limits<float>::infinity();
  EXPECT_THROW(solve_assignment(m.view(), with(AssignmentMethod::DenseShortestPath)), InputError);
  const Matrix tall = testing::uniform_matrix(5, 3, 2);
  EXPECT_THROW(solve_assignment(tall.view()), InputError);
  try {
    m.at(2, 3) = std::numeric_limits<float>::quiet_NaN();
    solve_assignment(m.view());
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("cost[2, 3]"), std::string::npos) << e.what();
  }
}

TEST(Certificate, RejectsWrongAssignmentsAndPotentials) {
  const Matrix m = testing::uniform_matrix(30, 30, 4);
  const Assignment good = solve_assignment(m.view());
  ASSERT_TRUE(verify_optimality(m.view(), good).optimal);

  Assignment swapped = good;  // a different, worse assignment with the same potentials
  std::swap(swapped.column_of_row[0], swapped.column_of_row[1]);
  swapped.cost = assignment_cost(m.view(), swapped.column_of_row);
  const OptimalityCertificate c = verify_optimality(m.view(), swapped);
  EXPECT_TRUE(c.valid_assignment);
  EXPECT_FALSE(c.optimal);
  EXPECT_GT(c.gap_bound, 0.0);

  Assignment duplicated = good;
  duplicated.column_of_row[0] = duplicated.column_of_row[1];
  EXPECT_FALSE(verify_optimality(m.view(), duplicated).valid_assignment);

  Assignment infeasible = good;  // raising one u makes some reduced cost negative
  infeasible.row_potential[3] += 0.5;
  EXPECT_FALSE(verify_optimality(m.view(), infeasible).optimal);
  EXPECT_LT(verify_optimality(m.view(), infeasible).min_reduced_cost, 0.0);

  Assignment no_duals = good;
  no_duals.row_potential.clear();
  EXPECT_FALSE(verify_optimality(m.view(), no_duals).optimal);
}

TEST(Certificate, RectangularNeedsTheFreeColumnsOnTop) {
  const Matrix m = testing::uniform_matrix(5, 9, 8);
  Assignment a = solve_assignment(m.view());
  ASSERT_TRUE(verify_optimality(m.view(), a).optimal);
  // Lowering a free column's potential breaks the rectangular condition.
  std::set<std::int32_t> used(a.column_of_row.begin(), a.column_of_row.end());
  for (std::int32_t j = 0; j < 9; ++j) {
    if (!used.count(j)) {
      a.column_potential[static_cast<std::size_t>(j)] -= 1.0;
      break;
    }
  }
  const OptimalityCertificate c = verify_optimality(m.view(), a);
  EXPECT_FALSE(c.optimal);
  EXPECT_GT(c.free_column_excess, 0.5);
}

}  // namespace
}  // namespace coact::compare
