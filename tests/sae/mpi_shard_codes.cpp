// Latent-sharded inference over real MPI ranks: every T > 1 dividing P, the grid of P/T data
// ranks × T shards. A shard's Encoder, its codes gathered over the shards, gives the whole
// SAE's code for every encoder kind, with a width that no T divides, and TopK ties across
// shards go to the lower latent as they do unsharded.
#include <gtest/gtest.h>

#include <algorithm>

#include "coact/sae/encoder.h"
#include "coact/sae/shard_codes.h"
#include "sae_fixtures.h"
#include "support/mpi_env.h"

namespace coact::sae {
namespace {

using coact::testing::shard_counts;
using coact::testing::world;

constexpr std::int64_t kD = 12, kN = 71, kRows = 40;

EncoderSpec spec_of(EncoderKind kind) {
  EncoderSpec spec;
  spec.kind = kind;
  if (uses_k(kind)) spec.k = 6;
  if (kind == EncoderKind::Matryoshka) spec.groups = "8,21,42";
  if (kind == EncoderKind::JumpRelu) spec.subtract_b_dec = false;
  return spec;
}

SaeTensors random_tensors(backend::Backend& b, const EncoderSpec& spec, unsigned seed) {
  SaeTensors t = Sae(b, kD, kN, spec).to_host();
  t.w_enc = testing::uniform_vector(t.w_enc.size(), seed, -0.5f, 0.5f);
  t.w_dec = testing::uniform_vector(t.w_dec.size(), seed + 1, -0.5f, 0.5f);
  t.b_enc = testing::uniform_vector(t.b_enc.size(), seed + 2, -0.2f, 0.1f);
  t.b_dec = testing::uniform_vector(t.b_dec.size(), seed + 3, -0.1f, 0.1f);
  if (!t.threshold.empty()) {
    const bool global = spec.kind == EncoderKind::BatchTopK || spec.kind == EncoderKind::Matryoshka;
    t.threshold = global ? std::vector<float>(t.threshold.size(), 0.2f) : testing::uniform_vector(t.threshold.size(), seed + 4, 0.05f, 0.4f);
  }
  if (!t.r_mag.empty()) t.r_mag = testing::uniform_vector(t.r_mag.size(), seed + 5, -0.3f, 0.3f);
  if (!t.b_mag.empty()) t.b_mag = testing::uniform_vector(t.b_mag.size(), seed + 6, -0.1f, 0.1f);
  return t;
}

// The whole SAE's code of x against shards' codes gathered on shard `root` (T − 1: not the
// first), on every T the world allows.
void expect_sharded_code_is_whole(const EncoderSpec& spec, const SaeTensors& tensors, const std::vector<float>& x) {
  auto b = backend::make_backend(backend::DeviceRequest::Cpu);
  backend::Buffer<float> rows(*b, x.size());
  rows.copy_from_host(x);
  Sae whole(*b, kD, kN, spec);
  whole.from_host(tensors);
  Encoder whole_encoder(whole, kRows);
  whole_encoder.encode(rows.data(), kRows);
  const SparseCodesHost want = whole_encoder.to_host();
  ASSERT_GT(want.offsets.back(), 0) << to_string(spec.kind);
  for (const int t : shard_counts()) {
    const InferenceGrid grid = make_inference_grid(world(), t, kN);
    Sae part(*b, kD, spec, grid.latents);
    part.from_host(tensors.features(grid.latents.first, grid.latents.count));
    Encoder encoder(part, kRows, backend::Precision::Fp32, grid.comm.get());
    encoder.encode(rows.data(), kRows);
    const SparseCodesHost mine = encoder.to_host();
    for (const auto feature : mine.index) {  // a shard's code holds its latents, by global index
      EXPECT_GE(feature, grid.latents.first);
      EXPECT_LT(feature, grid.latents.first + grid.latents.count);
    }
    const int root = t - 1;
    const SparseCodesHost got = gather_codes(*grid.comm, mine, root);
    if (grid.shard != root) {
      EXPECT_EQ(got.rows, 0);
      continue;
    }
    EXPECT_EQ(got.rows, kRows);
    EXPECT_EQ(got.n_features, kN);
    EXPECT_EQ(got.offsets, want.offsets) << to_string(spec.kind) << " T " << t;
    EXPECT_EQ(got.index, want.index) << to_string(spec.kind) << " T " << t;
    ASSERT_EQ(got.value.size(), want.value.size());
    for (std::size_t e = 0; e < want.value.size(); ++e)
      EXPECT_NEAR(got.value[e], want.value[e], 1e-6f * std::max(1.0f, std::abs(want.value[e]))) << to_string(spec.kind);
  }
}

TEST(ShardCodes, EveryKindGivesTheWholeCode) {
  auto b = backend::make_backend(backend::DeviceRequest::Cpu);
  const auto x = testing::make_batch(kRows, kD, 17);
  for (const auto kind : {EncoderKind::Relu, EncoderKind::TopK, EncoderKind::BatchTopK, EncoderKind::JumpRelu,
                          EncoderKind::Gated, EncoderKind::Matryoshka}) {
    const EncoderSpec spec = spec_of(kind);
    expect_sharded_code_is_whole(spec, random_tensors(*b, spec, 40 + static_cast<unsigned>(kind)), x);
  }
}

TEST(ShardCodes, TopkTiesAcrossShardsGoToTheLowerLatent) {
  // Every pre-activation of a row is 0.5 on the last three latents of each shard and 0.4
  // elsewhere: the k = 6 chosen are the tied ones of the lowest shards, across two shards.
  auto b = backend::make_backend(backend::DeviceRequest::Cpu);
  const EncoderSpec spec = spec_of(EncoderKind::TopK);
  const auto x = testing::make_batch(kRows, kD, 3);
  for (const int t : shard_counts()) {
    SaeTensors tensors = random_tensors(*b, spec, 9);
    std::fill(tensors.w_enc.begin(), tensors.w_enc.end(), 0.0f);
    std::fill(tensors.b_enc.begin(), tensors.b_enc.end(), 0.4f);
    std::vector<std::int32_t> chosen;
    for (int s = 0; s < t; ++s) {
      const FeatureShard latents = FeatureShard::of(kN, s, t);
      for (std::int64_t j = latents.first + latents.count - 3; j < latents.first + latents.count; ++j) {
        tensors.b_enc[static_cast<std::size_t>(j)] = 0.5f;
        if (chosen.size() < 6) chosen.push_back(static_cast<std::int32_t>(j));
      }
    }
    expect_sharded_code_is_whole(spec, tensors, x);
    // And the whole code is the one the tie rule names.
    Sae whole(*b, kD, kN, spec);
    whole.from_host(tensors);
    backend::Buffer<float> rows(*b, x.size());
    rows.copy_from_host(x);
    Encoder encoder(whole, kRows);
    encoder.encode(rows.data(), kRows);
    const SparseCodesHost code = encoder.to_host();
    for (std::int64_t r = 0; r < kRows; ++r)
      EXPECT_EQ(std::vector<std::int32_t>(code.index.begin() + code.offsets[r], code.index.begin() + code.offsets[r + 1]),
                chosen)
          << "row " << r;
  }
}

TEST(ShardCodes, ShardCountsThatDoNotFitAreRefusedByName) {
  const int p = world().size();
  try {
    check_inference_shards(p + 1, kN, p);
    FAIL() << "--latent-shards " << p + 1 << " on " << p << " ranks was accepted";
  } catch (const UsageError& e) {
    EXPECT_NE(std::string(e.what()).find("--latent-shards"), std::string::npos) << e.what();
  }
  EXPECT_THROW(check_inference_shards(2, 1, 2), UsageError);  // more shards than latents
  EXPECT_NO_THROW(check_inference_shards(p, kN, p));
}

TEST(ShardCodes, PackedCodesRoundTrip) {
  SparseCodesHost codes;
  codes.rows = 3;
  codes.n_features = 10;
  codes.offsets = {0, 2, 2, 5};
  codes.index = {1, 7, 0, 3, 9};
  codes.value = {0.5f, 1.5f, 2.0f, 0.25f, 3.0f};
  std::vector<std::uint8_t> bytes = pack_codes(codes);
  const std::vector<std::uint8_t> second = pack_codes(codes);
  bytes.insert(bytes.end(), second.begin(), second.end());
  std::size_t at = 0;
  for (int copy = 0; copy < 2; ++copy) {
    const SparseCodesHost back = unpack_codes(bytes, at, 10);
    EXPECT_EQ(back.offsets, codes.offsets);
    EXPECT_EQ(back.index, codes.index);
    EXPECT_EQ(back.value, codes.value);
  }
  EXPECT_EQ(at, bytes.size());
  bytes.resize(bytes.size() - 1);  // a cut code is refused, not read past its end
  at = second.size();  // the second code, now one byte short
  EXPECT_THROW(unpack_codes(bytes, at, 10), Error);
}

}  // namespace
}  // namespace coact::sae
