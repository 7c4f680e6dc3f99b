// Every op of every available backend against the plain reference path (the habit of ggml's
// test-backend-ops).
// The cuda backend is a parameter too; it skips when this machine has no GPU.
#include <gtest/gtest.h>

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

class BackendOps : public ::testing::TestWithParam<DeviceRequest> {
 protected:
  void SetUp() override {
    if (GetParam() == DeviceRequest::Cuda && cuda_device_count() == 0)
      GTEST_SKIP() << (cuda_compiled() ? "no CUDA device visible" : "built without CUDA");
    backend_ = make_backend(GetParam());
  }
  std::unique_ptr<Backend> backend_;
};

TEST_P(BackendOps, CopiesRoundTrip) {
  const auto host = random_vector(1000, 1);
  Buffer<float> a(*backend_, host.size()), b(*backend_, host.size());
  a.copy_from_host(host);
  backend_->copy_bytes(b.data(), a.data(), a.bytes(), CopyKind::DeviceToDevice);
  EXPECT_EQ(b.to_host(), host);
  b.zero();
  EXPECT_EQ(b.to_host(), std::vector<float>(host.size(), 0.0f));
  Buffer<float> empty(*backend_, 0);
  EXPECT_EQ(empty.to_host().size(), 0u);
}

struct GemmCase {
  Transpose ta, tb;
  std::int64_t m, n, k;
  float alpha, beta;
};

TEST_P(BackendOps, GemmMatchesReferenceForEveryTransposeAndShape) {
  const std::vector<GemmCase> cases = {
      {Transpose::No, Transpose::No, 37, 53, 29, 1.0f, 0.0f},   {Transpose::Yes, Transpose::No, 64, 17, 33, 0.5f, 1.0f},
      {Transpose::No, Transpose::Yes, 5, 128, 70, -1.0f, 0.25f}, {Transpose::Yes, Transpose::Yes, 31, 9, 12, 2.0f, 0.0f},
      {Transpose::No, Transpose::No, 1, 1, 1, 1.0f, 0.0f},      {Transpose::No, Transpose::No, 256, 300, 200, 1.0f, 0.0f},
  };
  unsigned seed = 10;
  for (const auto& c : cases) {
    // Stored shapes: A is m×k (or k×m when transposed), B is k×n (or n×k).
    const std::int64_t a_rows = c.ta == Transpose::No ? c.m : c.k, a_cols = c.ta == Transpose::No ? c.k : c.m;
    const std::int64_t b_rows = c.tb == Transpose::No ? c.k : c.n, b_cols = c.tb == Transpose::No ? c.n : c.k;
    const auto a = random_vector(a_rows * a_cols, seed++), b = random_vector(b_rows * b_cols, seed++);
    const auto c0 = random_vector(c.m * c.n, seed++);
    auto want = c0;
    reference::gemm(c.ta, c.tb, c.m, c.n, c.k, c.alpha, a.data(), a_cols, b.data(), b_cols, c.beta, want.data(), c.n);

    Buffer<float> da(*backend_, a.size()), db(*backend_, b.size()), dc(*backend_, c0.size());
    da.copy_from_host(a);
    db.copy_from_host(b);
    dc.copy_from_host(c0);
    backend_->gemm(c.ta, c.tb, c.m, c.n, c.k, c.alpha, da.data(), a_cols, db.data(), b_cols, c.beta, dc.data(), c.n);
    EXPECT_LT(nmse(dc.to_host(), want), 1e-10) << "m=" << c.m << " n=" << c.n << " k=" << c.k;
  }
}

