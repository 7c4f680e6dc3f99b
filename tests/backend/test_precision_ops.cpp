// Reduced-precision GEMMs (Backend::gemm_mixed) on every available backend, and the bf16
// rounding functor against an independent rounding (the nearer of the two bf16 neighbours,
// measured in double). The cuda backend is a parameter and skips without a GPU.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <random>

#include "coact/backend/backend.h"
#include "coact/backend/buffer.h"
#include "coact/backend/ops/bf16.h"
#include "coact/backend/reference.h"
#include "coact/core/errors.h"

namespace coact::backend {
namespace {

// The bf16 nearest to x by direct comparison: the two candidates are x's bits truncated to the
// upper 16 and that plus one unit in the last place (towards larger magnitude); the nearer wins,
// a tie goes to the even one. Past the largest finite bf16 the upper candidate is infinity,
// which IEEE rounding treats as 2^128 for the comparison.
std::uint16_t nearest_bf16(float x) {
  std::uint32_t u;
  std::memcpy(&u, &x, sizeof u);
  if (std::isnan(x)) return 0;  // checked separately
  const std::uint32_t lower = u & 0xffff0000u, upper = lower + 0x10000u;
  const auto magnitude = [](std::uint32_t bits) {
    if ((bits & 0x7fffffffu) == 0x7f800000u) return std::ldexp(1.0, 128);
    float f;
    std::memcpy(&f, &bits, sizeof f);
    return std::fabs(static_cast<double>(f));
  };
  const double ax = std::fabs(static_cast<double>(x));
  const double below = ax - magnitude(lower), above = magnitude(upper) - ax;
  if (below < above) return static_cast<std::uint16_t>(lower >> 16);
  if (above < below) return static_cast<std::uint16_t>(upper >> 16);
  return static_cast<std::uint16_t>(((lower >> 16) & 1u) == 0 ? lower >> 16 : upper >> 16);
}

TEST(Bf16Rounding, MatchesTheNearestNeighbourOnRandomAndSpecialValues) {
  std::vector<float> values = {0.0f, -0.0f, 1.0f, -1.0f, 1.0f + 1.0f / 256, 1.0f + 3.0f / 256,  // exact ties
                               std::numeric_limits<float>::max(), -std::numeric_limits<float>::max(),
                               std::numeric_limits<float>::infinity(), -std::numeric_limits<float>::infinity(),
                               std::numeric_limits<float>::denorm_min(), std::numeric_limits<float>::min(),
                               3.3895314e38f /* largest finite bf16 */, 3.3961775e38f /* its tie with 2^128 */};
  std::mt19937 gen(3);
  std::uniform_int_distribution<std::uint32_t> bits;
  for (int i = 0; i < 200000; ++i) {
    std::uint32_t u = bits(gen);
    if (i % 4 == 0) u = (u & 0xffff0000u) | 0x8000u;  // many exact ties
    float f;
    std::memcpy(&f, &u, sizeof f);
    if (!std::isnan(f)) values.push_back(f);
  }
  for (const float x : values) {
    ASSERT_EQ(ops::float_to_bf16(x), nearest_bf16(x)) << "x = " << x;
    // Rounding twice changes nothing.
    ASSERT_EQ(ops::float_to_bf16(ops::round_to_bf16(x)), ops::float_to_bf16(x));
  }
}

TEST(Bf16Rounding, KeepsNaNsAsNaNsWithTheirSign) {
  for (const std::uint32_t u : {0x7fc00000u, 0x7f800001u, 0x7fffffffu, 0xffffffffu, 0xff800001u, 0x7f80ffffu}) {
    float x;
    std::memcpy(&x, &u, sizeof x);
    const std::uint16_t h = ops::float_to_bf16(x);
    EXPECT_TRUE(std::isnan(ops::bf16_to_float(h))) << std::hex << u;
    EXPECT_EQ(h >> 15, u >> 31) << std::hex << u;
  }
}

TEST(Tf32Rounding, KeepsTenMantissaBitsRoundedToNearestEven) {
  EXPECT_EQ(ops::round_to_tf32(1.0f + 1.0f / 2048), 1.0f);                  // tie, to even
  EXPECT_EQ(ops::round_to_tf32(1.0f + 3.0f / 2048), 1.0f + 4.0f / 2048);    // tie, to even
  EXPECT_EQ(ops::round_to_tf32(1.0f + 1.1f / 2048), 1.0f + 1.0f / 1024);    // above the tie
  EXPECT_TRUE(std::isnan(ops::round_to_tf32(std::numeric_limits<float>::quiet_NaN())));
}

std::vector<float> random_vector(std::size_t n, unsigned seed) {
  std::mt19937 gen(seed);
  std::normal_distribution<float> dist(0.0f, 1.0f);
  std::vector<float> v(n);
  for (auto& x : v) x = dist(gen);
  return v;
}

class PrecisionOps : public ::testing::TestWithParam<DeviceRequest> {
 protected:
  void SetUp() override {
    if (GetParam() == DeviceRequest::Cuda && cuda_device_count() == 0)
      GTEST_SKIP() << (cuda_compiled() ? "no CUDA device visible" : "built without CUDA");
    backend_ = make_backend(GetParam());
  }
  std::unique_ptr<Backend> backend_;
};

struct Case {
  Transpose ta, tb;
  std::int64_t m, n, k;
  float alpha, beta;
};

// Every transpose, shapes that are not multiples of the kernel's 14 × 32 tiles, odd k, k past
// one packed slice (2,048), and leading dimensions wider than the rows.
const std::vector<Case> kCases = {
    {Transpose::No, Transpose::No, 37, 53, 29, 1.0f, 0.0f},     {Transpose::Yes, Transpose::No, 64, 17, 33, 0.5f, 1.0f},
    {Transpose::No, Transpose::Yes, 5, 128, 70, -1.0f, 0.25f},  {Transpose::Yes, Transpose::Yes, 31, 9, 12, 2.0f, 0.0f},
    {Transpose::No, Transpose::No, 1, 1, 1, 1.0f, 0.0f},        {Transpose::No, Transpose::Yes, 130, 200, 2500, 1.0f, 0.0f},
    {Transpose::Yes, Transpose::No, 120, 70, 4101, 1.0f, -1.0f}, {Transpose::No, Transpose::Yes, 29, 4200, 16, 1.0f, 0.0f},
};

// Runs one case with stored leading dimensions 3 wider than needed; returns C and fills
// `exact` (the fp32 product in double), `rounded` (the product of bf16-rounded operands in
// double) and `magnitude` (|alpha| Σ_p |a_ip b_pj| + |beta c_ij|).
struct Outcome {
  std::vector<float> got, exact, rounded, magnitude;
  std::int64_t ldc = 0;
};

Outcome run_case(Backend& backend, Precision precision, const Case& c, unsigned seed) {
  const std::int64_t a_rows = c.ta == Transpose::No ? c.m : c.k, a_cols = c.ta == Transpose::No ? c.k : c.m;
  const std::int64_t b_rows = c.tb == Transpose::No ? c.k : c.n, b_cols = c.tb == Transpose::No ? c.n : c.k;
  const std::int64_t lda = a_cols + 3, ldb = b_cols + 3, ldc = c.n + 3;
  const auto a = random_vector(a_rows * lda, seed), b = random_vector(b_rows * ldb, seed + 1);
  const auto c0 = random_vector(c.m * ldc, seed + 2);
  Outcome out;
  out.ldc = ldc;
  out.exact = c0;
  out.rounded = c0;
  reference::gemm(c.ta, c.tb, c.m, c.n, c.k, c.alpha, a.data(), lda, b.data(), ldb, c.beta, out.exact.data(), ldc);
  reference::gemm_mixed(precision, c.ta, c.tb, c.m, c.n, c.k, c.alpha, a.data(), lda, b.data(), ldb, c.beta,
                        out.rounded.data(), ldc);
  std::vector<float> abs_a(a.size()), abs_b(b.size());
  for (std::size_t i = 0; i < a.size(); ++i) abs_a[i] = std::fabs(a[i]);
  for (std::size_t i = 0; i < b.size(); ++i) abs_b[i] = std::fabs(b[i]);
  out.magnitude.assign(c0.size(), 0.0f);
  reference::gemm(c.ta, c.tb, c.m, c.n, c.k, std::fabs(c.alpha), abs_a.data(), lda, abs_b.data(), ldb, 0.0f,
                  out.magnitude.data(), ldc);
  for (std::int64_t i = 0; i < c.m; ++i)
    for (std::int64_t j = 0; j < c.n; ++j) out.magnitude[i * ldc + j] += std::fabs(c.beta * c0[i * ldc + j]);

  Buffer<float> da(backend, a.size()), db(backend, b.size()), dc(backend, c0.size());
  da.copy_from_host(a);
  db.copy_from_host(b);
  dc.copy_from_host(c0);
  backend.gemm_mixed(precision, c.ta, c.tb, c.m, c.n, c.k, c.alpha, da.data(), lda, db.data(), ldb, c.beta, dc.data(),
                     ldc);
  out.got = dc.to_host();
  // Columns past n are padding: the GEMM must not touch them.
  for (std::int64_t i = 0; i < c.m; ++i)
    for (std::int64_t j = c.n; j < ldc; ++j) EXPECT_EQ(out.got[i * ldc + j], c0[i * ldc + j]) << "padding written";
  return out;
}

TEST_P(PrecisionOps, Bf16GemmIsTheFp32SumOfBf16RoundedProducts) {
  unsigned seed = 100;
  for (const Case& c : kCases) {
    const Outcome o = run_case(*backend_, Precision::Bf16, c, seed);
    seed += 3;
    // Against the product of the rounded operands: only fp32 summation error, at most
    // (k + 2)·2^-24 of the magnitude in any summation order.
    const double fp32_sums = static_cast<double>(c.k + 2) * std::ldexp(1.0, -24);
    // Against the unrounded fp32 product: each operand moved by at most 2^-8 relative (bf16 has
    // 8 significant bits), so each product by 2^-7 (+ 2^-16).
    const double bf16_products = std::ldexp(1.0, -7) + std::ldexp(1.0, -16) + fp32_sums;
    double err2 = 0, ref2 = 0;
    for (std::int64_t i = 0; i < c.m; ++i)
      for (std::int64_t j = 0; j < c.n; ++j) {
        const std::size_t e = static_cast<std::size_t>(i * o.ldc + j);
        ASSERT_LE(std::fabs(o.got[e] - o.rounded[e]), fp32_sums * o.magnitude[e] + 1e-30)
            << "m=" << c.m << " n=" << c.n << " k=" << c.k << " at " << i << "," << j;
        ASSERT_LE(std::fabs(o.got[e] - o.exact[e]), bf16_products * o.magnitude[e] + 1e-30);
        err2 += (o.got[e] - o.exact[e]) * static_cast<double>(o.got[e] - o.exact[e]);
        ref2 += static_cast<double>(o.exact[e]) * o.exact[e];
      }
    // Normwise, with independent rounding errors: about 2^-8 · sqrt(k) of the terms' size,
    // i.e. ~2^-8 relative to a sum of k random-sign terms of size sqrt(k).
    EXPECT_LT(std::sqrt(err2 / ref2), std::ldexp(1.0, -8)) << "m=" << c.m << " n=" << c.n << " k=" << c.k;
  }
}

TEST_P(PrecisionOps, Fp32IsGemmItself) {
  const Case c{Transpose::No, Transpose::Yes, 33, 65, 40, 1.5f, 0.5f};
  const Outcome o = run_case(*backend_, Precision::Fp32, c, 7);
  const double fp32_sums = static_cast<double>(c.k + 2) * std::ldexp(1.0, -24);
  for (std::int64_t i = 0; i < c.m; ++i)
    for (std::int64_t j = 0; j < c.n; ++j) {
      const std::size_t e = static_cast<std::size_t>(i * o.ldc + j);
      ASSERT_LE(std::fabs(o.got[e] - o.exact[e]), fp32_sums * o.magnitude[e]);
    }
}

TEST_P(PrecisionOps, Tf32RunsOnCudaAndIsRefusedByNameOnTheCpu) {
  const Case c{Transpose::No, Transpose::No, 40, 50, 300, 1.0f, 0.0f};
  if (backend_->kind() == DeviceKind::Cpu) {
    try {
      backend_->require_precision(Precision::Tf32);
      FAIL() << "tf32 accepted by the cpu backend";
    } catch (const UsageError& e) {
      EXPECT_NE(std::string(e.what()).find("tf32"), std::string::npos) << e.what();
    }
    EXPECT_THROW(run_case(*backend_, Precision::Tf32, c, 9), UsageError);
    return;
  }
  const Outcome o = run_case(*backend_, Precision::Tf32, c, 9);
  // TF32 keeps 11 significant bits: each product within 2^-10 (+ fp32 sums).
  const double bound = std::ldexp(1.0, -10) + std::ldexp(1.0, -20) + (c.k + 2) * std::ldexp(1.0, -24);
  for (std::int64_t i = 0; i < c.m; ++i)
    for (std::int64_t j = 0; j < c.n; ++j) {
      const std::size_t e = static_cast<std::size_t>(i * o.ldc + j);
      ASSERT_LE(std::fabs(o.got[e] - o.exact[e]), bound * o.magnitude[e]);
    }
}

TEST_P(PrecisionOps, EveryPrecisionHasADescription) {
  for (const Precision p : {Precision::Fp32, Precision::Bf16, Precision::Tf32})
    EXPECT_FALSE(backend_->precision_description(p).empty());
  EXPECT_NE(backend_->precision_description(Precision::Bf16).find("bf16"), std::string::npos);
}

INSTANTIATE_TEST_SUITE_P(AllBackends, PrecisionOps, ::testing::Values(DeviceRequest::Cpu, DeviceRequest::Cuda),
                         [](const auto& p) { return p.param == DeviceRequest::Cpu ? "cpu" : "cuda"; });

// The cpu's two bf16 kernels (AVX512_BF16 where the processor has it, and the fp32 fallback
// that every x86-64 runs) agree to fp32 summation order on the same problem.
TEST(CpuBf16Kernels, FallbackAndHardwareKernelAgree) {
  auto cpu = make_backend(DeviceRequest::Cpu);
  const Case c{Transpose::No, Transpose::Yes, 70, 90, 513, 1.0f, 0.0f};
  const Outcome first = run_case(*cpu, Precision::Bf16, c, 21);
  ASSERT_EQ(setenv("COACT_CPU_BF16", "fallback", 1), 0);
  EXPECT_NE(cpu->precision_description(Precision::Bf16).find("fallback"), std::string::npos);
  const Outcome fallback = run_case(*cpu, Precision::Bf16, c, 21);
  ASSERT_EQ(setenv("COACT_CPU_BF16", "sometimes", 1), 0);
  EXPECT_THROW(run_case(*cpu, Precision::Bf16, c, 21), UsageError);
  unsetenv("COACT_CPU_BF16");
  const double fp32_sums = 2.0 * (c.k + 2) * std::ldexp(1.0, -24);
  for (std::size_t e = 0; e < first.got.size(); ++e)
    ASSERT_LE(std::fabs(first.got[e] - fallback.got[e]), fp32_sums * first.magnitude[e] + 1e-30);
}

TEST(PrecisionNames, RoundTripAndRefuseUnknownNames) {
  for (const Precision p : {Precision::Fp32, Precision::Bf16, Precision::Tf32}) EXPECT_EQ(parse_precision(to_string(p)), p);
  try {
    parse_precision("fp16");
    FAIL() << "fp16 accepted";
  } catch (const UsageError& e) {
    EXPECT_NE(std::string(e.what()).find("fp32, bf16, tf32"), std::string::npos);
  }
}

}  // namespace
}  // namespace coact::backend
