// Activation correlation against the encoder GEMMs that produce the activations (the
// target: within 2x of their time at n = 16,384 x 16,384 over 819,200 tokens). Two TopK SAEs
// (random init, d_in = d) encode the same Gaussian tokens batch by batch on the cpu backend;
// timed per batch: the two encoder GEMMs alone (Backend::gemm, batch x d times d x n, the
// dense product that dominates encoding), the whole encode (GEMM, bias, TopK, codes to the
// host) and the correlation accumulation (CorrelationAccumulator::add_batch); then once the
// finalisation into the n1 x n2 correlation matrix. Prints one JSON object with per-token times
// and the extrapolation to `target` tokens.
//
//   bench_activation_correlation [n=16384] [d=2048] [tokens=16384] [batch=4096] [k=32] [target=819200]
#include <omp.h>

#include <cstdio>
#include <cstdlib>
#include <vector>

#include "coact/backend/buffer.h"
#include "coact/compare/activation_correlation.h"
#include "coact/core/json.h"
#include "coact/core/rng.h"
#include "coact/core/timer.h"
#include "coact/graph/batch_encoder.h"
#include "coact/sae/sae.h"

int main(int argc, char** argv) {
  using namespace coact;
  const auto arg = [&](int i, std::int64_t fallback) { return argc > i ? std::atoll(argv[i]) : fallback; };
  const std::int64_t n = arg(1, 16384), d = arg(2, 2048), tokens = arg(3, 16384), batch = arg(4, 4096), k = arg(5, 32);
  const std::int64_t target = arg(6, 819200);

  const auto compute = backend::make_backend(backend::DeviceRequest::Cpu, 0);
  sae::EncoderSpec spec;
  spec.kind = sae::EncoderKind::TopK;
  spec.k = k;
  sae::Sae first(*compute, d, n, spec), second(*compute, d, n, spec);
  first.init(1, sae::Recipe::TopK);
  second.init(2, sae::Recipe::TopK);
  graph::BatchEncoder encode_first(*compute, first, batch), encode_second(*compute, second, batch);
  Stopwatch setup;
  compare::CorrelationAccumulator accumulator(n, n);
  const double allocate_s = setup.seconds();

  std::vector<float> x(static_cast<std::size_t>(batch * d));
  backend::Buffer<float> x_device(*compute, x.size()), pre(*compute, static_cast<std::size_t>(batch * n));
  graph::SparseBatch codes_first, codes_second;
  double gemm_s = 0, encode_s = 0, accumulate_s = 0;
  std::int64_t nnz = 0, seen = 0;
  CounterRng rng(7, 0);
  for (std::int64_t first_row = 0; first_row < tokens; first_row += batch) {
    const std::int64_t rows = std::min(batch, tokens - first_row);
    for (std::int64_t e = 0; e < rows * d; ++e) x[static_cast<std::size_t>(e)] = static_cast<float>(rng.normal());
    compute->copy_bytes(x_device.data(), x.data(), static_cast<std::size_t>(rows * d) * sizeof(float), backend::CopyKind::HostToDevice);
    {
      Stopwatch clock;
      for (const sae::Sae* model : {&first, &second})  // pre = x · W_enc, as the encoder computes it
        compute->gemm(backend::Transpose::No, backend::Transpose::Yes, rows, n, d, 1.0f, x_device.data(), d, model->w_enc_t(), d,
                      0.0f, pre.data(), n);
      compute->synchronize();
      gemm_s += clock.seconds();
    }
    {
      Stopwatch clock;
      encode_first.encode(x.data(), rows, codes_first);
      encode_second.encode(x.data(), rows, codes_second);
      encode_s += clock.seconds();
    }
    {
      Stopwatch clock;
      accumulator.add_batch(codes_first.view(), codes_second.view());
      accumulate_s += clock.seconds();
    }
    nnz += static_cast<std::int64_t>(codes_first.feature.size() + codes_second.feature.size());
    seen += rows;
  }
  Stopwatch clock;
  const std::vector<float> correlation = accumulator.correlation();
  const double finalise_s = clock.seconds();

  const double per_token_gemm = gemm_s / static_cast<double>(seen), per_token_accumulate = accumulate_s / static_cast<double>(seen);
  const double at_target_gemm = per_token_gemm * static_cast<double>(target);
  const double at_target_correlation = per_token_accumulate * static_cast<double>(target) + finalise_s + allocate_s;
  JsonWriter j;
  j.begin_object().field("threads", omp_get_max_threads()).field("n", n).field("d", d).field("k", k).field("tokens", seen);
  j.field("batch", batch).field("mean_l0", static_cast<double>(nnz) / static_cast<double>(2 * seen));
  j.field("encoder_gemm_s", gemm_s).field("encode_s", encode_s).field("accumulate_s", accumulate_s);
  j.field("finalise_s", finalise_s).field("allocate_s", allocate_s);
  j.field("accumulate_per_gemm_per_token", per_token_accumulate / per_token_gemm);
  j.field("target_tokens", target).field("target_encoder_gemm_s", at_target_gemm).field("target_correlation_s", at_target_correlation);
  j.field("target_ratio", at_target_correlation / at_target_gemm);
  j.field("check_entry", static_cast<double>(correlation[0])).end_object();
  std::printf("%s\n", j.str().c_str());
  return 0;
}
