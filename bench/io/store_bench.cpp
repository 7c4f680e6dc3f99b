// Activation store throughput from the page cache.
//
//   bench_store [--dir DIR] [--rows N] [--d D] [--n N_FEATURES]
//
// 1. Ordered batches (graph building) against the floor: a plain sequential read() of the same
//    file into a buffer of the same size. Target: >= 70% of the plain read.
// 2. The shuffled training stream (random rows, prefetch thread) in tokens/s against what the
//    SAE trainer can consume at best: one encoder GEMM per batch (batch 4096, d × n), measured in
//    the same run on the cpu backend. Target: >= 10x.
// Every batch is checked (first value of each row identifies the row) so a fast wrong read
// cannot be reported.
#include <fcntl.h>
#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

#include "coact/backend/backend.h"
#include "coact/backend/buffer.h"
#include "coact/core/timer.h"
#include "coact/io/activation_store.h"
#include "coact/io/activation_writer.h"
#include "coact/io/batch_reader.h"
#include "coact/io/shuffle.h"
#include "bench_driver.h"

using namespace coact;

namespace {

std::string arg(int argc, char** argv, const char* name, const char* fallback) {
  for (int i = 1; i + 1 < argc; ++i)
    if (std::strcmp(argv[i], name) == 0) return argv[i + 1];
  return fallback;
}

// Row r column 0 holds r (exact in float32 below 2^24); the rest is a pattern.
void write_store(const std::string& path, std::int64_t rows, std::int64_t d) {
  io::ActivationWriterOptions options;
  options.rows = rows;
  options.d = d;
  options.source = "bench";
  io::ActivationWriter writer(path, true, nullptr, options);
  const std::int64_t block = 4096;
  std::vector<float> buffer(static_cast<std::size_t>(block * d));
  for (std::int64_t first = 0; first < rows; first += block) {
    const std::int64_t count = std::min(block, rows - first);
    for (std::int64_t r = 0; r < count; ++r) {
      float* row = buffer.data() + r * d;
      row[0] = static_cast<float>(first + r);
      for (std::int64_t c = 1; c < d; ++c) row[c] = static_cast<float>((first + r + c) % 97) * 0.01f;
    }
    writer.write_rows(first, count, buffer.data());
  }
  writer.finish();
}

double plain_read_seconds(const std::string& path, std::size_t buffer_bytes, std::size_t* total) {
  std::vector<char> buffer(buffer_bytes);
  const int fd = ::open(path.c_str(), O_RDONLY);
  if (fd < 0) std::exit(1);
  const Stopwatch clock;
  std::size_t bytes = 0;
  ssize_t got;
  while ((got = ::read(fd, buffer.data(), buffer.size())) > 0) bytes += static_cast<std::size_t>(got);
  const double t = clock.seconds();
  ::close(fd);
  *total = bytes;
  return t;
}

}  // namespace

