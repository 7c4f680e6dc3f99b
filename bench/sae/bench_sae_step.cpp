// Benchmark of one training step (compute_gradients + apply_update, one process) on the cpu
// backend, against the encoder GEMM alone (the floor: the one product no implementation avoids).
// Run by run_step_bench.sh beside a PyTorch implementation of the same nanda-1l step on the same
// weights and batch (torch_step.py), and by run_kinds_bench.sh for the batchtopk and jumprelu
// recipes beside dictionary_learning's trainers (torch_kinds_step.py).
//
//   bench_sae_step prepare DIR [--d D] [--n N] [--batch B] [--l0 L]
//       writes DIR/{w_enc,w_dec,b_enc_trained,x}.bin (raw float32) and DIR/meta.txt: nanda-1l
//       init weights, a batch, and a b_enc that makes the code's L0 about L on that batch
//   bench_sae_step time DIR --sparsity trained|init [--recipe R] [--repeats R] [--threads T] [--verify 0|1]
//                      [--precision fp32|bf16|tf32] [--device cpu|cuda]
//       median step time, tokens/s, the fp32 encoder GEMM's time (and the chosen precision's),
//       peak RSS; verifies the step by comparing its gradients with the other path's (dense vs
//       sparse) and prints the first step's loss
//   bench_sae_step sweep DIR [--repeats R]
//       gradient time of the dense and the sparse path over a range of L0 (the crossover that
//       sets SaeConfig::sparse_max_density)
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <random>
#include <string>

#include "coact/backend/backend.h"
#include "coact/backend/buffer.h"
#include "coact/core/errors.h"
#include "coact/core/timer.h"
#include "coact/sae/trainer.h"
#include "bench_driver.h"

namespace coact::sae {
namespace {

namespace fs = std::filesystem;

struct Args {
  std::string mode, dir;
  std::int64_t d = 2048, n = 16384, batch = 4096, repeats = 5;
  double l0 = 50;
  int threads = 0;
  bool verify = true;  // --verify 0 skips the dense/sparse cross-check (for profiling)
  std::string sparsity = "trained";
  std::string recipe = "nanda-1l";  // time: nanda-1l, batchtopk (k 32), matryoshka (k 32) or jumprelu (θ 0.001)
  backend::Precision precision = backend::Precision::Fp32;
  backend::DeviceRequest device = backend::DeviceRequest::Cpu;
};

Args parse(int argc, char** argv) {
  Args a;
  if (argc < 3) throw UsageError("usage: bench_sae_step prepare|time|sweep DIR [options]");
  a.mode = argv[1];
  a.dir = argv[2];
  for (int i = 3; i + 1 < argc; i += 2) {
    const std::string key = argv[i], value = argv[i + 1];
    if (key == "--d") a.d = std::stoll(value);
    else if (key == "--n") a.n = std::stoll(value);
    else if (key == "--batch") a.batch = std::stoll(value);
    else if (key == "--l0") a.l0 = std::stod(value);
    else if (key == "--repeats") a.repeats = std::stoll(value);
    else if (key == "--threads") a.threads = std::stoi(value);
    else if (key == "--sparsity") a.sparsity = value;
    else if (key == "--verify") a.verify = value != "0";
    else if (key == "--recipe") a.recipe = value;
    else if (key == "--precision") a.precision = backend::parse_precision(value);
    else if (key == "--device") a.device = backend::parse_device_request(value);
    else throw UsageError("bench_sae_step: unknown option " + key);
  }
  if (a.repeats < 1) throw UsageError("--repeats must be at least 1");
  return a;
}

void write_bin(const fs::path& path, const std::vector<float>& v) {
  std::ofstream out(path, std::ios::binary);
  out.write(reinterpret_cast<const char*>(v.data()), static_cast<std::streamsize>(v.size() * sizeof(float)));
  if (!out) throw IoError("cannot write " + path.string());
}

// Reads a raw float32 file straight into `out` (device = host memory on cpu).
void read_bin(const fs::path& path, float* out, std::size_t count) {
  std::ifstream in(path, std::ios::binary);
  in.read(reinterpret_cast<char*>(out), static_cast<std::streamsize>(count * sizeof(float)));
  if (!in) throw InputError(path.string() + ": expected " + std::to_string(count) + " float32 values");
}

std::map<std::string, std::int64_t> read_meta(const fs::path& dir) {
  std::map<std::string, std::int64_t> meta;
  std::ifstream in(dir / "meta.txt");
  std::string key;
  std::int64_t value;
  while (in >> key >> value) meta[key] = value;
  if (meta.size() < 3) throw InputError((dir / "meta.txt").string() + ": run `bench_sae_step prepare` first");
  return meta;
}

std::string proc_status(const char* field) {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line))
    if (line.rfind(field, 0) == 0) return line.substr(std::strlen(field));
  return "?";
}

