// The arithmetic of the cuda backend's block and warp kernels (ops/radix_topk.h), replayed on
// the cpu exactly as the kernels sequence it: the radix-select top-k against the reference
// top-k (ties, masks, rows with fewer than k candidates) and the warp dot against a double sum.
#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <vector>

#include "coact/backend/ops/radix_topk.h"
#include "coact/backend/reference.h"

namespace coact::backend {
namespace {

using Select = ops::RadixTopk;

// One row as topk_rows_kernel computes it: candidate count, four histogram passes, the ordered
// scan (in chunks of `threads` columns, tie ranks exclusive within a chunk).
void radix_topk_row(std::int64_t cols, const float* row, const float* bias, const std::uint8_t* allowed,
                    std::int64_t k, std::int64_t* count, std::int32_t* index, float* value, int threads) {
  const auto key_at = [&](std::int64_t c) { return Select::key(row[c] + bias[c], allowed == nullptr || allowed[c]); };
  std::uint32_t candidates = 0;
  for (std::int64_t c = 0; c < cols; ++c) candidates += key_at(c) != 0;
  std::uint32_t threshold = 0, ties = 0;
  if (candidates > k) {
    std::uint32_t prefix = 0, remaining = static_cast<std::uint32_t>(k);
    for (int pass = 0; pass < Select::kPasses; ++pass) {
      std::vector<std::uint32_t> histogram(Select::kDigits, 0);
      for (std::int64_t c = 0; c < cols; ++c)
        if (Select::matches(key_at(c), prefix, pass)) ++histogram[Select::digit(key_at(c), pass)];
      const auto choice = Select::choose(histogram.data(), prefix, remaining, pass);
      prefix = choice.prefix;
      remaining = choice.remaining;
    }
    threshold = prefix;
    ties = remaining;
  }
  std::uint32_t written = 0, ties_seen = 0;
  for (std::int64_t start = 0; start < cols; start += threads) {
    std::uint32_t tie_rank = 0, position = 0;
    std::vector<std::uint32_t> chosen(static_cast<std::size_t>(threads), 0);
    for (int t = 0; t < threads; ++t) {  // the exclusive tie scan of the chunk
      const std::int64_t c = start + t;
      const std::uint32_t key = c < cols ? key_at(c) : 0;
      chosen[t] = Select::taken(key, threshold, ties, ties_seen + tie_rank) ? 1 : 0;
      tie_rank += key != 0 && key == threshold ? 1 : 0;
    }
    for (int t = 0; t < threads; ++t)
      if (chosen[t]) {
        index[written + position] = static_cast<std::int32_t>(start + t);
        value[written + position] = row[start + t] + bias[start + t];
        ++position;
      }
    written += position;
    ties_seen += tie_rank;
  }
  *count = written;
}

TEST(RadixTopk, MatchesTheReferenceTopkWithTiesMasksAndShortRows) {
  std::mt19937 gen(5);
  for (const std::int64_t cols : {1, 7, 256, 1000, 4099}) {
    for (const std::int64_t k : {1, 4, 32, 300}) {
      for (const int quantise : {0, 1}) {
        const std::int64_t rows = 6;
        std::vector<float> in(static_cast<std::size_t>(rows * cols)), bias(static_cast<std::size_t>(cols));
        std::normal_distribution<float> normal(0.0f, 1.0f);
        for (auto& v : in) v = quantise ? std::round(normal(gen) * 4.0f) / 4.0f : normal(gen);  // many exact ties
        for (auto& b : bias) b = quantise ? 0.0f : 0.1f * normal(gen);
        for (std::int64_t c = 0; c < cols; c += 3) in[c] = -1.0f;  // row 0..: some never positive
        std::vector<std::uint8_t> allowed(static_cast<std::size_t>(cols));
        for (auto& a : allowed) a = gen() % 4 != 0;
        for (const bool masked : {false, true}) {
          const std::uint8_t* mask = masked ? allowed.data() : nullptr;
          std::vector<std::int64_t> want_counts(rows), got_counts(rows);
          std::vector<std::int32_t> want_index(rows * k, -1), got_index(rows * k, -1);
          std::vector<float> want_value(rows * k, 0.0f), got_value(rows * k, 0.0f);
          reference::topk_rows(rows, cols, in.data(), bias.data(), mask, k, want_counts.data(), want_index.data(),
                               want_value.data());
          for (std::int64_t r = 0; r < rows; ++r)
            radix_topk_row(cols, in.data() + r * cols, bias.data(), mask, k, &got_counts[r], got_index.data() + r * k,
                           got_value.data() + r * k, 256);
          ASSERT_EQ(got_counts, want_counts) << "cols " << cols << " k " << k << " quantise " << quantise;
          for (std::int64_t r = 0; r < rows; ++r)
            for (std::int64_t s = 0; s < want_counts[r]; ++s) {
              ASSERT_EQ(got_index[r * k + s], want_index[r * k + s]) << "row " << r << " slot " << s;
              ASSERT_EQ(got_value[r * k + s], want_value[r * k + s]);
            }
        }
      }
    }
  }
}

TEST(WarpDot, StridedLanesAndTreeSumGiveTheDot) {
  std::mt19937 gen(9);
  std::uniform_real_distribution<float> dist(-1.0f, 1.0f);
  for (const std::int64_t n : {1, 31, 32, 33, 2048, 2049}) {
    std::vector<float> a(n), b(n);
    for (auto& v : a) v = dist(gen);
    for (auto& v : b) v = dist(gen);
    float partial[32];
    double exact = 0, magnitude = 0;
    for (std::int64_t i = 0; i < n; ++i) {
      exact += static_cast<double>(a[i]) * b[i];
      magnitude += std::fabs(static_cast<double>(a[i]) * b[i]);
    }
    for (int lane = 0; lane < 32; ++lane) partial[lane] = ops::strided_partial_dot(a.data(), b.data(), n, lane, 32);
    const float got = ops::tree_sum_lanes(partial, 32);
    EXPECT_LE(std::fabs(got - exact), (n + 32) * std::ldexp(1.0, -24) * magnitude) << "n " << n;
  }
}

}  // namespace
}  // namespace coact::backend
