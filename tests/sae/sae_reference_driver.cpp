// Runs single training steps of every recipe on small, fixed problems and writes the inputs and
// the C++ results (loss parts, every gradient, updated parameters and Adam moments, resampled
// features, thresholds) as .npy files for tools/sae_reference.py, which recomputes everything
// with NumPy.
//
//   sae_reference_driver OUT_DIR      → OUT_DIR/<case>/*.npy + config.txt, OUT_DIR/init/*.npy
#include <cmath>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <random>

#include "coact/backend/backend.h"
#include "coact/backend/buffer.h"
#include "coact/sae/trainer.h"
#include "npy.h"

namespace coact::sae {
namespace {

namespace fs = std::filesystem;
using testing::write_npy;

constexpr std::int64_t kD = 24, kN = 64, kRows = 48;
constexpr std::uint64_t kSeed = 1234;

std::vector<float> uniform(std::size_t count, std::mt19937& gen, float lo, float hi) {
  std::uniform_real_distribution<float> dist(lo, hi);
  std::vector<float> v(count);
  for (auto& x : v) x = dist(gen);
  return v;
}

void write_tensors(const fs::path& dir, const std::string& prefix, const SaeTensors& t) {
  write_npy((dir / (prefix + "w_enc.npy")).string(), t.w_enc, {t.d_in, t.n_features});
  write_npy((dir / (prefix + "b_enc.npy")).string(), t.b_enc, {t.n_features});
  write_npy((dir / (prefix + "w_dec.npy")).string(), t.w_dec, {t.n_features, t.d_in});
  write_npy((dir / (prefix + "b_dec.npy")).string(), t.b_dec, {t.d_in});
  if (!t.threshold.empty()) write_npy((dir / (prefix + "threshold.npy")).string(), t.threshold, {t.n_features});
}

struct Case {
  std::string name;
  SaeConfig config;
  bool data_init = false;           // topk: b_dec from this batch instead of a random one
  std::int64_t dead_features = 0;   // topk: this many features start dead
  bool silence_features = false;    // nanda resampling: some features never fire
};

std::vector<float> zeros_like(const std::vector<float>& v) { return std::vector<float>(v.size(), 0.0f); }

void run_case(backend::Backend& backend, const fs::path& root, const Case& c) {
  const fs::path dir = root / c.name;
  fs::create_directories(dir);
  std::mt19937 gen(static_cast<unsigned>(std::hash<std::string>{}(c.name) & 0xffff));
  Sae sae(backend, c.config);
  sae.init(c.config.seed, c.config.recipe, c.config.threshold_init);
  SaeTensors params = sae.to_host();
  // Move away from the symmetric start so every gradient term is exercised.
  params.b_dec = uniform(kD, gen, -0.3f, 0.3f);
  if (c.config.recipe == Recipe::Nanda1L) {
    params.b_enc = uniform(kN, gen, -1.3f, -0.7f);  // ~15% active
    if (c.silence_features)
      for (std::int64_t j = 0; j < kN; j += 5) params.b_enc[j] = -100.0f;
  } else {
    params.b_enc = uniform(kN, gen, -0.1f, 0.1f);
  }
  if (c.config.recipe == Recipe::JumpRelu) params.threshold = uniform(kN, gen, 0.05f, 0.6f);
  if (selects_over_batch(c.config.recipe)) params.threshold.assign(kN, 0.37f);  // learned at earlier steps
  sae.from_host(params);

  // A batch with a mean offset and unequal scales per dimension.
  std::vector<float> x = uniform(kRows * kD, gen, -1.5f, 1.5f);
  for (std::int64_t r = 0; r < kRows; ++r)
    for (std::int64_t i = 0; i < kD; ++i) x[r * kD + i] = x[r * kD + i] * (1.0f + 0.05f * i) + 0.2f;

  SaeTrainer trainer(sae, c.config, kRows);
  TrainerState state = trainer.state();
  state.step = 5;  // a warm optimiser: moments from "earlier steps"
  state.adam_m.w_enc = uniform(kD * kN, gen, -1e-2f, 1e-2f);
  state.adam_m.w_dec = uniform(kN * kD, gen, -1e-2f, 1e-2f);
  state.adam_m.b_enc = uniform(kN, gen, -1e-2f, 1e-2f);
  state.adam_m.b_dec = uniform(kD, gen, -1e-2f, 1e-2f);
  state.adam_v.w_enc = uniform(kD * kN, gen, 1e-4f, 1e-3f);
  state.adam_v.w_dec = uniform(kN * kD, gen, 1e-4f, 1e-3f);
  state.adam_v.b_enc = uniform(kN, gen, 1e-4f, 1e-3f);
  state.adam_v.b_dec = uniform(kD, gen, 1e-4f, 1e-3f);
  if (c.config.recipe == Recipe::JumpRelu) {
    state.adam_m.threshold = uniform(kN, gen, -1e-2f, 1e-2f);
    state.adam_v.threshold = uniform(kN, gen, 1e-4f, 1e-3f);
  } else if (selects_over_batch(c.config.recipe)) {
    // Adam never moves batchtopk's threshold: its gradient is always zero, so are its moments.
    state.adam_m.threshold = zeros_like(state.adam_m.threshold);
    state.adam_v.threshold = zeros_like(state.adam_v.threshold);
  }
  for (std::int64_t j = 0; j < c.dead_features; ++j) state.tokens_since_fired[j * 7 % kN] = 20'000'000;
  if (c.silence_features) {  // earlier steps of the window: silenced features 0, 10, 20, ... fired once
    state.window_tokens = 2 * kRows;
    for (std::int64_t j = 0; j < kN; j += 10) state.window_fires[j] = 1.0;
  }
  state.data_initialized = !c.data_init;
  trainer.set_state(state);

  backend::Buffer<float> batch(backend, x.size());
  batch.copy_from_host(x);
  if (trainer.needs_data_init()) {
    trainer.compute_data_init(batch.data(), kRows);
    trainer.apply_data_init();
  }
  const SaeTensors before = sae.to_host();
  const TrainerState state_before = trainer.state();
  write_tensors(dir, "in_", before);
  write_tensors(dir, "in_m_", state_before.adam_m);
  write_tensors(dir, "in_v_", state_before.adam_v);
  write_npy((dir / "x.npy").string(), x, {kRows, kD});
  write_npy((dir / "in_since_fired.npy").string(), state_before.tokens_since_fired, {kN});
  write_npy((dir / "in_window_fires.npy").string(), state_before.window_fires, {kN});

  trainer.compute_gradients(batch.data(), kRows, kRows);
  write_tensors(dir, "grad_", trainer.gradients_to_host());
  const LocalStepInfo local = trainer.last_local();
  const StepMetrics m = trainer.apply_update();
  write_tensors(dir, "out_", sae.to_host());
  const TrainerState after = trainer.state();
  write_tensors(dir, "out_m_", after.adam_m);
  write_tensors(dir, "out_v_", after.adam_v);
  std::vector<std::int32_t> resampled = trainer.last_resampled();
  write_npy((dir / "resampled.npy").string(), resampled, {static_cast<std::int64_t>(resampled.size())});

  const SaeConfig& k = c.config;
  std::ofstream cfg(dir / "config.txt");
  cfg.precision(17);
  cfg << "recipe " << to_string(k.recipe) << "\npath " << to_string(local.path) << "\nseed " << k.seed
      << "\nlr " << k.lr << "\nadam_beta1 " << k.adam_beta1 << "\nadam_beta2 " << k.adam_beta2 << "\nadam_eps "
      << k.adam_eps << "\nlr_warmup_steps " << k.lr_warmup_steps << "\nlr_decay_steps " << k.lr_decay_steps
      << "\nl1_coeff " << k.l1_coeff << "\nproject_decoder_grad " << k.project_decoder_grad
      << "\nrenormalize_decoder " << k.renormalize_decoder << "\nresample_every " << k.resample_every
      << "\nresample_window " << k.resample_window << "\nresample_threshold " << k.resample_threshold
      << "\nin_window_tokens " << state_before.window_tokens << "\nk " << k.k << "\nk_aux " << effective_k_aux(k)
      << "\nauxk_alpha " << k.auxk_alpha << "\ndead_tokens " << k.dead_tokens << "\nsubtract_b_dec "
      << k.subtract_b_dec << "\nthreshold_beta " << k.threshold_beta << "\nthreshold_start_step "
      << k.threshold_start_step << "\nl0_coeff " << k.l0_coeff << "\nl0_warmup_steps " << k.l0_warmup_steps
      << "\nbandwidth " << k.bandwidth << "\nband_nnz " << local.band_nnz << "\nstep_before " << state_before.step
      << "\ndata_init " << c.data_init << "\nloss " << m.loss << "\nl2 " << m.l2 << "\nl1 " << m.l1 << "\nl0 "
      << m.l0 << "\nfvu " << m.fvu << "\nauxk " << m.auxk << "\nlr_used " << m.lr << "\nstep " << m.step
      << "\nnnz " << local.nnz << "\naux_nnz " << local.aux_nnz << "\ninner_l2 " << m.inner_l2 << "\n";
  if (k.recipe == Recipe::Matryoshka) cfg << "matryoshka_widths " << k.matryoshka_widths << "\n";
  std::cout << c.name << ": path " << to_string(local.path) << ", density " << local.density << ", loss " << m.loss
            << ", resampled " << resampled.size() << "\n";
}

void write_init(backend::Backend& backend, const fs::path& root) {
  const fs::path dir = root / "init";
  fs::create_directories(dir);
  for (const Recipe recipe : {Recipe::Nanda1L, Recipe::TopK, Recipe::JumpRelu}) {
    const SaeConfig c = default_config(recipe, kD, kN, kSeed);
    Sae sae(backend, c);
    sae.init(kSeed, recipe, c.threshold_init);
    write_tensors(dir, std::string(to_string(recipe)) + "_", sae.to_host());
  }
}

}  // namespace
}  // namespace coact::sae

