// One co-activation graph step at seed scale, against its floor.
//
//   bench_graph_step SAE.h5 ACTS.h5 [--batch 16384] [--encode-rows 4096] [--codes OUT.h5]
//
// (a) the encoder GEMM alone: (B × d) · (d × n), the floor of any graph step;
// (b) the whole step as `coact graph` does it: encode in sub-batches (GEMM, bias + ReLU/TopK,
//     sparse rows), then top-k + per-batch cosines + accumulate;
// (c) the top-k + cosine + accumulate part alone (what bench/graph/coactivation_numpy.py
//     implements with NumPy on the same codes, written with --codes).
// Prints (b)/(a) (target <= 1.3) and verifies the codes' edge count against a recount.
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "coact/backend/buffer.h"
#include "coact/graph/coactivation.h"
#include "coact/io/activation_store.h"
#include "coact/io/h5.h"
#include "coact/sae/checkpoint.h"
#include "coact/sae/encoder.h"

using namespace coact;
using Clock = std::chrono::steady_clock;

static double since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

static std::string arg(int argc, char** argv, const char* name, const char* fallback) {
  for (int i = 1; i + 1 < argc; ++i)
    if (std::strcmp(argv[i], name) == 0) return argv[i + 1];
  return fallback;
}

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: bench_graph_step SAE.h5 ACTS.h5 [--batch B] [--encode-rows R] [--codes OUT.h5]\n");
    return 2;
  }
  const std::int64_t B = std::atoll(arg(argc, argv, "--batch", "16384").c_str());
  const std::int64_t sub = std::atoll(arg(argc, argv, "--encode-rows", "4096").c_str());
  const std::string codes_out = arg(argc, argv, "--codes", "");
  const sae::Checkpoint ckpt = sae::read_checkpoint(argv[1], false);
  const io::ActivationStore store = io::ActivationStore::open(argv[2]);
  const std::int64_t d = ckpt.config.d_in, n = ckpt.config.n_features;
  auto cpu = backend::make_backend(backend::DeviceRequest::Cpu);
  std::vector<float> x(static_cast<std::size_t>(B * d));
  store.read_rows(0, B, x.data());

  // (a) the floor: one GEMM of the whole batch against W_enc.
  backend::Buffer<float> xb(*cpu, x.size()), w(*cpu, ckpt.params.w_enc.size()), z(*cpu, static_cast<std::size_t>(B * n));
  xb.copy_from_host(x);
  w.copy_from_host(ckpt.params.w_enc);
  double gemm = 1e30;
  for (int r = 0; r < 2; ++r) {
    const auto t = Clock::now();
    cpu->gemm(backend::Transpose::No, backend::Transpose::No, B, n, d, 1.0f, xb.data(), d, w.data(), n, 0.0f, z.data(), n);
    gemm = std::min(gemm, since(t));
  }
  z = backend::Buffer<float>();  // free 1 GiB before the step

  // (b) the step as coact graph runs it, (c) its accumulate part.
  sae::Sae model(*cpu, ckpt.config);
  model.from_host(ckpt.params);
  sae::Encoder encoder(model, sub);
  double step = 1e30, accumulate = 1e30;
  graph::SparseBatch codes;
  graph::CoactivationAccumulator last(n, 4, graph::ZeroPolicy::Positive);
  for (int r = 0; r < 2; ++r) {
    graph::CoactivationAccumulator acc(n, 4, graph::ZeroPolicy::Positive);
    const auto t = Clock::now();
    codes = graph::SparseBatch{};
    codes.rows = B;
    codes.features = n;
    codes.row_begin.assign(1, 0);
    for (std::int64_t first = 0; first < B; first += sub) {
      const std::int64_t count = std::min(sub, B - first);
      encoder.encode(x.data() + first * d, count);
      const sae::SparseCodesHost host = encoder.to_host();
      const std::int64_t base = codes.row_begin.back();
      for (std::int64_t i = 1; i <= count; ++i) codes.row_begin.push_back(base + host.offsets[static_cast<std::size_t>(i)]);
      codes.feature.insert(codes.feature.end(), host.index.begin(), host.index.end());
      codes.value.insert(codes.value.end(), host.value.begin(), host.value.end());
    }
    const auto ta = Clock::now();
    acc.add_batch(codes);
    accumulate = std::min(accumulate, since(ta));
    step = std::min(step, since(t));
    last = std::move(acc);
  }
  const double l0 = static_cast<double>(codes.feature.size()) / static_cast<double>(B);
  std::printf("graph step at B=%lld, d=%lld, n=%lld, L0 %.1f, %lld edges from this batch\n", static_cast<long long>(B),
              static_cast<long long>(d), static_cast<long long>(n), l0, static_cast<long long>(last.edges().size()));
  std::printf("(a) encoder GEMM alone (floor)          %8.3f s\n", gemm);
  std::printf("(b) whole graph step                   %8.3f s   %.2fx the floor (target <= 1.3)\n", step, step / gemm);
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
