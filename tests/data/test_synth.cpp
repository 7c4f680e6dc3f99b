#include <gtest/gtest.h>

#include <cmath>
#include <map>
#include <numeric>

#include "coact/core/errors.h"
#include "coact/data/synth.h"

namespace coact::data {
namespace {

SynthConfig small_config() {
  SynthConfig c;
  c.rows = 20000;
  c.d = 32;
  c.features = 96;
  c.noise = 0.01;
  c.offset_norm = 0.5;
  c.seed = 11;
  return c;
}

TEST(Synth, RowsDoNotDependOnHowTheyAreSplit) {
  const SyntheticGenerator g(small_config());
  const std::int64_t d = 32, n = 96;
  std::vector<float> whole(100 * d), first(40 * d), second(60 * d), codes(100 * n);
  g.generate(500, 100, whole.data(), codes.data());
  g.generate(500, 40, first.data());
  g.generate(540, 60, second.data());
  EXPECT_TRUE(std::equal(first.begin(), first.end(), whole.begin()));
  EXPECT_TRUE(std::equal(second.begin(), second.end(), whole.begin() + 40 * d));
  // Same seed, same data; another seed, other data.
  const SyntheticGenerator same(small_config());
  std::vector<float> again(100 * d);
  same.generate(500, 100, again.data());
  EXPECT_EQ(again, whole);
  SynthConfig other = small_config();
  other.seed = 12;
  std::vector<float> different(100 * d);
  SyntheticGenerator(other).generate(500, 100, different.data());
  EXPECT_NE(different, whole);
}

TEST(Synth, RowsAreTheSuperpositionOfTheirTrueCodes) {
  const SynthConfig c = small_config();
  const SyntheticGenerator g(c);
  const std::int64_t rows = 200;
  std::vector<float> x(static_cast<std::size_t>(rows * c.d)), codes(static_cast<std::size_t>(rows * c.features));
  g.generate(0, rows, x.data(), codes.data());
  double residual_sq = 0;
  for (std::int64_t r = 0; r < rows; ++r) {
    for (std::int64_t k = 0; k < c.d; ++k) {
      double recon = g.offset()[static_cast<std::size_t>(k)];
      for (std::int64_t i = 0; i < c.features; ++i)
        recon += static_cast<double>(codes[static_cast<std::size_t>(r * c.features + i)]) * g.directions()[static_cast<std::size_t>(i * c.d + k)];
      const double e = x[static_cast<std::size_t>(r * c.d + k)] - recon;
      residual_sq += e * e;
    }
    for (std::int64_t i = 0; i < c.features; ++i) {
      const float a = codes[static_cast<std::size_t>(r * c.features + i)];
      ASSERT_TRUE(a == 0.0f || (a >= c.magnitude_min && a <= c.magnitude_max)) << a;
    }
  }
  // What is left is the Gaussian noise: variance noise^2 per dimension.
  EXPECT_NEAR(residual_sq / static_cast<double>(rows * c.d), c.noise * c.noise, 0.2 * c.noise * c.noise);
  // Unit directions; the offset has the requested norm.
  for (std::int64_t i = 0; i < c.features; ++i) {
    double norm = 0;
    for (std::int64_t k = 0; k < c.d; ++k) norm += std::pow(g.directions()[static_cast<std::size_t>(i * c.d + k)], 2);
    EXPECT_NEAR(norm, 1.0, 1e-5);
  }
  double offset_norm = 0;
  for (float v : g.offset()) offset_norm += static_cast<double>(v) * v;
  EXPECT_NEAR(std::sqrt(offset_norm), c.offset_norm, 1e-5);
}

TEST(Synth, ZipfProbabilitiesGroupsAndSparsity) {
  const SynthConfig c = small_config();
  const SyntheticGenerator g(c);
  // Zipf: sorted probabilities follow max / rank^exponent (floored).
  std::vector<double> p = g.probabilities();
  std::sort(p.rbegin(), p.rend());
  for (std::size_t r = 0; r < p.size(); ++r)
    EXPECT_NEAR(p[r], std::max(c.max_probability / std::pow(r + 1.0, c.zipf_exponent), c.min_probability), 1e-12);
  // Groups: floor(fraction · n / size) groups of exactly group_size members.
  std::map<std::int64_t, int> sizes;
  for (auto grp : g.groups())
    if (grp >= 0) ++sizes[grp];
  EXPECT_EQ(static_cast<std::int64_t>(sizes.size()), static_cast<std::int64_t>(c.grouped_fraction * c.features) / c.group_size);
  for (const auto& [grp, size] : sizes) EXPECT_EQ(size, c.group_size);

  // Empirical firing: L0 matches the analytic expectation, members co-fire far above chance.
  const std::int64_t rows = c.rows;
  std::vector<float> x(static_cast<std::size_t>(rows * c.d)), codes(static_cast<std::size_t>(rows * c.features));
  g.generate(0, rows, x.data(), codes.data());
  double active = 0;
  for (float a : codes) active += a > 0;
  EXPECT_NEAR(active / static_cast<double>(rows), g.expected_l0(), 0.05 * g.expected_l0());
  // Pick one group and one ungrouped pair: P(both) / (P(a) P(b)).
  std::int64_t a = -1, b = -1, u = -1, v = -1;
  for (std::int64_t i = 0; i < c.features; ++i) {
    const auto grp = g.groups()[static_cast<std::size_t>(i)];
    if (grp == 0 && a < 0) a = i;
    else if (grp == 0 && b < 0) b = i;
    if (grp < 0 && u < 0) u = i;
    else if (grp < 0 && v < 0) v = i;
  }
  auto lift = [&](std::int64_t i, std::int64_t j) {
    double fi = 0, fj = 0, both = 0;
    for (std::int64_t r = 0; r < rows; ++r) {
      const bool x_i = codes[static_cast<std::size_t>(r * c.features + i)] > 0, x_j = codes[static_cast<std::size_t>(r * c.features + j)] > 0;
      fi += x_i;
      fj += x_j;
      both += x_i && x_j;
    }
    return (both / rows) / ((fi / rows) * (fj / rows));
  };
  EXPECT_GT(lift(a, b), 3.0) << "group members co-activate";
  EXPECT_LT(std::abs(lift(u, v) - 1.0), 0.5) << "independent features do not";
}

TEST(Synth, InvalidConfigurationsNameTheFlag) {
  SynthConfig c = small_config();
  c.group_size = 1;
  try {
    c.validate();
    FAIL();
  } catch (const UsageError& e) {
    EXPECT_NE(std::string(e.what()).find("--group-size"), std::string::npos) << e.what();
  }
  c = small_config();
  c.max_probability = 1.5;
  EXPECT_THROW(SyntheticGenerator{c}, UsageError);
  c = small_config();
  c.rows = 0;
  EXPECT_THROW(c.validate(), UsageError);
}

}  // namespace
}  // namespace coact::data