double status_mib(const char* field) { return std::stod(proc_status(field)) / 1024.0; }  // "  123 kB"

// ---- prepare -------------------------------------------------------------------------------

void prepare(const Args& a) {
  fs::create_directories(a.dir);
  auto backend = backend::make_backend(backend::DeviceRequest::Cpu);
  const SaeConfig c = default_config(Recipe::Nanda1L, a.d, a.n, 52);
  Sae sae(*backend, c);
  sae.init(c.seed, c.recipe);
  // A batch with a mean and correlated dimensions, like MLP activations more than white noise.
  std::vector<float> x(static_cast<std::size_t>(a.batch * a.d));
  std::mt19937 gen(7);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  std::vector<float> common(16);
  for (std::int64_t r = 0; r < a.batch; ++r) {
    for (auto& f : common) f = normal(gen);
    for (std::int64_t i = 0; i < a.d; ++i)
      x[r * a.d + i] = 0.3f * normal(gen) + 0.5f * common[i % 16] + 0.1f * static_cast<float>(i % 7);
  }
  // b_enc[j] = −(F_j-th largest pre-activation of feature j on this batch), F_j = L0·B/n on
  // average: every feature fires on ~F_j tokens, so the code's L0 is ~L0 (a trained-like code).
  backend::Buffer<float> dx(*backend, x.size()), pre(*backend, static_cast<std::size_t>(a.batch * a.n));
  dx.copy_from_host(x);
  backend::Buffer<float> xc(*backend, x.size());
  backend->add_row_vector(a.batch, a.d, -1.0f, sae.b_dec(), dx.data(), xc.data());
  backend->gemm(backend::Transpose::No, backend::Transpose::Yes, a.batch, a.n, a.d, 1.0f, xc.data(), a.d,
                sae.w_enc_t(), a.d, 0.0f, pre.data(), a.n);
  std::vector<float> b_enc(static_cast<std::size_t>(a.n)), column(static_cast<std::size_t>(a.batch));
  const double per_feature = a.l0 * static_cast<double>(a.batch) / static_cast<double>(a.n);
  for (std::int64_t j = 0; j < a.n; ++j) {
    const auto fires = static_cast<std::int64_t>(std::floor(per_feature * (j + 1)) - std::floor(per_feature * j));
    for (std::int64_t r = 0; r < a.batch; ++r) column[r] = pre.data()[r * a.n + j];
    std::sort(column.begin(), column.end(), std::greater<float>());
    // Between the fires-th and the next value: exactly `fires` tokens are active.
    const float cut = fires <= 0 ? column[0] : 0.5f * (column[fires - 1] + column[std::min(fires, a.batch - 1)]);
    b_enc[j] = -cut;
  }
  const SaeTensors t = sae.to_host();
  write_bin(fs::path(a.dir) / "w_enc.bin", t.w_enc);
  write_bin(fs::path(a.dir) / "w_dec.bin", t.w_dec);
  write_bin(fs::path(a.dir) / "b_enc_trained.bin", b_enc);
  write_bin(fs::path(a.dir) / "x.bin", x);
  std::ofstream(fs::path(a.dir) / "meta.txt") << "d " << a.d << "\nn " << a.n << "\nbatch " << a.batch << "\nl0 "
                                              << static_cast<std::int64_t>(a.l0) << "\n";
  std::cout << "prepared " << a.dir << ": d " << a.d << ", n " << a.n << ", batch " << a.batch << ", target L0 "
            << a.l0 << "\n";
}

// ---- time ----------------------------------------------------------------------------------

struct Loaded {
  std::unique_ptr<backend::Backend> backend;
  SaeConfig config;
  std::unique_ptr<Sae> sae;
  backend::Buffer<float> x;
};

