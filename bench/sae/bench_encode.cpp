// Benchmark of encoding a store with an SAE on the cpu backend: the encoder GEMM alone over the
// rows (the floor: (x − b_dec)·W_enc, which no implementation avoids) against coact's whole
// encoder (normalisation, GEMM, the kind's code selection, the CSR copied back), block by block
// as `coact encode` runs it. Writes the rows it encoded to OUT_ROWS (raw float32) so the
// PyTorch peer (torch_encode.py) encodes the same ones; run_encode_bench.sh runs both and the
// whole `coact encode` command.
//
//   bench_encode SAE STORE ROWS BLOCK THREADS OUT_ROWS
#include <algorithm>
#include <cstdio>
#include <fstream>
#include <vector>

#include "coact/backend/buffer.h"
#include "coact/core/errors.h"
#include "coact/core/timer.h"
#include "coact/io/activation_store.h"
#include "coact/sae/checkpoint.h"
#include "coact/sae/encoder.h"

int main(int argc, char** argv) {
  using namespace coact;
  if (argc != 7) {
    std::fprintf(stderr, "usage: bench_encode SAE STORE ROWS BLOCK THREADS OUT_ROWS\n");
    return 2;
  }
  try {
    const std::int64_t rows = std::atoll(argv[3]), block = std::atoll(argv[4]);
    backend::set_cpu_threads(std::atoi(argv[5]));
    const sae::Checkpoint checkpoint = sae::read_checkpoint(argv[1], false);
    const io::ActivationStore store = io::ActivationStore::open(argv[2]);
    const std::int64_t d = checkpoint.config.d_in, n = checkpoint.config.n_features;
    std::vector<float> x(static_cast<std::size_t>(rows * d));
    store.read_rows(0, rows, x.data());
    {
      std::ofstream out(argv[6], std::ios::binary);
      out.write(reinterpret_cast<const char*>(x.data()), static_cast<std::streamsize>(x.size() * sizeof(float)));
      if (!out) throw IoError(std::string(argv[6]) + ": cannot write");
    }
    const auto compute = backend::make_backend(backend::DeviceRequest::Cpu);
    const sae::Sae model = sae::make_sae(*compute, checkpoint);
    sae::Encoder encoder(model, block);
    backend::Buffer<float> device(*compute, static_cast<std::size_t>(block * d)), pre(*compute, static_cast<std::size_t>(block * n));

    // Block by block, the GEMM alone then the whole encoder on the same rows, so both see the
    // same machine load (other processes share the cores); a warm-up block first.
    std::int64_t nnz = 0;
    double gemm = 0.0, encode = 0.0;
    for (std::int64_t first = -block; first < rows; first += block) {
      const bool warm_up = first < 0;
      const std::int64_t start = warm_up ? 0 : first, count = std::min(block, rows - start);
      Stopwatch gemm_clock;
      compute->copy_bytes(device.data(), x.data() + start * d, static_cast<std::size_t>(count * d) * sizeof(float),
                          backend::CopyKind::HostToDevice);
      compute->gemm(backend::Transpose::No, backend::Transpose::Yes, count, n, d, 1.0f, device.data(), d,
                    model.w_enc_t(), d, 0.0f, pre.data(), n);
      const double g = gemm_clock.seconds();
      Stopwatch encode_clock;
      compute->copy_bytes(device.data(), x.data() + start * d, static_cast<std::size_t>(count * d) * sizeof(float),
                          backend::CopyKind::HostToDevice);
      encoder.encode(device.data(), count);
      const std::int64_t entries = static_cast<std::int64_t>(encoder.to_host().index.size());
      const double e = encode_clock.seconds();
      if (warm_up) continue;
      gemm += g;
      encode += e;
      nnz += entries;
    }
    std::printf("kind %s, d %lld, n %lld, %lld rows in blocks of %lld, threads %d, L0 %.1f\n",
                sae::to_string(checkpoint.encoder.kind), static_cast<long long>(d), static_cast<long long>(n),
                static_cast<long long>(rows), static_cast<long long>(block), backend::cpu_threads(),
                static_cast<double>(nnz) / static_cast<double>(rows));
    std::printf("encoder GEMM alone %.3f s; coact encoder %.3f s = %.0f tokens/s; encoder/GEMM %.3f\n", gemm, encode,
                static_cast<double>(rows) / encode, encode / gemm);
  } catch (const Error& e) {
    std::fprintf(stderr, "bench_encode: %s\n", e.what());
    return e.exit_code();
  }
  return 0;
}
