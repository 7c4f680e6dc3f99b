// data::nearest_rows against the plain definition: for each row, the target of largest cosine
// (the lower index on ties) in double precision, one dot at a time.
#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "coact/data/ground_truth.h"

namespace coact::data {
namespace {

NearestRows one_dot_at_a_time(const std::vector<float>& rows, const std::vector<float>& targets, std::int64_t d) {
  const std::int64_t count = static_cast<std::int64_t>(rows.size()) / d, m = static_cast<std::int64_t>(targets.size()) / d;
  const auto norm = [d](const float* v) {
    double s = 0;
    for (std::int64_t c = 0; c < d; ++c) s += static_cast<double>(v[c]) * v[c];
    return std::max(std::sqrt(s), 1e-12);
  };
  NearestRows out;
  for (std::int64_t i = 0; i < count; ++i) {
    const float* r = rows.data() + i * d;
    double best = -2;
    std::int64_t best_index = 0;
    for (std::int64_t j = 0; j < m; ++j) {
      const float* t = targets.data() + j * d;
      double dot = 0;
      for (std::int64_t c = 0; c < d; ++c) dot += static_cast<double>(r[c]) * t[c];
      const double cosine = dot / (norm(r) * norm(t));
      if (cosine > best) {
        best = cosine;
        best_index = j;
      }
    }
    out.index.push_back(best_index);
    out.cosine.push_back(m > 0 ? best : 0.0);
  }
  return out;
}

TEST(GroundTruth, NearestRowsIsThePlainSearch) {
  // 37 rows (not a multiple of the 4 rows held together), 600 targets (two blocks of 256 and a
  // part), d 13; target 599 repeats target 3 and row 5 is target 3 itself, so the tie goes to
  // 3; row 9 is zero (cosine 0 to everything, index 0).
  const std::int64_t d = 13, count = 37, m = 600;
  std::mt19937 rng(7);
  std::normal_distribution<float> normal;
  std::vector<float> rows(static_cast<std::size_t>(count * d)), targets(static_cast<std::size_t>(m * d));
  for (auto& v : rows) v = normal(rng);
  for (auto& v : targets) v = normal(rng);
  for (std::int64_t c = 0; c < d; ++c) {
    targets[static_cast<std::size_t>(599 * d + c)] = targets[static_cast<std::size_t>(3 * d + c)];
    rows[static_cast<std::size_t>(5 * d + c)] = targets[static_cast<std::size_t>(3 * d + c)];
    rows[static_cast<std::size_t>(9 * d + c)] = 0.0f;
  }
  const NearestRows got = nearest_rows(rows, targets, d);
  const NearestRows want = one_dot_at_a_time(rows, targets, d);
  EXPECT_EQ(got.index, want.index);
  EXPECT_EQ(got.cosine, want.cosine);  // the same sums in the same order
  EXPECT_EQ(got.index[5], 3);
  EXPECT_NEAR(got.cosine[5], 1.0, 1e-12);
  EXPECT_EQ(got.index[9], 0);
  EXPECT_EQ(got.cosine[9], 0.0);
  const NearestRows none = nearest_rows(rows, {}, d);  // no targets: cosine 0
  EXPECT_EQ(none.cosine, std::vector<double>(static_cast<std::size_t>(count), 0.0));
}

}  // namespace
}  // namespace coact::data
