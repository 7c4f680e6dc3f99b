// The training step: data-parallel equivalence (row slices summed = whole batch), dense and
// sparse paths agree, resampling touches only the chosen features, resume is bit-identical,
// bad states are refused. Exactness against NumPy is tools/sae_reference.py's job.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

#include "coact/backend/ops/init.h"
#include "coact/core/errors.h"
#include "coact/core/rng.h"
#include "sae_fixtures.h"

namespace coact::sae {
namespace {

using testing::make_batch;
using testing::relative_error;

constexpr std::int64_t kD = 24, kN = 64, kRows = 60;

struct Problem {
  explicit Problem(SaeConfig c, unsigned seed = 21)
      : backend(backend::make_backend(backend::DeviceRequest::Cpu)), config(c), sae(*backend, c),
        x(make_batch(kRows, c.d_in, seed)) {
    testing::perturbed_init(sae, c, seed + 100);
  }
  backend::Buffer<float> upload(std::int64_t first, std::int64_t rows) const {
    backend::Buffer<float> buffer(*backend, static_cast<std::size_t>(rows * config.d_in));
    buffer.copy_from_host(std::span<const float>(x.data() + first * config.d_in, rows * config.d_in));
    return buffer;
  }
  std::unique_ptr<backend::Backend> backend;
  SaeConfig config;
  Sae sae;
  std::vector<float> x;
};

// Gradients (the whole reduce buffer) of rows [first, first + rows) of a global batch.
std::vector<float> slice_buffer(Problem& p, SaeTrainer& trainer, std::int64_t first, std::int64_t rows) {
  const auto batch = p.upload(first, rows);
  trainer.compute_gradients(batch.data(), rows, kRows);
  std::vector<float> host(trainer.reduce_count());
  p.backend->copy_bytes(host.data(), trainer.reduce_buffer(), host.size() * sizeof(float),
                        backend::CopyKind::DeviceToHost);
  return host;
}

void set_buffer(Problem& p, SaeTrainer& trainer, const std::vector<float>& host) {
  p.backend->copy_bytes(trainer.reduce_buffer(), host.data(), host.size() * sizeof(float),
                        backend::CopyKind::HostToDevice);
}

// Each part of the layout compared on its own, so a small region cannot hide in a big one.
void expect_buffers_near(const std::vector<float>& got, const std::vector<float>& want, const ReduceLayout& l,
                         double tol, const std::string& what) {
  const std::int64_t d = l.params.d_in, n = l.params.n_features;
  const struct {
    const char* name;
    std::size_t offset, count;
  } parts[] = {{"W_enc grad", l.params.w_enc_t, static_cast<std::size_t>(n * d)},
               {"W_dec grad", l.params.w_dec, static_cast<std::size_t>(n * d)},
               {"b_enc grad", l.params.b_enc, static_cast<std::size_t>(n)},
               {"b_dec grad", l.params.b_dec, static_cast<std::size_t>(d)},
               {"fire counts", l.fire_counts, static_cast<std::size_t>(n)},
               {"centred sums", l.centered_sums, static_cast<std::size_t>(d)},
               {"scalars", l.scalars, static_cast<std::size_t>(kReduceScalars)},
               {"threshold grad", l.params.threshold, l.params.has_threshold ? static_cast<std::size_t>(n) : 0}};
  for (const auto& part : parts)
    EXPECT_LT(relative_error(got.data() + part.offset, want.data() + part.offset, part.count), tol)
        << what << ": " << part.name;
}

SaeConfig with_path(SaeConfig c, ComputePath path) {
  c.path = path;
  return c;
}

SaeConfig topk_with_dead() {
  SaeConfig c = testing::small_config(Recipe::TopK, kD, kN);
  c.dead_tokens = 100;  // after one 60-row step of silence a latent counts as dead
  return c;
}

// Makes some topk latents dead (so AuxK runs) by giving them a long silence in the state.
void make_dead(SaeTrainer& trainer, int every = 5) {
  TrainerState s = trainer.state();
  for (std::size_t j = 0; j < s.tokens_since_fired.size(); j += every) s.tokens_since_fired[j] = 1000;
  s.data_initialized = true;
  trainer.set_state(s);
}

class RecipePaths : public ::testing::TestWithParam<std::tuple<Recipe, ComputePath>> {};

TEST_P(RecipePaths, RowSlicesSumToTheWholeBatch) {
  const auto [recipe, path] = GetParam();
  const SaeConfig c = with_path(recipe == Recipe::TopK ? topk_with_dead() : testing::small_config(recipe, kD, kN), path);
  Problem p(c);
  SaeTrainer trainer(p.sae, c, kRows);
  if (recipe == Recipe::TopK) make_dead(trainer);
  const auto whole = slice_buffer(p, trainer, 0, kRows);
  if (recipe == Recipe::TopK) {
    EXPECT_GT(trainer.last_local().aux_nnz, 0);
  }
  for (const std::vector<std::int64_t>& cuts : {std::vector<std::int64_t>{0, 23, kRows},
                                               std::vector<std::int64_t>{0, 7, 41, kRows},
                                               std::vector<std::int64_t>{0, 0, 30, kRows}}) {  // an empty rank
    std::vector<float> sum(whole.size(), 0.0f);
    for (std::size_t s = 0; s + 1 < cuts.size(); ++s) {
      const auto part = slice_buffer(p, trainer, cuts[s], cuts[s + 1] - cuts[s]);
      for (std::size_t i = 0; i < sum.size(); ++i) sum[i] += part[i];
    }
    expect_buffers_near(sum, whole, trainer.layout(), 1e-5, std::to_string(cuts.size() - 1) + " slices");
  }
  // The step taken from the summed buffer equals the one from the whole batch.
  Problem q(c);
  SaeTrainer other(q.sae, c, kRows);
  if (recipe == Recipe::TopK) make_dead(other);
  slice_buffer(q, other, 0, kRows);
  const StepMetrics want = other.apply_update();
  std::vector<float> sum(whole.size(), 0.0f);
  for (const auto& [first, rows] : {std::pair<std::int64_t, std::int64_t>{0, 25}, {25, 35}}) {
    const auto part = slice_buffer(p, trainer, first, rows);
    for (std::size_t i = 0; i < sum.size(); ++i) sum[i] += part[i];
  }
  set_buffer(p, trainer, sum);
  const StepMetrics got = trainer.apply_update();
  testing::expect_tensors_near(p.sae.to_host(), q.sae.to_host(), 1e-5, "parameters after the step");
  EXPECT_NEAR(got.loss, want.loss, 1e-5 * std::abs(want.loss));
  EXPECT_NEAR(got.fvu, want.fvu, 1e-5 * want.fvu);
  EXPECT_EQ(got.l0, want.l0);
}

TEST_P(RecipePaths, DenseAndSparsePathsAgree) {
  const auto [recipe, path] = GetParam();
  if (path != ComputePath::Dense) GTEST_SKIP() << "one comparison per recipe";
  const SaeConfig base = recipe == Recipe::TopK ? topk_with_dead() : testing::small_config(recipe, kD, kN);
  std::vector<std::vector<float>> buffers;
  ReduceLayout layout;
  for (const ComputePath which : {ComputePath::Dense, ComputePath::Sparse}) {
    const SaeConfig c = with_path(base, which);
    Problem p(c);
    SaeTrainer trainer(p.sae, c, kRows);
    if (recipe == Recipe::TopK) make_dead(trainer);
    buffers.push_back(slice_buffer(p, trainer, 0, kRows));
    EXPECT_EQ(trainer.last_local().path, which);
    layout = trainer.layout();
  }
  expect_buffers_near(buffers[0], buffers[1], layout, 1e-5, "dense vs sparse");
}

INSTANTIATE_TEST_SUITE_P(Sae, RecipePaths,
                         ::testing::Combine(::testing::Values(Recipe::Nanda1L, Recipe::TopK, Recipe::JumpRelu),
                                            ::testing::Values(ComputePath::Dense, ComputePath::Sparse)),
                         [](const auto& param_info) {
                           std::string recipe = to_string(std::get<0>(param_info.param));
                           recipe.erase(std::remove(recipe.begin(), recipe.end(), '-'), recipe.end());
                           return recipe + "_" + to_string(std::get<1>(param_info.param));
                         });

TEST(SaeTrainer, AutoPathFollowsDensity) {
  SaeConfig c = testing::small_config(Recipe::Nanda1L, kD, kN);
  Problem p(c);
  c.sparse_max_density = 0.5;
  SaeTrainer sparse(p.sae, c, kRows);
  slice_buffer(p, sparse, 0, kRows);
  EXPECT_EQ(sparse.last_local().path, ComputePath::Sparse);
  EXPECT_GT(sparse.last_local().density, 0.01);
  c.sparse_max_density = 0.0;
  SaeTrainer dense(p.sae, c, kRows);
  slice_buffer(p, dense, 0, kRows);
  EXPECT_EQ(dense.last_local().path, ComputePath::Dense);
}

TEST(SaeTrainer, SameInputsGiveBitIdenticalResultsWhateverTheThreadCount) {
  const int threads = backend::cpu_threads();
  for (const Recipe recipe : {Recipe::Nanda1L, Recipe::TopK}) {
    std::vector<float> first;
    for (int run = 0; run < 3; ++run) {
      backend::set_cpu_threads(run == 2 ? 1 : 2);  // no reduction depends on the thread count
      const SaeConfig c = recipe == Recipe::TopK ? topk_with_dead() : testing::small_config(recipe, kD, kN);
      Problem p(c);
      SaeTrainer trainer(p.sae, c, kRows);
      if (recipe == Recipe::TopK) make_dead(trainer);
      auto buffer = slice_buffer(p, trainer, 0, kRows);
      if (run == 0) {
        first = buffer;
      } else {
        EXPECT_EQ(buffer, first) << "run " << run;
      }
    }
  }
  backend::set_cpu_threads(threads);
}

// The cpu launchers run AVX-512 builds of the ops where the processor has them and baseline
// x86-64 builds otherwise (COACT_CPU_VECTORS=baseline forces those): training must give the
// same bits with either, every recipe, both paths.
TEST(SaeTrainer, SameInputsGiveBitIdenticalResultsWhateverTheVectorWidth) {
  unsetenv("COACT_CPU_VECTORS");
  if (backend::make_backend(backend::DeviceRequest::Cpu)->description().find("avx512 loops") == std::string::npos)
    GTEST_SKIP() << "this processor has no AVX-512: only the baseline build of the loops can run";
  for (const Recipe recipe : {Recipe::Nanda1L, Recipe::TopK, Recipe::BatchTopK, Recipe::JumpRelu, Recipe::Matryoshka})
    for (const ComputePath path : {ComputePath::Sparse, ComputePath::Dense}) {
      if (recipe == Recipe::Matryoshka && path == ComputePath::Dense) continue;  // sparse only
      SaeTensors params[2];
      double losses[2] = {0, 0};
      for (int run = 0; run < 2; ++run) {
        if (run == 1) {
          ASSERT_EQ(setenv("COACT_CPU_VECTORS", "baseline", 1), 0);
        }
        SaeConfig c = with_path(testing::small_config(recipe, 72, 96), path);
        c.dead_tokens = 100;
        Problem p(c, 9);
        SaeTrainer trainer(p.sae, c, kRows);
        if (recipe == Recipe::TopK || selects_over_batch(recipe)) make_dead(trainer, 4);
        const auto batch = p.upload(0, kRows);
        for (int step = 0; step < 3; ++step) {
          if (trainer.needs_data_init()) {
            trainer.compute_data_init(batch.data(), kRows);
            trainer.apply_data_init();
          }
          trainer.compute_gradients(batch.data(), kRows, kRows);
          losses[run] = trainer.apply_update().loss;
        }
        params[run] = p.sae.to_host();
        unsetenv("COACT_CPU_VECTORS");
      }
      EXPECT_TRUE(params[1] == params[0]) << to_string(recipe) << " " << to_string(path);
      EXPECT_EQ(losses[1], losses[0]) << to_string(recipe) << " " << to_string(path);
    }
}

// Two steps uninterrupted vs one step, a host round trip of everything, a fresh trainer, one
// more step: identical bits (cpu backend).
void expect_resume_bit_identical(const SaeConfig& c, bool dead) {
  Problem straight(c, 5);
  SaeTrainer a(straight.sae, c, kRows);
  if (dead) make_dead(a, 3);
  const auto b1 = straight.upload(0, 30), b2 = straight.upload(30, 30);
  const auto step = [](SaeTrainer& t, const backend::Buffer<float>& batch) {
    if (t.needs_data_init()) {
      t.compute_data_init(batch.data(), 30);
      t.apply_data_init();
    }
    t.compute_gradients(batch.data(), 30, 30);
    return t.apply_update();
  };
  step(a, b1);
  const StepMetrics want = step(a, b2);

  Problem resumed(c, 5);
  SaeTensors params;
  TrainerState state;
  {
    SaeTrainer first(resumed.sae, c, kRows);
    if (dead) make_dead(first, 3);
    step(first, b1);
    params = resumed.sae.to_host();
    state = first.state();
  }
  Sae fresh(*resumed.backend, c);
  fresh.from_host(params);
  SaeTrainer second(fresh, c, kRows);
  second.set_state(state);
  const StepMetrics got = step(second, b2);
  EXPECT_EQ(fresh.to_host(), straight.sae.to_host());
  const TrainerState sa = a.state(), sb = second.state();
  EXPECT_EQ(sa.step, sb.step);
  EXPECT_EQ(sa.adam_m, sb.adam_m);
  EXPECT_EQ(sa.adam_v, sb.adam_v);
  EXPECT_EQ(sa.tokens_since_fired, sb.tokens_since_fired);
  EXPECT_EQ(sa.window_fires, sb.window_fires);
  EXPECT_EQ(got.loss, want.loss);
  EXPECT_EQ(got.resampled, want.resampled);
}

TEST(SaeTrainer, ResumedStepIsBitIdentical) {
  SaeConfig nanda = testing::small_config(Recipe::Nanda1L, kD, kN);
  nanda.resample_every = 2;  // the resumed step resamples
  nanda.resample_window = 0;
  nanda.resample_threshold = 0.05;
  expect_resume_bit_identical(nanda, false);
  expect_resume_bit_identical(with_path(testing::small_config(Recipe::Nanda1L, kD, kN), ComputePath::Dense), false);
  SaeConfig topk = topk_with_dead();
  topk.lr_warmup_steps = 3;
  expect_resume_bit_identical(topk, true);
  SaeConfig topk_init = testing::small_config(Recipe::TopK, kD, kN);  // b_dec from the first batch
  expect_resume_bit_identical(topk_init, false);
  SaeConfig batchtopk = testing::small_config(Recipe::BatchTopK, kD, kN);
  batchtopk.threshold_start_step = 1;  // the resumed step moves the learned threshold
  batchtopk.dead_tokens = 100;
  expect_resume_bit_identical(batchtopk, true);
  SaeConfig jumprelu = testing::small_config(Recipe::JumpRelu, kD, kN);
  jumprelu.l0_warmup_steps = 4;
  expect_resume_bit_identical(jumprelu, false);
  SaeConfig matryoshka = testing::small_config(Recipe::Matryoshka, kD, kN);
  matryoshka.threshold_start_step = 1;
  matryoshka.dead_tokens = 100;
  expect_resume_bit_identical(matryoshka, true);
}

// Matryoshka's loss adds its inner levels' errors (each from fewer features than the whole), and
// with a single level it is batchtopk: the same code, loss and gradients. (Its ranks' shares
// sum to the whole batch's step: SaeTrainerMpi.MatryoshkaRanksEqualOneProcess.)
TEST(SaeTrainer, MatryoshkaAddsItsInnerLevelsAndOneLevelIsBatchTopK) {
  SaeConfig c = testing::small_config(Recipe::Matryoshka, kD, kN);
  c.dead_tokens = 100;
  Problem p(c);
  SaeTrainer trainer(p.sae, c, kRows);
  make_dead(trainer);
  slice_buffer(p, trainer, 0, kRows);
  EXPECT_EQ(trainer.last_local().path, ComputePath::Sparse);
  EXPECT_GT(trainer.last_local().aux_nnz, 0);
  const StepMetrics m = trainer.apply_update();
  EXPECT_GT(m.inner_l2, m.l2);  // two inner levels, each reconstructing from fewer features
  EXPECT_NEAR(m.loss, m.l2 + m.inner_l2 + c.auxk_alpha * m.auxk, 1e-12 * m.loss);

  SaeConfig one = c;
  one.matryoshka_widths = std::to_string(kN);
  SaeConfig batchtopk = testing::small_config(Recipe::BatchTopK, kD, kN);
  batchtopk.dead_tokens = 100;
  batchtopk.path = ComputePath::Sparse;
  Problem a(one), b(batchtopk);
  SaeTrainer ta(a.sae, one, kRows), tb(b.sae, batchtopk, kRows);
  make_dead(ta);
  make_dead(tb);
  const auto got = slice_buffer(a, ta, 0, kRows), want = slice_buffer(b, tb, 0, kRows);
  expect_buffers_near(got, want, ta.layout(), 1e-6, "one-level matryoshka vs batchtopk");
  const StepMetrics ma = ta.apply_update(), mb = tb.apply_update();
  EXPECT_EQ(ma.inner_l2, 0.0);
  EXPECT_NEAR(ma.loss, mb.loss, 1e-6 * mb.loss);
}

TEST(SaeTrainer, ResamplingTouchesOnlyTheChosenFeatures) {
  SaeConfig c = testing::small_config(Recipe::Nanda1L, kD, kN);
  c.resample_window = 0;
  Problem with(c), without(c);
  // Silence every fourth feature: it cannot fire, so it is resampled.
  for (Problem* p : {&with, &without}) {
    SaeTensors t = p->sae.to_host();
    for (std::int64_t j = 0; j < kN; j += 4) t.b_enc[j] = -100.0f;
    p->sae.from_host(t);
  }
  c.resample_every = 1;
  SaeTrainer resampling(with.sae, c, kRows);
  c.resample_every = 0;
  SaeTrainer plain(without.sae, c, kRows);
  slice_buffer(with, resampling, 0, kRows);
  slice_buffer(without, plain, 0, kRows);
  const StepMetrics m = resampling.apply_update();
  plain.apply_update();
  const std::vector<std::int32_t>& chosen = resampling.last_resampled();
  EXPECT_EQ(m.resampled, static_cast<std::int64_t>(chosen.size()));
  ASSERT_GE(chosen.size(), static_cast<std::size_t>(kN / 4));
  for (std::int64_t j = 0; j < kN; j += 4) EXPECT_TRUE(std::binary_search(chosen.begin(), chosen.end(), j)) << j;

  const SaeTensors a = with.sae.to_host(), b = without.sae.to_host();
  EXPECT_EQ(a.b_dec, b.b_dec);
  for (std::int64_t j = 0; j < kN; ++j) {
    const bool is_chosen = std::binary_search(chosen.begin(), chosen.end(), static_cast<std::int32_t>(j));
    bool enc_same = true, dec_same = true;
    double dec_norm = 0.0;
    for (std::int64_t i = 0; i < kD; ++i) {
      enc_same &= a.w_enc[i * kN + j] == b.w_enc[i * kN + j];
      dec_same &= a.w_dec[j * kD + i] == b.w_dec[j * kD + i];
      dec_norm += static_cast<double>(a.w_dec[j * kD + i]) * a.w_dec[j * kD + i];
    }
    if (is_chosen) {
      EXPECT_FALSE(enc_same) << "feature " << j;
      EXPECT_FALSE(dec_same) << "feature " << j;
      EXPECT_EQ(a.b_enc[j], 0.0f);
      EXPECT_NEAR(std::sqrt(dec_norm), 1.0, 1e-6);
    } else {
      EXPECT_TRUE(enc_same && dec_same) << "feature " << j << " was not chosen but changed";
      EXPECT_EQ(a.b_enc[j], b.b_enc[j]);
    }
  }
  // Adam moments are kept (Nanda's re_init leaves the optimiser alone).
  EXPECT_EQ(resampling.state().adam_m, plain.state().adam_m);
  EXPECT_EQ(resampling.state().adam_v, plain.state().adam_v);

  // The fresh values are those of a new initialisation under the (seed, step) key.
  const std::uint64_t key = mix_seed(mix_seed(c.seed, kResampleTag), 1);
  const std::int32_t j = chosen.front();
  const float expected = backend::ops::uniform_symmetric(key, kEncoderStream, static_cast<std::uint64_t>(2 * kN + j),
                                                         std::sqrt(6.0 / kN));
  EXPECT_EQ(a.w_enc[2 * kN + j], expected);
}

TEST(SaeTrainer, RefusesBadCallsAndNonFiniteLoss) {
  const SaeConfig c = testing::small_config(Recipe::Nanda1L, kD, kN);
  Problem p(c);
  SaeTrainer trainer(p.sae, c, kRows);
  EXPECT_THROW(trainer.apply_update(), Error);  // nothing computed
  const auto batch = p.upload(0, kRows);
  EXPECT_THROW(trainer.compute_gradients(batch.data(), kRows + 1, kRows + 1), UsageError);
  EXPECT_THROW(trainer.compute_gradients(batch.data(), kRows, kRows - 1), UsageError);
  // A buffer that was not summed as announced.
  trainer.compute_gradients(batch.data(), 30, 60);
  EXPECT_THROW(trainer.apply_update(), Error);

  // NaN in the data: the step is refused and the parameters stay.
  auto x = p.x;
  x[5] = std::nanf("");
  backend::Buffer<float> bad(*p.backend, x.size());
  bad.copy_from_host(x);
  const SaeTensors before = p.sae.to_host();
  trainer.compute_gradients(bad.data(), kRows, kRows);
  try {
    trainer.apply_update();
    FAIL() << "expected NumericError";
  } catch (const NumericError& e) {
    EXPECT_NE(std::string(e.what()).find("step 1: loss is"), std::string::npos) << e.what();
  }
  EXPECT_EQ(p.sae.to_host(), before);
  EXPECT_EQ(trainer.step(), 0);

  const SaeConfig topk = testing::small_config(Recipe::TopK, kD, kN);
  Problem q(topk);
  SaeTrainer needs_init(q.sae, topk, kRows);
  EXPECT_TRUE(needs_init.needs_data_init());
  EXPECT_THROW(needs_init.compute_gradients(batch.data(), kRows, kRows), Error);
  EXPECT_THROW(SaeTrainer(q.sae, c, kRows), UsageError);  // a nanda config for a TopK SAE
}

TEST(SaeTrainer, MetricsScheduleAndDeadTracking) {
  SaeConfig c = testing::small_config(Recipe::TopK, kD, kN);
  c.lr = 0.01;
  c.lr_warmup_steps = 4;
  c.lr_decay_steps = 8;
  c.dead_tokens = 100;
  Problem p(c);
  SaeTrainer trainer(p.sae, c, kRows);
  const auto batch = p.upload(0, kRows);
  trainer.compute_data_init(batch.data(), kRows);
  trainer.apply_data_init();
  std::vector<double> lrs;
  StepMetrics m;
  for (int s = 0; s < 9; ++s) {
    trainer.compute_gradients(batch.data(), kRows, kRows);
    m = trainer.apply_update();
    lrs.push_back(m.lr);
  }
  // Warm-up 0, 1/4, 2/4, 3/4 (the first step has rate 0, as transformers' schedule), then a
  // linear decay reaching 0 at step 8.
  const std::vector<double> want = {0, 0.0025, 0.005, 0.0075, 0.01, 0.0075, 0.005, 0.0025, 0.0};
  for (std::size_t i = 0; i < want.size(); ++i) EXPECT_NEAR(lrs[i], want[i], 1e-15) << i;
  EXPECT_EQ(m.step, 9);
  EXPECT_EQ(m.tokens, kRows);
  EXPECT_LE(m.l0, c.k);
  EXPECT_GT(m.fvu, 0.0);
  EXPECT_NEAR(m.loss, m.fvu + c.auxk_alpha * m.auxk, 1e-12);
  // Latents that never made the top 6 of these 60 rows for > 100 tokens are dead.
  const TrainerState s = trainer.state();
  std::int64_t dead = 0;
  for (const auto t : s.tokens_since_fired) dead += t > 100 ? 1 : 0;
  EXPECT_DOUBLE_EQ(m.dead_fraction, static_cast<double>(dead) / kN);
  EXPECT_GT(dead, 0);
  EXPECT_GT(m.auxk, 0.0);
  double fired = 0.0;
  for (const float f : trainer.last_fire_counts()) fired += f;
  EXPECT_DOUBLE_EQ(fired / kRows, m.l0);
}

}  // namespace
}  // namespace coact::sae
