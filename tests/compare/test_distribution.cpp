#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "coact/compare/distribution.h"
#include "coact/core/errors.h"

namespace coact::compare {
namespace {

// sqrt of the mean of the two KL divergences to the midpoint, written out term by term.
double js_by_definition(const std::vector<double>& p, const std::vector<double>& q) {
  double sp = 0, sq = 0;
  for (std::size_t k = 0; k < p.size(); ++k) {
    sp += p[k];
    sq += q[k];
  }
  double d = 0;
  for (std::size_t k = 0; k < p.size(); ++k) {
    const double a = p[k] / sp, b = q[k] / sq, m = (a + b) / 2;
    if (a > 0) d += a * std::log(a / m) / 2;
    if (b > 0) d += b * std::log(b / m) / 2;
  }
  return std::sqrt(d);
}

TEST(Distribution, IntegerDensitiesShareBinsUpToTheLargestValue) {
  const std::vector<std::int64_t> a{0, 1, 1, 3}, b{2, 2, 5};
  const PairedDensities d = integer_densities(a, b);
  EXPECT_EQ(d.p, (std::vector<double>{0.25, 0.5, 0, 0.25, 0, 0}));
  EXPECT_EQ(d.q, (std::vector<double>{0, 0, 2.0 / 3, 0, 0, 1.0 / 3}));
  // The same from counts (a degree histogram), the shorter one padded.
  const std::vector<std::int64_t> counts_a{1, 2, 0, 1}, counts_b{0, 0, 2, 0, 0, 1};
  const PairedDensities from_counts = integer_densities_from_counts(counts_a, counts_b);
  EXPECT_EQ(from_counts.p, d.p);
  EXPECT_EQ(from_counts.q, d.q);
}

TEST(Distribution, JensenShannonKnownValuesAndProperties) {
  // Identical (after normalisation) → 0; disjoint supports → sqrt(ln 2), the maximum.
  EXPECT_EQ(jensen_shannon_distance(std::vector<double>{1, 2, 3}, std::vector<double>{2, 4, 6}), 0.0);
  EXPECT_NEAR(jensen_shannon_distance(std::vector<double>{1, 0}, std::vector<double>{0, 1}), std::sqrt(std::log(2.0)), 1e-15);
  const std::vector<double> p{0.1, 0.4, 0.0, 0.5}, q{0.3, 0.3, 0.2, 0.2};
  const double js = jensen_shannon_distance(p, q);
  EXPECT_NEAR(js, js_by_definition(p, q), 1e-15);
  EXPECT_EQ(js, jensen_shannon_distance(q, p));  // symmetric
  EXPECT_GT(js, 0.0);
  EXPECT_LT(js, std::sqrt(std::log(2.0)));
  // Scale invariance: counts and densities give the same distance.
  EXPECT_NEAR(jensen_shannon_distance(std::vector<double>{1, 4, 0, 5}, std::vector<double>{3, 3, 2, 2}), js, 1e-15);
}

TEST(Distribution, HistogramCountsFollowNumpyBinRules) {
  const std::vector<double> edges{0, 1, 2, 3};
  // Left edges inclusive, the last bin closed on the right, outside values dropped.
  const std::vector<double> values{-0.5, 0, 0.99, 1, 2.5, 3, 3.01};
  EXPECT_EQ(histogram_counts(values, edges), (std::vector<std::int64_t>{2, 1, 2}));
  EXPECT_THROW(histogram_counts(values, std::vector<double>{0, 2, 1}), InputError);
  EXPECT_THROW(histogram_counts(std::vector<double>{std::nan("")}, edges), InputError);
}

TEST(Distribution, SharedEdgesSpanBothInputs) {
  const std::vector<double> a{1.0, 2.0}, b{5.0};
  const std::vector<double> edges = shared_bin_edges(a, b, 4);
  EXPECT_EQ(edges, (std::vector<double>{1.0, 2.0, 3.0, 4.0, 5.0}));
  const PairedDensities d = real_densities(a, b, edges);
  EXPECT_EQ(d.p, (std::vector<double>{0.5, 0.5, 0, 0}));
  EXPECT_EQ(d.q, (std::vector<double>{0, 0, 0, 1}));
  // One repeated value: numpy widens the range to ±0.5.
  EXPECT_EQ(shared_bin_edges(std::vector<double>{2, 2}, std::vector<double>{}, 2), (std::vector<double>{1.5, 2, 2.5}));
}

TEST(Distribution, RejectsBadInput) {
  EXPECT_THROW(integer_densities(std::vector<std::int64_t>{}, std::vector<std::int64_t>{1}), InputError);
  EXPECT_THROW(integer_densities(std::vector<std::int64_t>{-1}, std::vector<std::int64_t>{1}), InputError);
  EXPECT_THROW(jensen_shannon_distance(std::vector<double>{1, 2}, std::vector<double>{1}), InputError);
  EXPECT_THROW(jensen_shannon_distance(std::vector<double>{0, 0}, std::vector<double>{1, 1}), InputError);
  EXPECT_THROW(jensen_shannon_distance(std::vector<double>{-1, 2}, std::vector<double>{1, 1}), InputError);
  EXPECT_THROW(shared_bin_edges(std::vector<double>{1}, std::vector<double>{2}, 0), InputError);
}

}  // namespace
}  // namespace coact::compare