// Loads the prepared problem into the backend's memory (on the cpu straight into the SAE, with no
// host copies left behind, so the resident set afterwards is what training holds; on a GPU
// through host copies).
Loaded load(const Args& a, const std::string& sparsity, ComputePath path) {
  const auto meta = read_meta(a.dir);
  Loaded l;
  l.backend = backend::make_backend(a.device);
  l.backend->require_precision(a.precision);
  if (l.backend->kind() != backend::DeviceKind::Cpu) {
    const std::int64_t d = meta.at("d"), n = meta.at("n"), rows = meta.at("batch");
    l.config = default_config(Recipe::Nanda1L, d, n, 52);
    l.config.path = path;
    l.config.precision = a.precision;
    l.sae = std::make_unique<Sae>(*l.backend, l.config);
    SaeTensors t = SaeTensors::zeros(d, n);
    read_bin(fs::path(a.dir) / "w_enc.bin", t.w_enc.data(), t.w_enc.size());
    read_bin(fs::path(a.dir) / "w_dec.bin", t.w_dec.data(), t.w_dec.size());
    if (sparsity == "trained") read_bin(fs::path(a.dir) / "b_enc_trained.bin", t.b_enc.data(), t.b_enc.size());
    l.sae->from_host(t);
    std::vector<float> x(static_cast<std::size_t>(rows * d));
    read_bin(fs::path(a.dir) / "x.bin", x.data(), x.size());
    l.x = backend::Buffer<float>(*l.backend, x.size());
    l.x.copy_from_host(x);
    return l;
  }
  l.config = default_config(parse_recipe(a.recipe), meta.at("d"), meta.at("n"), 52);
  l.config.path = path;
  l.config.precision = a.precision;
  l.config.lr_warmup_steps = 0;
  l.config.l0_warmup_steps = 0;
  l.config.threshold_start_step = 0;  // batchtopk learns its threshold every step
  if (l.config.recipe == Recipe::Matryoshka) {
    // Five levels of dictionary_learning's demo fractions 1/32, 1/16, 1/8, 1/4 and the rest.
    const std::int64_t n = meta.at("n"), w1 = n / 32, w2 = w1 + n / 16, w3 = w2 + n / 8, w4 = w3 + n / 4;
    l.config.matryoshka_widths = str(w1, ",", w2, ",", w3, ",", w4, ",", n);
  }
  l.sae = std::make_unique<Sae>(*l.backend, l.config);
  if (l.sae->threshold() != nullptr) l.backend->fill(meta.at("n"), static_cast<float>(l.config.threshold_init), l.sae->threshold());
  const std::int64_t d = l.config.d_in, n = l.config.n_features, rows = meta.at("batch");
  // w_enc.bin is W_enc [d, n]; the SAE stores W_encᵀ: read rows of d×n and transpose in blocks.
  {
    std::vector<float> block(static_cast<std::size_t>(64 * n));
    std::ifstream in(fs::path(a.dir) / "w_enc.bin", std::ios::binary);
    for (std::int64_t i0 = 0; i0 < d; i0 += 64) {
      const std::int64_t count = std::min<std::int64_t>(64, d - i0);
      in.read(reinterpret_cast<char*>(block.data()), static_cast<std::streamsize>(count * n * sizeof(float)));
      if (!in) throw InputError("w_enc.bin is short");
      for (std::int64_t i = 0; i < count; ++i)
        for (std::int64_t j = 0; j < n; ++j) l.sae->w_enc_t()[j * d + i0 + i] = block[i * n + j];
    }
  }
  read_bin(fs::path(a.dir) / "w_dec.bin", l.sae->w_dec(), static_cast<std::size_t>(n * d));
  if (sparsity == "trained") read_bin(fs::path(a.dir) / "b_enc_trained.bin", l.sae->b_enc(), static_cast<std::size_t>(n));
  l.x = backend::Buffer<float>(*l.backend, static_cast<std::size_t>(rows * d));
  read_bin(fs::path(a.dir) / "x.bin", l.x.data(), l.x.size());
  return l;
}

// A trainer past the data initialisation (b_dec stays the prepared zeros).
std::unique_ptr<SaeTrainer> make_trainer(Loaded& l, const SaeConfig& c, std::int64_t rows) {
  auto trainer = std::make_unique<SaeTrainer>(*l.sae, c, rows);
  TrainerState s = trainer->state();
  s.data_initialized = true;
  trainer->set_state(s);
  return trainer;
}

