// One co-activation graph step at seed scale, against its floor.
//
//   bench_graph_step SAE.h5 ACTS.h5 [--batch 16384] [--encode-rows 4096] [--codes OUT.h5]
//                    [--precision fp32|bf16|tf32] [--device cpu|cuda]
//   bench_graph_step --synthetic [--d 2048] [--n 16384] [--l0 50] [same options]
//       a nanda-1l-initialised SAE whose b_enc gives a code of about L0 active features, and
//       correlated synthetic activations, made in memory (no files: the GPU check uses it)
//
// (a) the encoder GEMM alone: (B × d) · (d × n), the floor of any graph step;
// (b) the whole step as `coact graph` does it: encode in sub-batches (GEMM, bias + ReLU/TopK,
//     sparse rows), then top-k + per-batch cosines + accumulate;
// (c) the top-k + cosine + accumulate part alone (what bench/graph/coactivation_numpy.py
//     implements with NumPy on the same codes, written with --codes).
// Prints (b)/(a) (target <= 1.3); with --precision, (a) is also timed in that precision and
// (b) encodes in it, so (b) in bf16 against (a) in fp32 is the bf16 graph step's speed-up.
#include <algorithm>
#include <cstdio>
#include <random>
#include <cstdlib>
#include <cstring>
#include <string>

#include "coact/backend/buffer.h"
#include "coact/core/timer.h"
#include "coact/graph/coactivation.h"
#include "coact/io/activation_store.h"
#include "coact/io/h5.h"
#include "coact/sae/checkpoint.h"
#include "coact/sae/encoder.h"
#include "bench_driver.h"

using namespace coact;

static std::string arg(int argc, char** argv, const char* name, const char* fallback) {
  for (int i = 1; i + 1 < argc; ++i)
    if (std::strcmp(argv[i], name) == 0) return argv[i + 1];
  return fallback;
}

// A seed-scale problem made in memory: nanda-1l init (seed 52), activations with a mean and 16
// shared factors (as bench_sae_step prepares), b_enc = minus the (1 − L0/n) quantile of a sample
// of pre-activations, so a token has about L0 active features.
static sae::Checkpoint synthetic_problem(std::int64_t d, std::int64_t n, double l0, std::int64_t rows,
                                         std::vector<float>& x) {
  auto cpu = backend::make_backend(backend::DeviceRequest::Cpu);
  sae::Checkpoint ckpt;
  ckpt.config = sae::default_config(sae::Recipe::Nanda1L, d, n, 52);
  sae::Sae model(*cpu, ckpt.config);
  model.init(52, sae::Recipe::Nanda1L);
  ckpt.params = model.to_host();
  x.assign(static_cast<std::size_t>(rows * d), 0.0f);
  std::mt19937 gen(7);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  std::vector<float> common(16);
  for (std::int64_t r = 0; r < rows; ++r) {
    for (auto& f : common) f = normal(gen);
    for (std::int64_t i = 0; i < d; ++i)
      x[r * d + i] = 0.3f * normal(gen) + 0.5f * common[i % 16] + 0.1f * static_cast<float>(i % 7);
  }
  const std::int64_t sample = std::min<std::int64_t>(rows, 256);
  std::vector<float> pre(static_cast<std::size_t>(sample * n));
  cpu->gemm(backend::Transpose::No, backend::Transpose::No, sample, n, d, 1.0f, x.data(), d, ckpt.params.w_enc.data(), n,
            0.0f, pre.data(), n);
  const auto cut = pre.begin() + static_cast<std::ptrdiff_t>(static_cast<double>(pre.size()) * (1.0 - l0 / static_cast<double>(n)));
  std::nth_element(pre.begin(), cut, pre.end());
  std::fill(ckpt.params.b_enc.begin(), ckpt.params.b_enc.end(), -*cut);
  return ckpt;
}