int main(int argc, char** argv) {
  const std::string dir = arg(argc, argv, "--dir", "/tmp/coact_bench_store");
  const std::int64_t rows = std::atoll(arg(argc, argv, "--rows", "262144").c_str());
  const std::int64_t d = std::atoll(arg(argc, argv, "--d", "2048").c_str());
  const std::int64_t n = std::atoll(arg(argc, argv, "--n", "16384").c_str());
  std::filesystem::create_directories(dir);
  const std::string path = dir + "/bench_acts.h5";
  if (!std::filesystem::exists(path) || io::ActivationStore::open(path).rows() != rows || io::ActivationStore::open(path).d() != d) {
    std::printf("writing %s (%lld rows x %lld, %.2f GiB)\n", path.c_str(), static_cast<long long>(rows),
                static_cast<long long>(d), static_cast<double>(rows * d * 4) / (1 << 30));
    write_store(path, rows, d);
  }
  const io::ActivationStore store = io::ActivationStore::open(path);
  const double data_bytes = static_cast<double>(rows * d * 4);
  std::printf("store: %s, %lld rows, d=%lld, memory-mapped=%d, threads=%d\n", path.c_str(), static_cast<long long>(rows),
              static_cast<long long>(d), store.memory_mapped() ? 1 : 0, backend::cpu_threads());

  // Warm the page cache, then take the best of three of each reader.
  std::size_t file_bytes = 0;
  plain_read_seconds(path, 16u << 20, &file_bytes);
  const std::int64_t batch_rows = 16384;
  // The two readers alternate trial by trial, so both see the same machine load; the check of
  // each row stays inside the timed loop, as a consumer of the batches would touch them.
  bench::Samples plain_s, ordered_s;
  bench::Verification verification;
  for (int trial = 0; trial < 3; ++trial) {
    plain_s.add(plain_read_seconds(path, static_cast<std::size_t>(batch_rows * d * 4), &file_bytes));
    const Stopwatch clock;
    io::OrderedBatchReader reader(store, batch_rows, 0, 0, 1);
    io::OrderedBatch batch;
    while (reader.next(batch))
      for (std::int64_t r = 0; r < batch.rows; ++r)
        verification.check(batch.values[r * d] == static_cast<float>(batch.first_row + r));
    ordered_s.add(clock.seconds());
  }
  const double plain = plain_s.min(), ordered = ordered_s.min();
  const double plain_rate = static_cast<double>(file_bytes) / plain / 1e9;
  const double ordered_rate = (data_bytes - std::fmod(data_bytes, static_cast<double>(batch_rows * d * 4))) / ordered / 1e9;
  std::printf("\n%-46s %10s %10s\n", "reader (page cache)", "GB/s", "vs plain");
  std::printf("%-46s %10.2f %10s\n", "plain sequential read() of the file (floor)", plain_rate, "1.00");
  std::printf("%-46s %10.2f %10.2f\n", "coact ordered batches (B=16384, prefetch)", ordered_rate, ordered_rate / plain_rate);

  // Shuffled stream: global batch 4096, as rank 0 of 1 and of 2.
  const std::int64_t train_batch = 4096, steps = 200;
  double stream_tokens_per_s[2] = {0, 0};
  for (int ranks : {1, 2}) {
    Stopwatch clock;
    io::ShuffledStream stream(store, {.seed = 52, .batch_rows = train_batch, .buffer_rows = 0, .chunk_rows = 4096}, 0, ranks,
                              0, steps);
    const double t0 = clock.seconds();  // schedule set-up
    clock.restart();
    for (std::int64_t s = 0; s < steps; ++s) {
      const float* v = stream.next();
      for (std::int64_t r = 0; r < stream.local_rows(); ++r) {
        const float id = v[r * d];
        verification.check(id >= 0 && id < static_cast<float>(rows) && id == std::floor(id));
      }
    }
    const double t = clock.seconds();
    stream_tokens_per_s[ranks - 1] = static_cast<double>(steps * stream.local_rows()) / t;
    std::printf("shuffled stream, rank 0 of %d: %.0f tokens/s (%lld rows per step, set-up %.2fs, waited %.2fs)\n", ranks,
                stream_tokens_per_s[ranks - 1], static_cast<long long>(stream.local_rows()), t0, stream.wait_seconds());
  }

  // The trainer's ceiling: one encoder GEMM (batch × d) · (d × n) per step, nothing else.
  auto cpu = backend::make_backend(backend::DeviceRequest::Cpu);
  backend::Buffer<float> x(*cpu, static_cast<std::size_t>(train_batch * d)), w(*cpu, static_cast<std::size_t>(d * n)),
      z(*cpu, static_cast<std::size_t>(train_batch * n));
  cpu->fill(train_batch * d, 0.01f, x.data());
  cpu->fill(d * n, 0.02f, w.data());
  const double gemm = bench::time_runs(0, 3, [&] {
    cpu->gemm(backend::Transpose::No, backend::Transpose::No, train_batch, n, d, 1.0f, x.data(), d, w.data(), n, 0.0f,
              z.data(), n);
  }).min();
  const double trainer_ceiling = static_cast<double>(train_batch) / gemm;
  std::printf("trainer ceiling (encoder GEMM %lldx%lldx%lld alone: %.3fs): %.0f tokens/s\n", static_cast<long long>(train_batch),
              static_cast<long long>(d), static_cast<long long>(n), gemm, trainer_ceiling);
  std::printf("shuffled stream / trainer ceiling: %.1fx (1 rank), %.1fx (rank 0 of 2, per rank vs per-rank need %.0f)\n",
              stream_tokens_per_s[0] / trainer_ceiling, stream_tokens_per_s[1] / (trainer_ceiling / 2),
              trainer_ceiling / 2);
  verification.print(stdout);
  return verification.exit_code();
}
