#include <gtest/gtest.h>

#include <cmath>
#include <set>

#include "coact/core/rng.h"

namespace coact {
namespace {

// Known-answer vectors of Random123 (kat_vectors: philox4x32 10).
TEST(Rng, Philox4x32MatchesRandom123KnownAnswers) {
  const Philox4x32 zero = philox4x32(Philox4x32{{0, 0, 0, 0}}, 0, 0);
  EXPECT_EQ(zero.v[0], 0x6627e8d5u);
  EXPECT_EQ(zero.v[1], 0xe169c58du);
  EXPECT_EQ(zero.v[2], 0xbc57ac4cu);
  EXPECT_EQ(zero.v[3], 0x9b00dbd8u);
  const Philox4x32 ones = philox4x32(Philox4x32{{0xffffffffu, 0xffffffffu, 0xffffffffu, 0xffffffffu}}, 0xffffffffu, 0xffffffffu);
  EXPECT_EQ(ones.v[0], 0x408f276du);
  EXPECT_EQ(ones.v[1], 0x41c83b0eu);
  EXPECT_EQ(ones.v[2], 0xa20bc7c6u);
  EXPECT_EQ(ones.v[3], 0x6d5451fdu);
}

TEST(Rng, StreamIsAddressableAndResumable) {
  CounterRng a(52, 3);
  std::vector<float> first;
  for (int i = 0; i < 100; ++i) first.push_back(a.uniform());
  // Jumping to position 40 reproduces the tail exactly.
  CounterRng b(52, 3, 40);
  for (int i = 40; i < 100; ++i) EXPECT_EQ(b.uniform(), first[i]);
  // Another stream or seed differs.
  CounterRng c(52, 4), d(55, 3);
  EXPECT_NE(c.uniform(), first[0]);
  EXPECT_NE(d.uniform(), first[0]);
}

TEST(Rng, DistributionsHaveTheRightMoments) {
  CounterRng rng(7, 0);
  const int n = 200000;
  double sum = 0, sum_sq = 0, nsum = 0, nsum_sq = 0;
  std::uint64_t below_hits[10] = {};
  for (int i = 0; i < n; ++i) {
    const double u = rng.uniform();
    ASSERT_GE(u, 0.0);
    ASSERT_LT(u, 1.0);
    sum += u;
    sum_sq += u * u;
    const double z = rng.normal();
    nsum += z;
    nsum_sq += z * z;
    const auto k = rng.below(10);
    ASSERT_LT(k, 10u);
    ++below_hits[k];
  }
  EXPECT_NEAR(sum / n, 0.5, 0.005);
  EXPECT_NEAR(sum_sq / n - (sum / n) * (sum / n), 1.0 / 12.0, 0.002);
  EXPECT_NEAR(nsum / n, 0.0, 0.01);
  EXPECT_NEAR(nsum_sq / n, 1.0, 0.02);
  for (auto hits : below_hits) EXPECT_NEAR(static_cast<double>(hits) / n, 0.1, 0.005);
}

TEST(Rng, MixSeedSeparatesTags) {
  std::set<std::uint64_t> seen;
  for (std::uint64_t tag = 0; tag < 1000; ++tag) seen.insert(mix_seed(52, tag));
  EXPECT_EQ(seen.size(), 1000u);
  EXPECT_EQ(mix_seed(52, 1), mix_seed(52, 1));
}

}  // namespace
}  // namespace coact

namespace coact {
namespace {
TEST(Rng, Mulhi64MatchesWideMultiplication) {
  const std::uint64_t cases[][2] = {{0, 0}, {~0ull, ~0ull}, {1ull << 63, 2}, {0x123456789abcdefull, 0xfedcba987654321ull}};
  for (const auto& c : cases) {
    __extension__ const unsigned __int128 wide = static_cast<unsigned __int128>(c[0]) * c[1];
    EXPECT_EQ(mulhi64(c[0], c[1]), static_cast<std::uint64_t>(wide >> 64));
  }
}
}  // namespace
}  // namespace coact