int main(int argc, char** argv) {
  const bool synthetic = argc >= 2 && std::strcmp(argv[1], "--synthetic") == 0;
  if (argc < 3 && !synthetic) {
    std::fprintf(stderr, "usage: bench_graph_step SAE.h5 ACTS.h5 | --synthetic [--d D --n N --l0 L] [--batch B] "
                         "[--encode-rows R] [--codes OUT.h5] [--precision P] [--device cpu|cuda]\n");
    return 2;
  }
  const std::int64_t B = std::atoll(arg(argc, argv, "--batch", "16384").c_str());
  const std::int64_t sub = std::atoll(arg(argc, argv, "--encode-rows", "4096").c_str());
  const std::string codes_out = arg(argc, argv, "--codes", "");
  const backend::Precision precision = backend::parse_precision(arg(argc, argv, "--precision", "fp32"));
  std::vector<float> x;
  sae::Checkpoint ckpt;
  if (synthetic) {
    ckpt = synthetic_problem(std::atoll(arg(argc, argv, "--d", "2048").c_str()),
                             std::atoll(arg(argc, argv, "--n", "16384").c_str()),
                             std::atof(arg(argc, argv, "--l0", "50").c_str()), B, x);
  } else {
    ckpt = sae::read_checkpoint(argv[1], false);
    const io::ActivationStore store = io::ActivationStore::open(argv[2]);
    x.resize(static_cast<std::size_t>(B * ckpt.config.d_in));
    store.read_rows(0, B, x.data());
  }
  const std::int64_t d = ckpt.config.d_in, n = ckpt.config.n_features;
  // (named cpu for history: the backend the step runs on, cuda with --device cuda)
  auto cpu = backend::make_backend(backend::parse_device_request(arg(argc, argv, "--device", "cpu")));
  cpu->require_precision(precision);

  // (a) the floor: one GEMM of the whole batch against W_enc.
  backend::Buffer<float> xb(*cpu, x.size()), w(*cpu, ckpt.params.w_enc.size()), z(*cpu, static_cast<std::size_t>(B * n));
  xb.copy_from_host(x);
  w.copy_from_host(ckpt.params.w_enc);
  // The two GEMMs alternate, so both see the same machine state; each is the better of two runs.
  bench::Samples gemm_s, precision_gemm_s;
  for (int r = 0; r < 2; ++r) {
    Stopwatch clock;
    cpu->gemm(backend::Transpose::No, backend::Transpose::No, B, n, d, 1.0f, xb.data(), d, w.data(), n, 0.0f, z.data(), n);
    cpu->synchronize();
    gemm_s.add(clock.seconds());
    clock.restart();
    cpu->gemm_mixed(precision, backend::Transpose::No, backend::Transpose::No, B, n, d, 1.0f, xb.data(), d, w.data(), n,
                    0.0f, z.data(), n);
    cpu->synchronize();
    precision_gemm_s.add(clock.seconds());
  }
  const double gemm = gemm_s.min(), precision_gemm = precision_gemm_s.min();
  z = backend::Buffer<float>();  // free 1 GiB before the step

  // (b) the step as coact graph runs it, (c) its accumulate part.
  sae::Sae model(*cpu, ckpt.config);
  model.from_host(ckpt.params);
  sae::Encoder encoder(model, sub, precision);
  backend::Buffer<float> rows_on_device(*cpu, static_cast<std::size_t>(sub * d));
  // (c) is timed inside each run of (b), so one loop records both; the better of two runs each.
  bench::Samples step_s, accumulate_s;
  graph::SparseBatch codes;
  graph::CoactivationAccumulator last(n, 4, graph::ZeroPolicy::Positive);
  for (int r = 0; r < 2; ++r) {
    graph::CoactivationAccumulator acc(n, 4, graph::ZeroPolicy::Positive);
    const Stopwatch step_clock;
    codes = graph::SparseBatch{};
    codes.rows = B;
    codes.features = n;
    codes.row_begin.assign(1, 0);
    for (std::int64_t first = 0; first < B; first += sub) {
      const std::int64_t count = std::min(sub, B - first);
      const float* rows = x.data() + first * d;  // cpu: host memory is the backend's
      if (cpu->kind() != backend::DeviceKind::Cpu) {
        cpu->copy_bytes(rows_on_device.data(), rows, static_cast<std::size_t>(count * d) * sizeof(float),
                        backend::CopyKind::HostToDevice);
        rows = rows_on_device.data();
      }
      encoder.encode(rows, count);
      const sae::SparseCodesHost host = encoder.to_host();
      const std::int64_t base = codes.row_begin.back();
      for (std::int64_t i = 1; i <= count; ++i) codes.row_begin.push_back(base + host.offsets[static_cast<std::size_t>(i)]);
      codes.feature.insert(codes.feature.end(), host.index.begin(), host.index.end());
      codes.value.insert(codes.value.end(), host.value.begin(), host.value.end());
    }
    const Stopwatch accumulate_clock;
    acc.add_batch(codes);
    accumulate_s.add(accumulate_clock.seconds());
    step_s.add(step_clock.seconds());
    last = std::move(acc);
  }
  const double step = step_s.min(), accumulate = accumulate_s.min();
  const double l0 = static_cast<double>(codes.feature.size()) / static_cast<double>(B);
  std::printf("graph step at B=%lld, d=%lld, n=%lld, L0 %.1f, %lld edges from this batch\n", static_cast<long long>(B),
              static_cast<long long>(d), static_cast<long long>(n), l0, static_cast<long long>(last.edges().size()));
  std::printf("device %s; encode precision %s (%s)\n", cpu->description().c_str(), backend::to_string(precision),
              cpu->precision_description(precision).c_str());
  std::printf("(a) encoder GEMM alone (floor)          %8.3f s\n", gemm);
  std::printf("(a') the same GEMM in %s                %8.3f s   %.2fx (a)\n", backend::to_string(precision),
              precision_gemm, precision_gemm / gemm);
  std::printf("(b) whole graph step                   %8.3f s   %.2fx the fp32 floor (target <= 1.3; bf16 <= 0.7)\n",
              step, step / gemm);
  std::printf("(c) top-k + cosine + accumulate part   %8.3f s\n", accumulate);
  if (!codes_out.empty()) {
    io::File f = io::File::create(codes_out);
    f.write_dataset<std::int64_t>("/row_begin", codes.row_begin, {B + 1});
    f.write_dataset<std::int32_t>("/feature", codes.feature, {static_cast<std::int64_t>(codes.feature.size())});
    f.write_dataset<float>("/value", codes.value, {static_cast<std::int64_t>(codes.value.size())});
    f.attributes().set("features", n);
    f.attributes().set("edges", static_cast<std::int64_t>(last.edges().size()));
    std::int64_t pairs = 0;
    for (auto c : last.edges().count) pairs += c;
    f.attributes().set("pair_occurrences", pairs);
    f.attributes().set("coact_seconds", accumulate);
  }
  return 0;
}