TEST_P(BackendOps, GemmHonoursLeadingDimensions) {
  // Operate on the left 20 columns of a 30-column stored matrix.
  const std::int64_t m = 12, n = 20, k = 8, ld_a = 11, ld_b = 30, ld_c = 25;
  const auto a = random_vector(m * ld_a, 3), b = random_vector(k * ld_b, 4);
  auto want = random_vector(m * ld_c, 5);
  const auto c0 = want;
  reference::gemm(Transpose::No, Transpose::No, m, n, k, 1.0f, a.data(), ld_a, b.data(), ld_b, 0.0f, want.data(), ld_c);
  Buffer<float> da(*backend_, a.size()), db(*backend_, b.size()), dc(*backend_, c0.size());
  da.copy_from_host(a);
  db.copy_from_host(b);
  dc.copy_from_host(c0);
  backend_->gemm(Transpose::No, Transpose::No, m, n, k, 1.0f, da.data(), ld_a, db.data(), ld_b, 0.0f, dc.data(), ld_c);
  const auto got = dc.to_host();
  EXPECT_LT(nmse(got, want), 1e-10);
  // Padding columns of C are untouched.
  for (std::int64_t r = 0; r < m; ++r)
    for (std::int64_t col = n; col < ld_c; ++col) EXPECT_EQ(got[r * ld_c + col], c0[r * ld_c + col]);
}

TEST_P(BackendOps, ElementwiseOpsMatchReference) {
  const std::int64_t rows = 300, cols = 257;  // large enough for the parallel path
  const auto x = random_vector(rows * cols, 7), y0 = random_vector(rows * cols, 8), bias = random_vector(cols, 9);

  auto want = y0;
  reference::axpy(rows * cols, 0.75f, x.data(), want.data());
  Buffer<float> dx(*backend_, x.size()), dy(*backend_, y0.size()), db(*backend_, bias.size());
  dx.copy_from_host(x);
  dy.copy_from_host(y0);
  db.copy_from_host(bias);
  backend_->axpy(rows * cols, 0.75f, dx.data(), dy.data());
  EXPECT_EQ(dy.to_host(), want);

  reference::bias_relu(rows, cols, bias.data(), x.data(), want.data());
  backend_->bias_relu(rows, cols, db.data(), dx.data(), dy.data());
  EXPECT_EQ(dy.to_host(), want);

  reference::fill(rows * cols, 3.5f, want.data());
  backend_->fill(rows * cols, 3.5f, dy.data());
  EXPECT_EQ(dy.to_host(), want);
}

INSTANTIATE_TEST_SUITE_P(AllBackends, BackendOps, ::testing::Values(DeviceRequest::Cpu, DeviceRequest::Cuda),
                         [](const auto& p) { return p.param == DeviceRequest::Cpu ? "cpu" : "cuda"; });

TEST(BackendFactory, DeviceRequests) {
  EXPECT_EQ(parse_device_request("cpu"), DeviceRequest::Cpu);
  EXPECT_EQ(parse_device_request("cuda"), DeviceRequest::Cuda);
  EXPECT_EQ(parse_device_request("auto"), DeviceRequest::Auto);
  EXPECT_THROW(parse_device_request("tpu"), UsageError);
  const auto automatic = make_backend(DeviceRequest::Auto);
  EXPECT_EQ(automatic->kind(), cuda_device_count() > 0 ? DeviceKind::Cuda : DeviceKind::Cpu);
  if (cuda_device_count() == 0) {
    // Asking for a GPU that is not there is a usage error with a reason, not a crash.
    try {
      make_backend(DeviceRequest::Cuda);
      FAIL() << "expected UsageError";
    } catch (const UsageError& e) {
      EXPECT_NE(std::string(e.what()).find("--device cuda"), std::string::npos) << e.what();
    }
  }
}

TEST(BackendFactory, CpuThreadsAndDescription) {
  const int before = cpu_threads();
  set_cpu_threads(2);
  EXPECT_EQ(cpu_threads(), 2);
  EXPECT_THROW(set_cpu_threads(0), UsageError);
  set_cpu_threads(before);
  const auto cpu = make_backend(DeviceRequest::Cpu);
  EXPECT_NE(cpu->description().find("OpenBLAS"), std::string::npos) << cpu->description();
  const auto components = describe_components();
  ASSERT_FALSE(components.empty());
  EXPECT_EQ(components.front().name, "BLAS");
  if (cuda_compiled()) {
    bool has_cublas = false;
    for (const auto& c : components) has_cublas |= c.name == "cuBLAS";
    EXPECT_TRUE(has_cublas);
  }
}

}  // namespace
}  // namespace coact::backend