std::vector<float> gradients(Loaded& l, ComputePath path, std::int64_t rows) {
  SaeConfig c = l.config;
  c.path = path;
  auto made = make_trainer(l, c, rows);
  SaeTrainer& trainer = *made;
  trainer.compute_gradients(l.x.data(), rows, rows);
  auto flat = std::vector<float>(trainer.reduce_count());
  l.backend->copy_bytes(flat.data(), trainer.reduce_buffer(), flat.size() * sizeof(float),
                        backend::CopyKind::DeviceToHost);
  return flat;
}

double relative_error(const std::vector<float>& a, const std::vector<float>& b) {
  double err = 0, ref = 0;
  for (std::size_t i = 0; i < a.size(); ++i) {
    err += (static_cast<double>(a[i]) - b[i]) * (static_cast<double>(a[i]) - b[i]);
    ref += static_cast<double>(b[i]) * b[i];
  }
  return std::sqrt(err / ref);
}

void time_step(const Args& a) {
  const auto meta = read_meta(a.dir);
  const std::int64_t rows = meta.at("batch");
  Loaded l = load(a, a.sparsity, ComputePath::Auto);
  const std::int64_t d = l.config.d_in, n = l.config.n_features;
  std::printf("device %s\n", l.backend->description().c_str());

  // Verification first (the bench's own allocations are freed before timing): gradients of the
  // auto-chosen path against the other path's, on the same weights.
  double verify_error = 0.0;
  std::string verified_against = "no";
  if (a.verify) {
    auto probe = make_trainer(l, l.config, rows);
    probe->compute_gradients(l.x.data(), rows, rows);
    const ComputePath chosen = probe->last_local().path;
    const ComputePath other = chosen == ComputePath::Sparse ? ComputePath::Dense : ComputePath::Sparse;
    verified_against = to_string(other);
    verify_error = relative_error(gradients(l, chosen, rows), gradients(l, other, rows));
  }

  // The floor: the fp32 encoder GEMM alone, on its own output buffer (and the same GEMM in the
  // step's precision). The two alternate, so both see the same machine state.
  bench::Samples gemm_seconds, precision_gemm_seconds;
  {
    backend::Buffer<float> pre(*l.backend, static_cast<std::size_t>(rows * n));
    for (std::int64_t r = 0; r <= a.repeats; ++r) {
      Stopwatch watch;
      l.backend->gemm(backend::Transpose::No, backend::Transpose::Yes, rows, n, d, 1.0f, l.x.data(), d,
                      l.sae->w_enc_t(), d, 0.0f, pre.data(), n);
      l.backend->synchronize();
      if (r > 0) gemm_seconds.add(watch.seconds());  // the first run warms up
      watch.restart();
      l.backend->gemm_mixed(a.precision, backend::Transpose::No, backend::Transpose::Yes, rows, n, d, 1.0f,
                            l.x.data(), d, l.sae->w_enc_t(), d, 0.0f, pre.data(), n);
      l.backend->synchronize();
      if (r > 0) precision_gemm_seconds.add(watch.seconds());
    }
  }

  const double rss_before = status_mib("VmRSS:");
  { std::ofstream("/proc/self/clear_refs") << "5"; }  // reset VmHWM: the peak of the steps alone
  // The gradients are timed inside each step, so one loop records both; the first step warms up
  // and gives the loss and the path (its time is not a sample).
  bench::Samples step_seconds, gradient_seconds;
  LocalStepInfo info;
  double first_loss = 0.0;
  {
    auto made = make_trainer(l, l.config, rows);
    SaeTrainer& trainer = *made;
    for (std::int64_t r = 0; r <= a.repeats; ++r) {
      Stopwatch watch;
      trainer.compute_gradients(l.x.data(), rows, rows);
      l.backend->synchronize();
      const double gradient_time = watch.seconds();
      const StepMetrics m = trainer.apply_update();
      const double step_time = watch.seconds();
      if (r == 0) {
        first_loss = m.loss;
        info = trainer.last_local();
      } else {
        step_seconds.add(step_time);
        gradient_seconds.add(gradient_time);
      }
    }
  }
  const double peak_steps = status_mib("VmHWM:");
  const double step = step_seconds.median(), gemm = gemm_seconds.median();
  const auto mib = [](double floats) { return floats * 4.0 / (1024.0 * 1024.0); };
  const ParamLayout p = ParamLayout::make(d, n);
  const double params = mib(static_cast<double>(p.count));
  const double batch = mib(static_cast<double>(rows * d)), pre = mib(static_cast<double>(rows * n));
  std::printf("recipe %s, sparsity %s: path %s, L0 %.1f (density %.4f), threads %d, precision %s (%s)\n", a.recipe.c_str(),
              a.sparsity.c_str(), to_string(info.path), info.density * static_cast<double>(n), info.density,
              l.backend->kind() == backend::DeviceKind::Cpu ? backend::cpu_threads() : 0,
              backend::to_string(a.precision), l.backend->precision_description(a.precision).c_str());
  std::printf("step %.3f s (gradients %.3f s) = %.0f tokens/s; encoder GEMM alone %.3f s; step/GEMM %.2f\n", step,
              gradient_seconds.median(), static_cast<double>(rows) / step, gemm, step / gemm);
  std::printf("encoder GEMM in %s %.3f s (%.2fx the fp32 GEMM)\n", backend::to_string(a.precision),
              precision_gemm_seconds.median(), precision_gemm_seconds.median() / gemm);
  std::printf("first step loss %.9g\n", first_loss);
  std::printf("verified: gradients agree with the %s path to %.2e relative\n", verified_against.c_str(), verify_error);
  std::printf("memory MiB: parameters %.0f, gradients %.0f, Adam %.0f, batch x %.0f, pre-activations %.0f = %.0f; "
              "RSS before steps %.0f, peak during steps %.0f (%.2fx), process peak %s\n",
              params, params, 2 * params, batch, pre, 4 * params + batch + pre, rss_before, peak_steps,
              peak_steps / (4 * params + batch + pre), proc_status("VmPeak:").c_str());
  // bf16 rounds the dense path's GEMM operands (the sparse path's products stay fp32): the two
  // paths then differ by about 2^-8 relative.
  const double tolerance = a.precision == backend::Precision::Fp32 ? 1e-4 : 2e-2;
  bench::Verification verification;  // nothing checked with --verify 0, and the line says so
  if (a.verify) verification.check(verify_error <= tolerance);
  verification.print(stdout);
  if (!verification.ok()) throw NumericError("verification failed: dense and sparse gradients differ");
}

