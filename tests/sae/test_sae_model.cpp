// The SAE model: recipe initialisation (deterministic, addressed by index), host round trips,
// and encoding (sparse and dense codes, both activations) against a plain host computation.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

#include "coact/core/errors.h"
#include "coact/sae/encoder.h"
#include "sae_fixtures.h"

namespace coact::sae {
namespace {

using testing::make_batch;

std::unique_ptr<backend::Backend> cpu() { return backend::make_backend(backend::DeviceRequest::Cpu); }

TEST(SaeModel, ParamLayoutAlignsEveryTensor) {
  const ParamLayout l = ParamLayout::make(24, 50);
  for (const std::size_t offset : {l.w_enc_t, l.w_dec, l.b_enc, l.b_dec, l.count}) EXPECT_EQ(offset % 16, 0u);
  EXPECT_GE(l.w_dec, l.w_enc_t + 24 * 50);
  EXPECT_GE(l.b_enc, l.w_dec + 24 * 50);
  EXPECT_GE(l.b_dec, l.b_enc + 50);
  EXPECT_GE(l.count, l.b_dec + 24);
}

TEST(SaeModel, InitIsDeterministicPerSeedAndFollowsTheRecipe) {
  auto b = cpu();
  const std::int64_t d = 24, n = 64;
  for (const Recipe recipe : {Recipe::Nanda1L, Recipe::TopK}) {
    Sae a(*b, d, n), same(*b, d, n), other(*b, d, n);
    a.init(7, recipe);
    same.init(7, recipe);
    other.init(8, recipe);
    const SaeTensors ta = a.to_host(), tsame = same.to_host(), tother = other.to_host();
    EXPECT_EQ(ta, tsame);
    EXPECT_NE(ta.w_enc, tother.w_enc);
    EXPECT_NE(ta.w_dec, tother.w_dec);
    EXPECT_EQ(ta.b_enc, std::vector<float>(n, 0.0f));
    EXPECT_EQ(ta.b_dec, std::vector<float>(d, 0.0f));
    const double bound = recipe == Recipe::Nanda1L ? std::sqrt(6.0 / n) : 1.0 / std::sqrt(d);
    const float largest = *std::max_element(ta.w_enc.begin(), ta.w_enc.end(),
                                            [](float x, float y) { return std::abs(x) < std::abs(y); });
    EXPECT_LE(std::abs(largest), bound);
    EXPECT_GT(std::abs(largest), 0.9 * bound);  // spans the range
    for (std::int64_t j = 0; j < n; ++j) {
      double norm = 0.0;
      for (std::int64_t i = 0; i < d; ++i) norm += static_cast<double>(ta.w_dec[j * d + i]) * ta.w_dec[j * d + i];
      EXPECT_NEAR(std::sqrt(norm), 1.0, 1e-6);
      if (recipe == Recipe::TopK) {  // tied: W_dec row j is W_enc column j, normalised
        const double scale = ta.w_dec[j * d] / ta.w_enc[j];
        for (std::int64_t i = 0; i < d; ++i) EXPECT_NEAR(ta.w_dec[j * d + i], scale * ta.w_enc[i * n + j], 1e-6);
      }
    }
  }
}

TEST(SaeModel, InitValuesAreAddressedByPresentedIndexNotShape) {
  // Element (i, j) of W_enc [d, n] is draw i·n + j: a wider SAE with the same seed shares the
  // draws at the same flat indices (same n, more rows d).
  auto b = cpu();
  Sae small(*b, 8, 32), wide(*b, 12, 32);
  small.init(5, Recipe::Nanda1L);
  wide.init(5, Recipe::Nanda1L);
  const auto ts = small.to_host(), tw = wide.to_host();
  for (std::size_t f = 0; f < ts.w_enc.size(); ++f) EXPECT_EQ(ts.w_enc[f], tw.w_enc[f]);
}

TEST(SaeModel, HostRoundTripAndShapeErrors) {
  auto b = cpu();
  Sae sae(*b, 10, 20);
  SaeTensors t = SaeTensors::zeros(10, 20);
  for (std::size_t i = 0; i < t.w_enc.size(); ++i) t.w_enc[i] = static_cast<float>(i) * 0.5f;
  for (std::size_t i = 0; i < t.w_dec.size(); ++i) t.w_dec[i] = -static_cast<float>(i);
  t.b_enc[3] = 2.0f;
  t.b_dec[9] = -1.0f;
  sae.from_host(t);
  EXPECT_EQ(sae.to_host(), t);
  // W_encᵀ storage: row j of the stored encoder is column j of W_enc.
  std::vector<float> stored(10 * 20);
  b->copy_bytes(stored.data(), sae.w_enc_t(), stored.size() * sizeof(float), backend::CopyKind::DeviceToHost);
  EXPECT_EQ(stored[3 * 10 + 7], t.w_enc[7 * 20 + 3]);

  SaeTensors bad = t;
  bad.b_dec.pop_back();
  try {
    sae.from_host(bad);
    FAIL() << "expected InputError";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("b_dec"), std::string::npos) << e.what();
  }
}

// z on the host, in double: ReLU or TopK (ties to the lower feature) of (x − b_dec) W_enc + b_enc.
std::vector<float> host_codes(const SaeTensors& t, const std::vector<float>& x, std::int64_t rows, EncoderKind act,
                              std::int64_t k) {
  const std::int64_t d = t.d_in, n = t.n_features;
  std::vector<float> z(rows * n, 0.0f);
  for (std::int64_t r = 0; r < rows; ++r) {
    std::vector<std::pair<double, std::int64_t>> pre(n);
    for (std::int64_t j = 0; j < n; ++j) {
      double s = t.b_enc[j];
      for (std::int64_t i = 0; i < d; ++i) s += (static_cast<double>(x[r * d + i]) - t.b_dec[i]) * t.w_enc[i * n + j];
      pre[j] = {s, j};
    }
    if (act == EncoderKind::TopK)
      std::sort(pre.begin(), pre.end(), [](auto a, auto b) { return a.first > b.first || (a.first == b.first && a.second < b.second); });
    const std::int64_t keep = act == EncoderKind::TopK ? k : n;
    for (std::int64_t e = 0; e < keep; ++e)
      if (pre[e].first > 0) z[r * n + pre[e].second] = static_cast<float>(pre[e].first);
  }
  return z;
}

TEST(SaeModel, EncodeMatchesHostComputationSparseAndDense) {
  auto b = cpu();
  const std::int64_t d = 24, n = 64, rows = 37;
  const auto x = make_batch(rows, d, 3);
  backend::Buffer<float> dx(*b, x.size());
  dx.copy_from_host(x);
  for (const EncoderKind act : {EncoderKind::Relu, EncoderKind::TopK}) {
    const SaeConfig c = testing::small_config(act == EncoderKind::Relu ? Recipe::Nanda1L : Recipe::TopK, d, n);
    Sae sae(*b, c);
    testing::perturbed_init(sae, c, 11);
    const auto want = host_codes(sae.to_host(), x, rows, act, c.k);

    Encoder encoder(sae, 64);
    encoder.encode(dx.data(), rows);
    const SparseCodesHost codes = encoder.to_host();
    ASSERT_EQ(codes.offsets.size(), static_cast<std::size_t>(rows + 1));
    std::vector<float> from_sparse(rows * n, 0.0f);
    for (std::int64_t r = 0; r < rows; ++r)
      for (std::int64_t e = codes.offsets[r]; e < codes.offsets[r + 1]; ++e) {
        if (e > codes.offsets[r]) {
          EXPECT_LT(codes.index[e - 1], codes.index[e]);  // increasing features
        }
        from_sparse[r * n + codes.index[e]] = codes.value[e];
      }
    EXPECT_LT(testing::relative_error(from_sparse, want), 1e-6);
    if (act == EncoderKind::TopK) {
      for (std::int64_t r = 0; r < rows; ++r) EXPECT_LE(codes.offsets[r + 1] - codes.offsets[r], c.k);
    }

    backend::Buffer<float> dense(*b, rows * n);
    encoder.encode_dense(dx.data(), rows, dense.data());
    EXPECT_LT(testing::relative_error(dense.to_host(), want), 1e-6);
  }
}

}  // namespace
}  // namespace coact::sae
