// The matching's cost GEMM (compare::cosine_cost: 1 − cos of every decoder-row pair) at seed
// scale, in fp32 and in a reduced precision, on the cpu or a GPU:
//
//   bench_cost_gemm [--n 16384] [--d 2048] [--precision bf16] [--device cpu|cuda]
//
// Prints both times, the GEMM's rate, and verifies the reduced-precision costs against the fp32
// ones (each within 2^-7: bf16 unit rows move a cosine by at most that).
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <string>

#include "coact/backend/backend.h"
#include "coact/compare/cosine_cost.h"
#include "coact/core/timer.h"
#include "bench_driver.h"

using namespace coact;

static std::string arg(int argc, char** argv, const char* name, const char* fallback) {
  for (int i = 1; i + 1 < argc; ++i)
    if (std::strcmp(argv[i], name) == 0) return argv[i + 1];
  return fallback;
}

int main(int argc, char** argv) {
  try {
    const std::int64_t n = std::atoll(arg(argc, argv, "--n", "16384").c_str());
    const std::int64_t d = std::atoll(arg(argc, argv, "--d", "2048").c_str());
    const backend::Precision precision = backend::parse_precision(arg(argc, argv, "--precision", "bf16"));
    auto compute = backend::make_backend(backend::parse_device_request(arg(argc, argv, "--device", "cpu")));
    compute->require_precision(precision);
    std::vector<float> a(static_cast<std::size_t>(n * d)), b(a.size());
    std::mt19937 gen(3);
    std::normal_distribution<float> normal(0.0f, 1.0f);
    for (auto& v : a) v = normal(gen);
    for (std::size_t i = 0; i < b.size(); ++i) b[i] = 0.8f * a[i] + 0.6f * normal(gen);  // related dictionaries
    std::vector<float> fp32(static_cast<std::size_t>(n * n)), reduced(fp32.size());
    // fp32 and the reduced precision alternate, so both see the same machine (and GPU clock)
    // state; each figure is the better of its two runs (the first also warms up).
    bench::Samples samples[2];
    for (int r = 0; r < 2; ++r)
      for (int which = 0; which < 2; ++which) {
        const Stopwatch clock;
        compare::cosine_cost(*compute, {a.data(), n, d}, {b.data(), n, d},
                             MatrixView<float>(which == 0 ? fp32.data() : reduced.data(), n, n),
                             which == 0 ? backend::Precision::Fp32 : precision);
        samples[which].add(clock.seconds());
      }
    const double seconds[2] = {samples[0].min(), samples[1].min()};
    double worst = 0;
    for (std::size_t i = 0; i < fp32.size(); ++i) worst = std::max(worst, static_cast<double>(std::fabs(fp32[i] - reduced[i])));
    const double flops = 2.0 * static_cast<double>(n) * static_cast<double>(n) * static_cast<double>(d);
    std::printf("cost GEMM n=%lld d=%lld on %s\n", static_cast<long long>(n), static_cast<long long>(d),
                compute->description().c_str());
    std::printf("fp32 %.3f s (%.1f TFLOP/s incl. normalising and copies); %s %.3f s (%.1f TFLOP/s), %.2fx fp32\n",
                seconds[0], flops / seconds[0] / 1e12, backend::to_string(precision), seconds[1],
                flops / seconds[1] / 1e12, seconds[1] / seconds[0]);
    std::printf("verified: max |cost_%s - cost_fp32| = %.2e (bound %.2e)\n", backend::to_string(precision), worst,
                std::ldexp(1.0, -7));
    // One check over the whole matrix: the worst entry against the bound.
    bench::Verification verification;
    verification.check(worst <= std::ldexp(1.0, -7) + 1e-5);
    verification.print(stdout);
    if (!verification.ok()) {
      std::fprintf(stderr, "bench_cost_gemm: reduced-precision costs exceed the bound\n");
      return verification.exit_code();
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "bench_cost_gemm: %s\n", e.what());
    return 2;
  }
  return 0;
}