// ---- sweep ---------------------------------------------------------------------------------

void sweep(const Args& a) {
  const auto meta = read_meta(a.dir);
  const std::int64_t rows = meta.at("batch");
  Loaded l = load(a, "trained", ComputePath::Auto);
  const std::int64_t n = l.config.n_features;
  std::vector<float> b_enc(l.sae->b_enc(), l.sae->b_enc() + n);
  const std::int64_t base_l0 = meta.at("l0");
  std::printf("L0      density   dense s   sparse s\n");
  std::fflush(stdout);
  for (const double shift : {0.0, 0.2, 0.4, 0.6}) {
    // Raising b_enc uniformly adds active entries.
    for (std::int64_t j = 0; j < n; ++j) l.sae->b_enc()[j] = b_enc[j] + static_cast<float>(shift);
    double times[2] = {0, 0};
    double density = 0;
    for (int which = 0; which < 2; ++which) {
      SaeConfig c = l.config;
      c.path = which == 0 ? ComputePath::Dense : ComputePath::Sparse;
      SaeTrainer trainer(*l.sae, c, rows);
      // One untimed warm-up call, then the median of --repeats gradient computations.
      times[which] = bench::time_runs(1, static_cast<int>(a.repeats), [&] {
        trainer.compute_gradients(l.x.data(), rows, rows);
      }).median();
      density = trainer.last_local().density;
    }
    std::printf("%-7.0f %-9.4f %-9.3f %-9.3f\n", density * static_cast<double>(n), density, times[0], times[1]);
    std::fflush(stdout);
  }
  (void)base_l0;
}

}  // namespace
}  // namespace coact::sae

int main(int argc, char** argv) {
  try {
    const auto args = coact::sae::parse(argc, argv);
    if (args.threads > 0) coact::backend::set_cpu_threads(args.threads);
    if (args.mode == "prepare") coact::sae::prepare(args);
    else if (args.mode == "time") coact::sae::time_step(args);
    else if (args.mode == "sweep") coact::sae::sweep(args);
    else throw coact::UsageError("bench_sae_step: mode must be prepare, time or sweep");
  } catch (const coact::Error& e) {
    std::fprintf(stderr, "bench_sae_step: %s\n", e.what());
    return e.exit_code();
  }
  return 0;
}
