// The encoder-kind ops of every available backend against the plain reference path: code rules
// (JumpReLU threshold, straight-through band, gated, global BatchTopK with ties), the value
// histograms of the BatchTopK selection, the JumpReLU threshold gradient, input normalisation.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <random>

#include "coact/backend/backend.h"
#include "coact/backend/buffer.h"
#include "coact/backend/reference.h"
#include "support/nmse.h"

namespace coact::backend {
namespace {

using coact::testing::nmse;

std::vector<float> random_vector(std::size_t n, unsigned seed, float lo = -1.0f, float hi = 1.0f) {
  std::mt19937 gen(seed);
  std::uniform_real_distribution<float> dist(lo, hi);
  std::vector<float> v(n);
  for (auto& x : v) x = dist(gen);
  return v;
}

template <class T>
Buffer<T> upload(Backend& backend, const std::vector<T>& host) {
  Buffer<T> buffer(backend, std::max<std::size_t>(host.size(), 1));
  if (!host.empty()) backend.copy_bytes(buffer.data(), host.data(), host.size() * sizeof(T), CopyKind::HostToDevice);
  return buffer;
}

class EncoderOps : public ::testing::TestWithParam<DeviceRequest> {
 protected:
  void SetUp() override {
    if (GetParam() == DeviceRequest::Cuda && cuda_device_count() == 0)
      GTEST_SKIP() << (cuda_compiled() ? "no CUDA device visible" : "built without CUDA");
    backend_ = make_backend(GetParam());
  }
  Backend& b() { return *backend_; }
  std::unique_ptr<Backend> backend_;
};

struct Csr {
  std::vector<std::int64_t> counts, offsets;
  std::vector<std::int32_t> index;
  std::vector<float> value;
  bool operator==(const Csr&) const = default;
};

Csr reference_codes(std::int64_t rows, std::int64_t cols, const std::vector<float>& in, const std::vector<float>& bias,
                    const CodeRule& rule) {
  Csr c;
  c.counts.resize(rows);
  c.offsets.resize(rows + 1);
  reference::count_selected(rows, cols, in.data(), bias.data(), rule, c.counts.data());
  const std::int64_t nnz = reference::exclusive_scan(rows, c.counts.data(), c.offsets.data());
  c.index.resize(nnz);
  c.value.resize(nnz);
  reference::gather_selected(rows, cols, in.data(), bias.data(), rule, c.offsets.data(), c.index.data(), c.value.data());
  return c;
}

// The same code built by the backend; `rule`'s pointers are host pointers, moved to the device here.
Csr backend_codes(Backend& b, std::int64_t rows, std::int64_t cols, const std::vector<float>& in,
                  const std::vector<float>& bias, CodeRule rule, const std::vector<float>& threshold,
                  const std::vector<float>& mag_scale, const std::vector<float>& mag_bias,
                  const std::vector<std::int64_t>& ties) {
  auto din = upload(b, in), dbias = upload(b, bias), dthreshold = upload(b, threshold), dscale = upload(b, mag_scale),
       dmag = upload(b, mag_bias);
  auto dties = upload(b, ties);
  if (rule.threshold) rule.threshold = dthreshold.data();
  if (rule.mag_scale) rule.mag_scale = dscale.data();
  if (rule.mag_bias) rule.mag_bias = dmag.data();
  if (rule.ties) rule.ties = dties.data();
  Buffer<std::int64_t> counts(b, rows), offsets(b, rows + 1);
  b.count_selected(rows, cols, din.data(), dbias.data(), rule, counts.data());
  const std::int64_t nnz = b.exclusive_scan(rows, counts.data(), offsets.data());
  Buffer<std::int32_t> index(b, std::max<std::int64_t>(nnz, 1));
  Buffer<float> value(b, std::max<std::int64_t>(nnz, 1));
  b.gather_selected(rows, cols, din.data(), dbias.data(), rule, offsets.data(), index.data(), value.data());
  Csr c{counts.to_host(), offsets.to_host(), index.to_host(), value.to_host()};
  c.index.resize(nnz);
  c.value.resize(nnz);
  return c;
}

TEST_P(EncoderOps, CodeRulesMatchReference) {
  const std::int64_t rows = 97, cols = 203;
  auto in = random_vector(rows * cols, 11);
  const auto bias = random_vector(cols, 12, -0.2f, 0.2f);
  auto threshold = random_vector(cols, 13, 0.0f, 0.6f);
  threshold[5] = 0.0f;
  const auto mag_scale = random_vector(cols, 14, 0.5f, 2.0f), mag_bias = random_vector(cols, 15, -0.5f, 0.5f);
  // Exact ties at the BatchTopK level, spread over rows.
  const float level = 0.25f;
  for (std::int64_t r = 0; r < rows; r += 3) in[r * cols + (r % cols)] = level - bias[r % cols];
  for (std::int64_t r = 0; r < rows; r += 5) in[r * cols + ((r + 7) % cols)] = level - bias[(r + 7) % cols];
  std::vector<std::int64_t> ties(rows);
  for (std::int64_t r = 0; r < rows; ++r) ties[r] = r % 3;

  CodeRule threshold_rule{CodeRule::Kind::Threshold, threshold.data()};
  CodeRule band_rule{CodeRule::Kind::Band, threshold.data(), 0.1f};
  CodeRule gated_rule{CodeRule::Kind::Gated, nullptr, 0.0f, mag_scale.data(), mag_bias.data()};
  CodeRule above_rule{CodeRule::Kind::Above};
  above_rule.level = level;
  above_rule.ties = ties.data();
  CodeRule above_all_ties{CodeRule::Kind::Above};  // no allowance: strictly above the level
  above_all_ties.level = level;
  CodeRule equal_rule{CodeRule::Kind::Equal};
  equal_rule.level = level;
  std::int64_t total_ties = 0;
  for (const CodeRule& rule : {threshold_rule, band_rule, gated_rule, above_rule, above_all_ties, equal_rule}) {
    const Csr want = reference_codes(rows, cols, in, bias, rule);
    EXPECT_GT(want.offsets.back(), 0) << "rule " << static_cast<int>(rule.kind) << " selects nothing";
    EXPECT_EQ(backend_codes(b(), rows, cols, in, bias, rule, threshold, mag_scale, mag_bias, ties), want)
        << "rule " << static_cast<int>(rule.kind);
    if (rule.kind == CodeRule::Kind::Equal) total_ties = want.offsets.back();
  }
  // Every tie is at the level: the allowance, not the values, decides which enter.
  EXPECT_GT(total_ties, rows / 3);
  // Threshold, as JumpReLU defines it: z = v where v > θ, so at θ = 0 a positive v passes.
  const Csr t = reference_codes(rows, cols, in, bias, threshold_rule);
  for (std::int64_t r = 0; r < rows; ++r)
    for (std::int64_t e = t.offsets[r]; e < t.offsets[r + 1]; ++e) EXPECT_GT(t.value[e], threshold[t.index[e]]);
}

// The two-rule sequences (JumpReLU's code and band in one pass) give each rule's own code.
TEST_P(EncoderOps, TwoRulesAtOnceEqualEachRuleAlone) {
  const std::int64_t rows = 61, cols = 157;
  const auto in = random_vector(rows * cols, 21), bias = random_vector(cols, 22, -0.2f, 0.2f);
  const auto threshold = random_vector(cols, 23, 0.0f, 0.6f);
  auto din = upload(b(), in), dbias = upload(b(), bias), dthreshold = upload(b(), threshold);
  const CodeRule host_rules[2] = {{CodeRule::Kind::Threshold, threshold.data()},
                                  {CodeRule::Kind::Band, threshold.data(), 0.1f}};
  const CodeRule first{CodeRule::Kind::Threshold, dthreshold.data()};
  const CodeRule second{CodeRule::Kind::Band, dthreshold.data(), 0.1f};
  Buffer<std::int64_t> counts[2] = {Buffer<std::int64_t>(b(), rows), Buffer<std::int64_t>(b(), rows)};
  Buffer<std::int64_t> offsets[2] = {Buffer<std::int64_t>(b(), rows + 1), Buffer<std::int64_t>(b(), rows + 1)};
  b().count_selected_two(rows, cols, din.data(), dbias.data(), first, counts[0].data(), second, counts[1].data());
  std::int64_t nnz[2];
  for (int i = 0; i < 2; ++i) nnz[i] = b().exclusive_scan(rows, counts[i].data(), offsets[i].data());
  Buffer<std::int32_t> index[2] = {Buffer<std::int32_t>(b(), nnz[0] + 1), Buffer<std::int32_t>(b(), nnz[1] + 1)};
  Buffer<float> value[2] = {Buffer<float>(b(), nnz[0] + 1), Buffer<float>(b(), nnz[1] + 1)};
  b().gather_selected_two(rows, cols, din.data(), dbias.data(), first, offsets[0].data(), index[0].data(),
                          value[0].data(), second, offsets[1].data(), index[1].data(), value[1].data());
  for (int i = 0; i < 2; ++i) {
    Csr got{counts[i].to_host(), offsets[i].to_host(), index[i].to_host(), value[i].to_host()};
    got.index.resize(nnz[i]);
    got.value.resize(nnz[i]);
    const Csr want = reference_codes(rows, cols, in, bias, host_rules[i]);
    EXPECT_GT(want.offsets.back(), 0) << "rule " << i << " selects nothing";
    EXPECT_EQ(got, want) << "rule " << i;
  }
}

TEST_P(EncoderOps, ValueHistogramsLocateEveryRank) {
  const std::int64_t rows = 61, cols = 517;
  const auto in = random_vector(rows * cols, 21, -1.0f, 3.0f);
  const auto bias = random_vector(cols, 22, -0.5f, 0.5f);
  std::vector<std::int64_t> want(kValueBuckets);
  reference::value_histogram(rows, cols, in.data(), bias.data(), -1, want.data());
  auto din = upload(b(), in), dbias = upload(b(), bias);
  Buffer<std::int64_t> counts(b(), kValueBuckets);
  b().value_histogram(rows, cols, din.data(), dbias.data(), -1, counts.data());
  EXPECT_EQ(counts.to_host(), want);
  // The second round, in the fullest high bucket.
  std::int64_t prefix = 0;
  for (std::int64_t k = 0; k < kValueBuckets; ++k)
    if (want[k] > want[prefix]) prefix = k;
  reference::value_histogram(rows, cols, in.data(), bias.data(), prefix, want.data());
  b().value_histogram(rows, cols, din.data(), dbias.data(), prefix, counts.data());
  EXPECT_EQ(counts.to_host(), want);
  std::int64_t in_bucket = 0, positive = 0;
  for (std::int64_t i = 0; i < rows * cols; ++i) {
    const float v = in[i] + bias[i % cols];
    std::uint32_t bits = 0;
    std::memcpy(&bits, &v, sizeof bits);
    positive += v > 0.0f;
    in_bucket += v > 0.0f && (bits >> 16) == static_cast<std::uint32_t>(prefix);
  }
  std::int64_t second = 0;
  for (auto c : want) second += c;
  EXPECT_EQ(second, in_bucket);
  EXPECT_GT(positive, 0);
}

TEST_P(EncoderOps, ThresholdGradientsMatchReference) {
  const std::int64_t nnz = 3001, cols = 77;
  std::vector<std::int32_t> index(nnz);
  for (std::int64_t e = 0; e < nnz; ++e) index[e] = static_cast<std::int32_t>((e * 13) % cols);
  const auto g = random_vector(nnz, 31), threshold = random_vector(cols, 32, 0.0f, 1.0f);
  std::vector<float> want(nnz);
  reference::threshold_gradients(nnz, index.data(), g.data(), threshold.data(), 0.02f, 0.001f, want.data());
  auto dindex = upload(b(), index);
  auto dg = upload(b(), g), dthreshold = upload(b(), threshold);
  b().threshold_gradients(nnz, dindex.data(), dg.data(), dthreshold.data(), 0.02f, 0.001f, dg.data());  // in place
  EXPECT_LT(nmse(dg.to_host(), want), 1e-12);
}

TEST_P(EncoderOps, InputNormalisationAndItsInverseMatchReference) {
  const std::int64_t rows = 45, cols = 301;
  const auto x = random_vector(rows * cols, 41, -2.0f, 3.0f), mean = random_vector(cols, 42);
  for (auto kind : {InputNorm::Kind::None, InputNorm::Kind::Scale, InputNorm::Kind::ConstantNorm, InputNorm::Kind::LayerNorm})
    for (bool centred : {false, true}) {
      InputNorm norm{kind, 1.7f, centred ? mean.data() : nullptr, 1e-5f};
      std::vector<float> want(x.size()), want_stats(rows * 3);
      reference::normalize_inputs(rows, cols, norm, x.data(), want.data(), want_stats.data());
      auto dx = upload(b(), x), dmean = upload(b(), mean);
      InputNorm device = norm;
      device.mean = centred ? dmean.data() : nullptr;
      Buffer<float> out(b(), x.size()), stats(b(), rows * 3);
      b().normalize_inputs(rows, cols, device, dx.data(), out.data(), stats.data());
      EXPECT_LT(nmse(out.to_host(), want), 1e-12) << static_cast<int>(kind) << centred;
      EXPECT_LT(nmse(stats.to_host(), want_stats), 1e-12) << static_cast<int>(kind) << centred;
      // The inverse on the normalised rows gives the rows back, except layer norm's ε.
      reference::denormalize_outputs(rows, cols, norm, want_stats.data(), want.data());
      b().denormalize_outputs(rows, cols, device, stats.data(), out.data());
      EXPECT_LT(nmse(out.to_host(), want), 1e-12);
      if (kind != InputNorm::Kind::LayerNorm) {
        EXPECT_LT(nmse(want, x), 1e-12) << static_cast<int>(kind);
      }
    }
  // Row statistics as the definitions give them, for one row.
  InputNorm layer{InputNorm::Kind::LayerNorm, 1.0f, nullptr, 1e-5f};
  std::vector<float> out(cols), stats(3);
  reference::normalize_inputs(1, cols, layer, x.data(), out.data(), stats.data());
  double sum = 0, squares = 0;
  for (std::int64_t c = 0; c < cols; ++c) sum += x[c];
  for (std::int64_t c = 0; c < cols; ++c) squares += (x[c] - sum / cols) * (x[c] - sum / cols);
  EXPECT_NEAR(stats[0], sum / cols, 1e-6);
  EXPECT_NEAR(stats[2], std::sqrt(squares / (cols - 1)), 1e-5);
}

INSTANTIATE_TEST_SUITE_P(AllBackends, EncoderOps, ::testing::Values(DeviceRequest::Cpu, DeviceRequest::Cuda),
                         [](const auto& p) { return p.param == DeviceRequest::Cpu ? "cpu" : "cuda"; });

}  // namespace
}  // namespace coact::backend
