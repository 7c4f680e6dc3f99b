// The transformer ops of every available backend against the plain reference path (double
// arithmetic with the C library's exp/erf/tanh), so the float approximations the backends
// share are checked too. cuda cases skip without a device.
#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "coact/backend/backend.h"
#include "coact/backend/buffer.h"
#include "coact/backend/ops/fast_math.h"
#include "coact/backend/ops/gelu.h"
#include "coact/backend/reference.h"
#include "support/every_backend.h"
#include "support/nmse.h"
#include "support/random_data.h"

namespace coact::backend {
namespace {

using coact::testing::nmse;

std::vector<float> random_vector(std::size_t n, unsigned seed, float lo = -1.0f, float hi = 1.0f) {
  return coact::testing::uniform_floats(n, seed, lo, hi);
}

// Largest |got − want| / (|want| + floor) over the elements.
double max_relative_error(const std::vector<float>& got, const std::vector<float>& want, double floor) {
  double worst = 0.0;
  for (std::size_t i = 0; i < want.size(); ++i)
    worst = std::max(worst, std::abs(static_cast<double>(got[i]) - want[i]) / (std::abs(static_cast<double>(want[i])) + floor));
  return worst;
}

template <class T>
Buffer<T> upload(Backend& backend, const std::vector<T>& host) {
  Buffer<T> buffer(backend, host.size());
  buffer.copy_from_host(host);
  return buffer;
}

// The shared approximations on their own, over their whole working range.
TEST(FastMath, ExpApproxIsWithinFewUlps) {
  double worst = 0.0;
  for (float x = -87.0f; x <= 88.0f; x += 0.00731f) {
    const double want = std::exp(static_cast<double>(x));
    worst = std::max(worst, std::abs(ops::exp_approx(x) - want) / want);
  }
  EXPECT_LT(worst, 4e-7);
  EXPECT_EQ(ops::exp_approx(0.0f), 1.0f);
  EXPECT_GT(ops::exp_approx(-1000.0f), 0.0f);  // clamped, not a NaN or garbage
  EXPECT_TRUE(std::isfinite(ops::exp_approx(1000.0f)));
}

TEST(FastMath, GeluMatchesTheLibraryFunctions) {
  double worst_erf = 0.0, worst_tanh = 0.0;
  for (double x = -12.0; x <= 12.0; x += 0.001) {
    const auto xf = static_cast<float>(x);
    const double exact = 0.5 * xf * (1.0 + std::erf(xf / std::sqrt(2.0)));
    const double approx = 0.5 * xf * (1.0 + std::tanh(std::sqrt(2.0 / M_PI) * (xf + 0.044715 * xf * xf * xf)));
    // Relative where the value is large, absolute near zero (GELU(−12) is 1e-32).
    worst_erf = std::max(worst_erf, std::abs(ops::gelu_erf(xf) - exact) / (std::abs(exact) + 1e-6));
    worst_tanh = std::max(worst_tanh, std::abs(ops::gelu_tanh(xf) - approx) / (std::abs(approx) + 1e-6));
  }
  // A few float roundings in the exponent's argument on the negative tail, where the value is
  // small: ~10 ulp relative at worst, far inside what a forward pass needs.
  EXPECT_LT(worst_erf, 3e-6);
  EXPECT_LT(worst_tanh, 3e-6);
  EXPECT_EQ(ops::gelu_erf(0.0f), 0.0f);
  EXPECT_EQ(ops::gelu_tanh(0.0f), 0.0f);
}

class TransformerOps : public coact::testing::EveryBackend {};

TEST_P(TransformerOps, LayerNormMatchesReferenceWithAndWithoutWeights) {
  const std::int64_t rows = 300, cols = 77;  // odd width: the lanes' tail
  auto x = random_vector(rows * cols, 1, -3.0f, 5.0f);
  for (std::int64_t c = 0; c < cols; ++c) x[c] = 1000.0f + 0.01f * static_cast<float>(c);  // large mean, small spread
  const auto weight = random_vector(cols, 2, 0.5f, 1.5f), bias = random_vector(cols, 3);
  auto dx = upload(*backend_, x), dw = upload(*backend_, weight), db = upload(*backend_, bias);
  Buffer<float> dy(*backend_, x.size());
  for (int variant = 0; variant < 3; ++variant) {
    const float* w = variant < 2 ? weight.data() : nullptr;
    const float* b = variant < 1 ? bias.data() : nullptr;
    std::vector<float> want(x.size());
    reference::layernorm(rows, cols, 1e-5f, x.data(), w, b, want.data());
    backend_->layernorm(rows, cols, 1e-5f, dx.data(), w ? dw.data() : nullptr, b ? db.data() : nullptr, dy.data());
    // Outputs are O(1): a floor of 0.01 keeps a float rounding of w·n + b near 0 from counting.
    EXPECT_LT(max_relative_error(dy.to_host(), want, 1e-2), 1e-5) << "variant " << variant;
  }
  // In place.
  std::vector<float> want(x.size());
  reference::layernorm(rows, cols, 1e-5f, x.data(), weight.data(), bias.data(), want.data());
  backend_->layernorm(rows, cols, 1e-5f, dx.data(), dw.data(), db.data(), dx.data());
  EXPECT_LT(max_relative_error(dx.to_host(), want, 1e-2), 1e-5);
}

TEST_P(TransformerOps, BiasGeluMatchesReferenceForBothKinds) {
  const std::int64_t rows = 130, cols = 259;
  const auto x = random_vector(rows * cols, 4, -8.0f, 8.0f), bias = random_vector(cols, 5);
  auto dx = upload(*backend_, x), db = upload(*backend_, bias);
  Buffer<float> dy(*backend_, x.size());
  for (GeluKind kind : {GeluKind::Erf, GeluKind::Tanh}) {
    for (bool with_bias : {true, false}) {
      std::vector<float> want(x.size());
      reference::bias_gelu(rows, cols, kind, with_bias ? bias.data() : nullptr, x.data(), want.data());
      backend_->bias_gelu(rows, cols, kind, with_bias ? db.data() : nullptr, dx.data(), dy.data());
      EXPECT_LT(max_relative_error(dy.to_host(), want, 1e-4), 2e-6) << "kind " << int(kind) << " bias " << with_bias;
    }
  }
  // The two GELUs differ (so a swapped kind would be caught).
  std::vector<float> erf(x.size()), tanh(x.size());
  reference::bias_gelu(rows, cols, GeluKind::Erf, nullptr, x.data(), erf.data());
  reference::bias_gelu(rows, cols, GeluKind::Tanh, nullptr, x.data(), tanh.data());
  EXPECT_GT(max_relative_error(erf, tanh, 1e-4), 1e-4);
}

TEST_P(TransformerOps, EmbeddingAddsTokenAndPositionRows) {
  const std::int64_t vocab = 50, cols = 33, seq_len = 7, sequences = 5, rows = seq_len * sequences;
  const auto wte = random_vector(vocab * cols, 6), wpe = random_vector(seq_len * cols, 7);
  std::vector<std::int32_t> tokens(rows);
  std::mt19937 gen(8);
  for (auto& t : tokens) t = static_cast<std::int32_t>(gen() % vocab);
  tokens[3] = static_cast<std::int32_t>(vocab - 1);
  std::vector<float> want(rows * cols);
  reference::embed_tokens(rows, cols, seq_len, tokens.data(), wte.data(), wpe.data(), want.data());
  auto dt = upload(*backend_, tokens);
  auto dwte = upload(*backend_, wte), dwpe = upload(*backend_, wpe);
  Buffer<float> out(*backend_, want.size());
  backend_->embed_tokens(rows, cols, seq_len, dt.data(), dwte.data(), dwpe.data(), out.data());
  EXPECT_EQ(out.to_host(), want);  // one float addition: exact
}

struct AttentionCase {
  std::int64_t sequences, seq_len, heads, head_dim;
};

TEST_P(TransformerOps, AttentionMatchesReference) {
  // Lengths around the cpu's 32-row query blocks, one head and many, odd head widths.
  const std::vector<AttentionCase> cases = {{1, 1, 1, 4}, {2, 5, 3, 7},  {3, 32, 2, 16},
                                            {2, 33, 4, 8}, {1, 100, 2, 64}, {4, 64, 8, 12}};
  unsigned seed = 20;
  for (const auto& c : cases) {
    AttentionShape shape;
    shape.sequences = c.sequences;
    shape.seq_len = c.seq_len;
    shape.heads = c.heads;
    shape.head_dim = c.head_dim;
    shape.scale = 1.0f / std::sqrt(static_cast<float>(c.head_dim));
    // Scores spread over several units, so the softmax is far from uniform.
    const auto qkv = random_vector(shape.rows() * 3 * shape.width(), seed++, -2.0f, 2.0f);
    std::vector<float> want(shape.rows() * shape.width());
    reference::attention(shape, qkv.data(), want.data());
    auto dq = upload(*backend_, qkv);
    Buffer<float> out(*backend_, want.size());
    backend_->attention(shape, dq.data(), out.data());
    const auto got = out.to_host();
    EXPECT_LT(nmse(got, want), 1e-11) << c.sequences << "×" << c.seq_len << " heads " << c.heads << "×" << c.head_dim;
    // Position 0 attends to itself only: its output is its own v.
    for (std::int64_t h = 0; h < c.heads; ++h)
      for (std::int64_t e = 0; e < c.head_dim; ++e)
        EXPECT_NEAR(got[h * c.head_dim + e], qkv[2 * shape.width() + h * c.head_dim + e], 1e-6);
  }
}

TEST_P(TransformerOps, AttentionIgnoresTheFuture) {
  AttentionShape shape;
  shape.sequences = 1;
  shape.seq_len = 40;
  shape.heads = 2;
  shape.head_dim = 8;
  shape.scale = 0.35f;
  auto qkv = random_vector(shape.rows() * 3 * shape.width(), 30);
  auto dq = upload(*backend_, qkv);
  Buffer<float> out(*backend_, static_cast<std::size_t>(shape.rows() * shape.width()));
  backend_->attention(shape, dq.data(), out.data());
  const auto before = out.to_host();
  // Change every k and v of the last 10 positions: rows 0..29 must not move.
  for (std::int64_t t = 30; t < 40; ++t)
    for (std::int64_t c = shape.width(); c < 3 * shape.width(); ++c) qkv[t * 3 * shape.width() + c] += 5.0f;
  dq.copy_from_host(qkv);
  backend_->attention(shape, dq.data(), out.data());
  const auto after = out.to_host();
  for (std::int64_t i = 0; i < 30 * shape.width(); ++i) ASSERT_EQ(after[i], before[i]) << i;
  EXPECT_NE(after[39 * shape.width()], before[39 * shape.width()]);
}

TEST_P(TransformerOps, CrossEntropyMatchesReference) {
  const std::int64_t rows = 37, vocab = 1000, ld = 1003;  // padded rows
  auto logits = random_vector(rows * ld, 40, -6.0f, 6.0f);
  logits[5 * ld + 17] = 80.0f;  // one dominant logit: the max must be subtracted
  std::vector<std::int32_t> targets(rows);
  std::mt19937 gen(41);
  for (auto& t : targets) t = static_cast<std::int32_t>(gen() % vocab);
  targets[5] = 17;
  targets[6] = -1;  // no next token
  std::vector<float> want(rows);
  reference::cross_entropy_rows(rows, vocab, logits.data(), ld, targets.data(), want.data());
  EXPECT_EQ(want[6], 0.0f);
  auto dl = upload(*backend_, logits);
  auto dt = upload(*backend_, targets);
  Buffer<float> out(*backend_, want.size());
  backend_->cross_entropy_rows(rows, vocab, dl.data(), ld, dt.data(), out.data());
  EXPECT_LT(max_relative_error(out.to_host(), want, 1e-3), 1e-5);
}

// The attention variants of the model families: grouped-query heads (Llama, Mistral), sliding
// windows (Mistral, Gemma-2), soft-capped scores (Gemma-2), bidirectional with padding (BERT).
struct VariantCase {
  const char* what;
  std::int64_t sequences, seq_len, heads, kv_heads, head_dim, window;
  bool causal;
  float softcap;
  bool padded;
};

TEST_P(TransformerOps, AttentionVariantsMatchReference) {
  const std::vector<VariantCase> cases = {
      {"grouped", 2, 33, 6, 2, 8, 0, true, 0.0f, false},   {"one kv head", 1, 40, 4, 1, 16, 0, true, 0.0f, false},
      {"window", 2, 70, 4, 2, 8, 5, true, 0.0f, false},     {"softcap", 3, 20, 2, 2, 12, 0, true, 0.3f, false},
      {"window+softcap", 2, 45, 4, 4, 8, 16, true, 1.0f, false},
      {"bidirectional", 3, 37, 3, 3, 8, 0, false, 0.0f, false},
      {"padded", 4, 35, 2, 2, 8, 0, false, 0.0f, true}};
  unsigned seed = 60;
  for (const auto& c : cases) {
    AttentionShape shape;
    shape.sequences = c.sequences;
    shape.seq_len = c.seq_len;
    shape.heads = c.heads;
    shape.kv_heads = c.kv_heads;
    shape.head_dim = c.head_dim;
    shape.window = c.window;
    shape.causal = c.causal;
    shape.softcap = c.softcap;
    shape.scale = 1.0f / std::sqrt(static_cast<float>(c.head_dim));
    std::vector<std::int32_t> lengths(static_cast<std::size_t>(c.sequences));
    for (std::int64_t s = 0; s < c.sequences; ++s) lengths[s] = static_cast<std::int32_t>(c.seq_len - 7 * s);
    if (c.padded) lengths[1] = 0;  // an all-padding sequence: its outputs are zeros
    const auto qkv = random_vector(shape.rows() * shape.input_width(), seed++, -2.0f, 2.0f);
    std::vector<float> want(shape.rows() * shape.width());
    AttentionShape host_shape = shape;
    if (c.padded) host_shape.lengths = lengths.data();
    reference::attention(host_shape, qkv.data(), want.data());
    auto dq = upload(*backend_, qkv);
    auto dlengths = upload(*backend_, lengths);
    if (c.padded) shape.lengths = dlengths.data();
    Buffer<float> out(*backend_, want.size());
    backend_->attention(shape, dq.data(), out.data());
    EXPECT_LT(nmse(out.to_host(), want), 1e-11) << c.what;
  }
}

TEST_P(TransformerOps, SlidingWindowForgetsOldKeys) {
  AttentionShape shape;
  shape.sequences = 1;
  shape.seq_len = 30;
  shape.heads = 2;
  shape.kv_heads = 1;
  shape.head_dim = 8;
  shape.window = 4;
  shape.scale = 0.35f;
  auto qkv = random_vector(shape.rows() * shape.input_width(), 70);
  auto dq = upload(*backend_, qkv);
  Buffer<float> out(*backend_, static_cast<std::size_t>(shape.rows() * shape.width()));
  backend_->attention(shape, dq.data(), out.data());
  const auto before = out.to_host();
  // Position 10's key and value: only queries 10..13 see them.
  for (std::int64_t c = shape.width(); c < shape.input_width(); ++c) qkv[10 * shape.input_width() + c] += 3.0f;
  dq.copy_from_host(qkv);
  backend_->attention(shape, dq.data(), out.data());
  const auto after = out.to_host();
  for (std::int64_t t = 0; t < 30; ++t) {
    const bool sees = t >= 10 && t < 14;
    EXPECT_EQ(after[t * shape.width()] != before[t * shape.width()], sees) << t;
  }
}

TEST_P(TransformerOps, RmsNormAndAffineMatchReference) {
  const std::int64_t rows = 130, cols = 77;
  const auto x = random_vector(rows * cols, 80, -3.0f, 5.0f);
  const auto weight = random_vector(cols, 81, 0.5f, 1.5f), bias = random_vector(cols, 82);
  auto dx = upload(*backend_, x), dw = upload(*backend_, weight), db = upload(*backend_, bias);
  Buffer<float> dy(*backend_, x.size());
  for (const float* w : {weight.data(), static_cast<const float*>(nullptr)}) {
    std::vector<float> want(x.size());
    reference::rmsnorm(rows, cols, 1e-6f, x.data(), w, want.data());
    backend_->rmsnorm(rows, cols, 1e-6f, dx.data(), w ? dw.data() : nullptr, dy.data());
    EXPECT_LT(max_relative_error(dy.to_host(), want, 1e-6), 1e-6);
  }
  std::vector<float> want(x.size());
  reference::affine_columns(rows, cols, weight.data(), bias.data(), x.data(), want.data());
  backend_->affine_columns(rows, cols, dw.data(), db.data(), dx.data(), dx.data());
  EXPECT_LT(max_relative_error(dx.to_host(), want, 1e-2), 1e-5);  // x·w + b: absolute near 0
}

TEST_P(TransformerOps, GatherRowsScalesTheTableRows) {
  const std::int64_t rows = 21, cols = 10, vocab = 7;
  const auto table = random_vector(vocab * cols, 90);
  std::vector<std::int32_t> tokens(rows);
  for (std::int64_t r = 0; r < rows; ++r) tokens[r] = static_cast<std::int32_t>((r * 5) % vocab);
  std::vector<float> want(rows * cols);
  reference::gather_rows(rows, cols, tokens.data(), table.data(), 2.5f, want.data());
  auto dt = upload(*backend_, tokens);
  auto dtable = upload(*backend_, table);
  Buffer<float> out(*backend_, want.size());
  backend_->gather_rows(rows, cols, dt.data(), dtable.data(), 2.5f, out.data());
  EXPECT_EQ(out.to_host(), want);  // one float product: exact
}

TEST_P(TransformerOps, RotaryMatchesReferenceAndKeepsPairNorms) {
  const std::int64_t seq_len = 9, rows = 2 * seq_len, heads = 3, head_dim = 10, rotary_dim = 6, ld = 41;
  std::vector<float> cos(seq_len * rotary_dim / 2), sin(cos.size());
  for (std::int64_t p = 0; p < seq_len; ++p) {
    for (std::int64_t i = 0; i < rotary_dim / 2; ++i) {  // angle p·0.37·(i + 1): 0 at position 0
      cos[p * rotary_dim / 2 + i] = static_cast<float>(std::cos(0.37 * static_cast<double>(p * (i + 1))));
      sin[p * rotary_dim / 2 + i] = static_cast<float>(std::sin(0.37 * static_cast<double>(p * (i + 1))));
    }
  }
  const auto x = random_vector(rows * ld, 100);
  std::vector<float> want = x;
  reference::rotary(rows, seq_len, heads, head_dim, rotary_dim, ld, cos.data(), sin.data(), want.data());
  auto dx = upload(*backend_, x), dc = upload(*backend_, cos), ds = upload(*backend_, sin);
  backend_->rotary(rows, seq_len, heads, head_dim, rotary_dim, ld, dc.data(), ds.data(), dx.data());
  const auto got = dx.to_host();
  EXPECT_LT(max_relative_error(got, want, 1e-2), 1e-5);  // a difference of two products: absolute near 0
  for (std::int64_t r = 0; r < rows; ++r) {
    for (std::int64_t h = 0; h < heads; ++h) {
      const std::int64_t base = r * ld + h * head_dim;
      for (std::int64_t i = 0; i < rotary_dim / 2; ++i) {  // a rotation keeps each pair's length
        const double a = std::hypot(x[base + i], x[base + i + rotary_dim / 2]);
        EXPECT_NEAR(std::hypot(got[base + i], got[base + i + rotary_dim / 2]), a, 1e-6);
      }
      for (std::int64_t i = rotary_dim; i < head_dim; ++i) EXPECT_EQ(got[base + i], x[base + i]);  // passed through
    }
    // Position 0 has angle 0 in this table: no change.
    if (r % seq_len == 0) {
      for (std::int64_t c = 0; c < heads * head_dim; ++c) EXPECT_EQ(got[r * ld + c], x[r * ld + c]);
    }
  }
  for (std::int64_t r = 0; r < rows; ++r)  // columns beyond the heads are untouched
    for (std::int64_t c = heads * head_dim; c < ld; ++c) EXPECT_EQ(got[r * ld + c], x[r * ld + c]);
}

TEST_P(TransformerOps, GatedActivationAndSoftcapMatchReference) {
  const std::int64_t count = 5000;
  const auto gate = random_vector(count, 110, -9.0f, 9.0f), up = random_vector(count, 111, -2.0f, 2.0f);
  auto dg = upload(*backend_, gate), du = upload(*backend_, up);
  Buffer<float> out(*backend_, static_cast<std::size_t>(count));
  for (Activation kind : {Activation::Silu, Activation::GeluTanh, Activation::GeluErf}) {
    std::vector<float> want(count);
    reference::gated_activation(count, kind, gate.data(), up.data(), want.data());
    backend_->gated_activation(count, kind, dg.data(), du.data(), out.data());
    EXPECT_LT(max_relative_error(out.to_host(), want, 1e-6), 3e-6) << static_cast<int>(kind);
  }
  std::vector<float> want = gate;
  reference::softcap(count, 4.0f, want.data());
  backend_->softcap(count, 4.0f, dg.data());
  const auto got = dg.to_host();
  EXPECT_LT(max_relative_error(got, want, 1e-6), 1e-6);
  for (float v : got) EXPECT_LE(std::abs(v), 4.0f);
}

TEST_P(TransformerOps, KlDivergenceMatchesReference) {
  const std::int64_t rows = 9, vocab = 700, ld = 703;
  const auto reference = random_vector(rows * ld, 120, -5.0f, 5.0f);
  auto logits = reference;
  for (std::int64_t j = 0; j < vocab; ++j) logits[2 * ld + j] += 0.5f * std::sin(0.1f * static_cast<float>(j));
  for (std::int64_t r = 3; r < rows; ++r)
    for (std::int64_t j = 0; j < vocab; ++j) logits[r * ld + j] = -logits[r * ld + j];  // far apart
  std::vector<std::int32_t> targets(rows, 1);
  targets[4] = -1;
  std::vector<float> want(rows);
  reference::kl_divergence_rows(rows, vocab, reference.data(), logits.data(), ld, targets.data(), want.data());
  auto dr = upload(*backend_, reference), dl = upload(*backend_, logits);
  auto dt = upload(*backend_, targets);
  Buffer<float> out(*backend_, want.size());
  backend_->kl_divergence_rows(rows, vocab, dr.data(), dl.data(), ld, dt.data(), out.data());
  const auto got = out.to_host();
  EXPECT_EQ(got[0], 0.0f);  // the same distribution
  EXPECT_EQ(got[4], 0.0f);  // no next token
  EXPECT_GT(got[2], 0.0f);
  EXPECT_LT(max_relative_error(got, want, 1e-6), 1e-5);
}

COACT_INSTANTIATE_EVERY_BACKEND(TransformerOps);

}  // namespace
}  // namespace coact::backend
