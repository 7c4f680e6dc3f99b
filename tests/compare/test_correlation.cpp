#include <gtest/gtest.h>

#include <cmath>

#include "coact/compare/correlation.h"
#include "coact/core/errors.h"

namespace coact::compare {
namespace {

TEST(Correlation, AverageRanksSplitTies) {
  // scipy.stats.rankdata([10, 20, 10, 30, 20, 20]) = [1.5, 4, 1.5, 6, 4, 4]
  EXPECT_EQ(average_ranks(std::vector<double>{10, 20, 10, 30, 20, 20}), (std::vector<double>{1.5, 4, 1.5, 6, 4, 4}));
  EXPECT_EQ(average_ranks(std::vector<double>{3, 1, 2}), (std::vector<double>{3, 1, 2}));
  EXPECT_THROW(average_ranks(std::vector<double>{1, std::nan("")}), InputError);
}

TEST(Correlation, PearsonKnownValues) {
  const std::vector<double> x{1, 2, 3, 4, 5};
  EXPECT_NEAR(pearson_correlation(x, std::vector<double>{2, 4, 6, 8, 10}), 1.0, 1e-15);
  EXPECT_NEAR(pearson_correlation(x, std::vector<double>{5, 4, 3, 2, 1}), -1.0, 1e-15);
  // x = 1..5, y = (2, 1, 4, 3, 5): r = 8 / 10 = 0.8.
  EXPECT_NEAR(pearson_correlation(x, std::vector<double>{2, 1, 4, 3, 5}), 0.8, 1e-15);
  EXPECT_TRUE(std::isnan(pearson_correlation(x, std::vector<double>{7, 7, 7, 7, 7})));
}

TEST(Correlation, SpearmanIsPearsonOfRanks) {
  const std::vector<double> x{1, 2, 3, 4, 5};
  // Any increasing transform gives rho = 1.
  EXPECT_NEAR(spearman_correlation(x, std::vector<double>{1, 8, 27, 64, 1000}), 1.0, 1e-15);
  // With ties: ranks of y = (1.5, 1.5, 3, 4, 5).
  const std::vector<double> y{0, 0, 1, 2, 3};
  EXPECT_NEAR(spearman_correlation(x, y), pearson_correlation(x, std::vector<double>{1.5, 1.5, 3, 4, 5}), 1e-15);
  EXPECT_NEAR(spearman_correlation(x, y), 0.9746794344808963, 1e-15);
}

TEST(Correlation, RejectsBadInput) {
  EXPECT_THROW(spearman_correlation(std::vector<double>{1, 2}, std::vector<double>{1}), InputError);
  EXPECT_THROW(pearson_correlation(std::vector<double>{1}, std::vector<double>{1}), InputError);
  EXPECT_THROW(pearson_correlation(std::vector<double>{1, INFINITY}, std::vector<double>{1, 2}), InputError);
}

}  // namespace
}  // namespace coact::compare