int main(int argc, char** argv) {
  using namespace coact::sae;
  if (argc != 2) {
    std::cerr << "usage: sae_reference_driver OUT_DIR\n";
    return 2;
  }
  const std::filesystem::path root = argv[1];
  auto backend = coact::backend::make_backend(coact::backend::DeviceRequest::Cpu);

  std::vector<Case> cases;
  const auto nanda = [](ComputePath path) {
    SaeConfig c = default_config(Recipe::Nanda1L, kD, kN, kSeed);
    c.lr = 1e-2;  // a visible update: float32 update differences stay small relative to it
    c.path = path;
    return c;
  };
  const auto topk = [](ComputePath path) {
    SaeConfig c = default_config(Recipe::TopK, kD, kN, kSeed);
    c.k = 6;
    c.lr = 1.0;  // × warm-up factor 5/1000 at this step
    c.path = path;
    return c;
  };
  cases.push_back({"nanda_sparse", nanda(ComputePath::Sparse)});
  cases.push_back({"nanda_dense", nanda(ComputePath::Dense)});
  {
    Case c{"nanda_no_renorm", nanda(ComputePath::Sparse)};
    c.config.renormalize_decoder = false;
    cases.push_back(c);
  }
  {
    Case c{"nanda_resample", nanda(ComputePath::Auto)};
    c.config.resample_every = 6;  // due after this step (step 6)
    c.config.resample_window = 3;
    c.silence_features = true;
    cases.push_back(c);
  }
  {
    Case c{"topk_sparse", topk(ComputePath::Sparse)};
    c.dead_features = 8;  // k_aux = d/2 = 12 > 8 dead: AuxK scale 8/12
    cases.push_back(c);
  }
  {
    Case c{"topk_dense", topk(ComputePath::Dense)};
    c.dead_features = 20;  // more dead than k_aux: scale 1
    c.data_init = true;
    cases.push_back(c);
  }
  const auto batchtopk = [](ComputePath path) {
    SaeConfig c = default_config(Recipe::BatchTopK, kD, kN, kSeed);
    c.k = 5;
    c.lr = 1.0;  // × warm-up factor 5/1000 at this step
    c.path = path;
    return c;
  };
  {
    Case c{"batchtopk_sparse", batchtopk(ComputePath::Sparse)};
    c.dead_features = 8;
    c.config.threshold_start_step = 3;  // learned since step 4: the moving average moves
    cases.push_back(c);
  }
  {
    Case c{"batchtopk_dense", batchtopk(ComputePath::Dense)};
    c.dead_features = 20;
    c.data_init = true;
    c.config.threshold_start_step = 5;  // this step (6) is the first to learn it: θ = the cut
    cases.push_back(c);
  }
  const auto matryoshka = [&](const char* widths) {
    SaeConfig c = batchtopk(ComputePath::Auto);
    c.recipe = Recipe::Matryoshka;
    c.matryoshka_widths = widths;
    return c;
  };
  {
    Case c{"matryoshka_levels", matryoshka("8,24,40,64")};  // four levels, the first within one row's k
    c.dead_features = 8;
    c.config.threshold_start_step = 5;  // θ = this step's cut (batchtopk_sparse checks the moving average)
    cases.push_back(c);
  }
  {
    Case c{"matryoshka_two_levels", matryoshka("31,64")};
    c.dead_features = 20;
    c.data_init = true;
    c.config.threshold_start_step = 5;
    cases.push_back(c);
  }
  const auto jumprelu = [](ComputePath path) {
    SaeConfig c = default_config(Recipe::JumpRelu, kD, kN, kSeed);
    c.lr = 1e-2;
    c.lr_warmup_steps = 0;
    c.l0_warmup_steps = 10;  // λ_6 = 0.6 λ
    c.l0_coeff = 0.3;
    c.bandwidth = 0.08;      // a band that holds entries of this small batch
    c.path = path;
    return c;
  };
  cases.push_back({"jumprelu_sparse", jumprelu(ComputePath::Sparse)});
  {
    Case c{"jumprelu_dense_b_dec", jumprelu(ComputePath::Dense)};
    c.config.subtract_b_dec = true;
    cases.push_back(c);
  }
  try {
    for (const auto& c : cases) run_case(*backend, root, c);
    write_init(*backend, root);
  } catch (const std::exception& e) {
    std::cerr << "sae_reference_driver: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
