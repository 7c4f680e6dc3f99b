// Data-parallel training over real MPI ranks: each rank trains on its rows of every global
// batch and sums the reduce buffer with Comm::allreduce_sum; after 20 steps its parameters equal
// those of one process training on the whole batches (computed locally on every rank) to 1e-5.
#include <gtest/gtest.h>

#include "sae_fixtures.h"
#include "support/mpi_env.h"

namespace coact::sae {
namespace {

using coact::testing::world;

void train_data_parallel(const SaeConfig& c) {
  auto& comm = world();
  auto backend = backend::make_backend(backend::DeviceRequest::Cpu);
  const std::int64_t rows = 90, d = c.d_in;
  const int ranks = comm.size(), rank = comm.rank();
  const std::int64_t first = rows * rank / ranks, local = rows * (rank + 1) / ranks - first;

  Sae parallel(*backend, c), single(*backend, c);
  testing::perturbed_init(parallel, c, 3);
  testing::perturbed_init(single, c, 3);
  SaeTrainer dp(parallel, c, rows), reference(single, c, rows);
  backend::Buffer<float> whole(*backend, static_cast<std::size_t>(rows * d)), mine(*backend, static_cast<std::size_t>(rows * d));
  StepMetrics got, want;
  for (int step = 0; step < 20; ++step) {
    const auto x = testing::make_batch(rows, d, 1000 + step);
    whole.copy_from_host(x);
    backend->copy_bytes(mine.data(), x.data() + first * d, local * d * sizeof(float), backend::CopyKind::HostToDevice);
    if (dp.needs_data_init()) {
      dp.compute_data_init(mine.data(), local);
      comm.allreduce_sum(dp.data_init_buffer(), dp.data_init_count(), dist::DType::F32);
      dp.apply_data_init();
      reference.compute_data_init(whole.data(), rows);
      reference.apply_data_init();
    }
    dp.compute_gradients(mine.data(), local, rows, &comm);
    comm.allreduce_sum(dp.reduce_buffer(), dp.reduce_count(), dist::DType::F32);
    got = dp.apply_update();
    reference.compute_gradients(whole.data(), rows, rows);
    want = reference.apply_update();
  }
  testing::expect_tensors_near(parallel.to_host(), single.to_host(), 1e-5, "parameters after 20 steps");
  EXPECT_NEAR(got.loss, want.loss, 1e-5 * std::abs(want.loss));
  EXPECT_EQ(got.step, 20);
}

TEST(SaeTrainerMpi, NandaRanksEqualOneProcess) {
  SaeConfig c = testing::small_config(Recipe::Nanda1L, 24, 64);
  c.resample_every = 10;  // resampling decisions come from summed counts, identical on all ranks
  c.resample_window = 0;
  c.resample_threshold = 0.02;
  train_data_parallel(c);
}

TEST(SaeTrainerMpi, BatchTopkRanksEqualOneProcess) {
  // The k·B cut is taken over the global batch: the ranks' histograms and ties are summed.
  SaeConfig c = testing::small_config(Recipe::BatchTopK, 24, 64);
  c.dead_tokens = 200;
  c.lr = 3e-3;
  c.threshold_start_step = 5;
  train_data_parallel(c);
}

TEST(SaeTrainerMpi, MatryoshkaRanksEqualOneProcess) {
  // The batchtopk cut over the global batch, then each level's residuals on every rank's rows.
  SaeConfig c = testing::small_config(Recipe::Matryoshka, 24, 64);
  c.dead_tokens = 200;
  c.lr = 3e-3;
  c.threshold_start_step = 5;
  train_data_parallel(c);
}

TEST(SaeTrainerMpi, JumpReluRanksEqualOneProcess) {
  SaeConfig c = testing::small_config(Recipe::JumpRelu, 24, 64);
  c.l0_warmup_steps = 10;
  train_data_parallel(c);
}

TEST(SaeTrainerMpi, BatchTopkTiesGoToTheFirstRowsOfTheGlobalBatch) {
  // Every activation equal (W_enc = 0, b_enc constant): the cut is all ties, and the k·B that
  // enter must be the first in global row order, whichever rank holds them.
  auto& comm = world();
  auto backend = backend::make_backend(backend::DeviceRequest::Cpu);
  SaeConfig c = testing::small_config(Recipe::BatchTopK, 24, 64);
  c.k = 5;  // 5·90 = 450 entries: 7 whole rows and 2 entries of the 8th
  const std::int64_t rows = 90, d = c.d_in;
  const int ranks = comm.size(), rank = comm.rank();
  const std::int64_t first = rows * rank / ranks, local = rows * (rank + 1) / ranks - first;
  Sae parallel(*backend, c), single(*backend, c);
  for (Sae* sae : {&parallel, &single}) {
    SaeTensors t = sae->to_host();
    std::fill(t.w_enc.begin(), t.w_enc.end(), 0.0f);
    std::fill(t.b_enc.begin(), t.b_enc.end(), 0.5f);
    for (std::size_t i = 0; i < t.w_dec.size(); ++i) t.w_dec[i] = 0.1f * static_cast<float>((i * 7) % 11) - 0.5f;
    sae->from_host(t);
  }
  SaeTrainer dp(parallel, c, rows), reference(single, c, rows);
  TrainerState s = dp.state();
  s.data_initialized = true;
  dp.set_state(s);
  reference.set_state(s);
  const auto x = testing::make_batch(rows, d, 77);
  backend::Buffer<float> whole(*backend, x.size()), mine(*backend, x.size());
  whole.copy_from_host(x);
  backend->copy_bytes(mine.data(), x.data() + first * d, local * d * sizeof(float), backend::CopyKind::HostToDevice);
  dp.compute_gradients(mine.data(), local, rows, &comm);
  comm.allreduce_sum(dp.reduce_buffer(), dp.reduce_count(), dist::DType::F32);
  dp.apply_update();
  reference.compute_gradients(whole.data(), rows, rows);
  reference.apply_update();
  const auto fires = dp.last_fire_counts();
  EXPECT_EQ(fires, reference.last_fire_counts());
  for (std::int64_t j = 0; j < 64; ++j) EXPECT_EQ(fires[j], j < 2 ? 8.0f : 7.0f) << "feature " << j;
  // The rows that entered decide the decoder's gradient: the steps agree.
  testing::expect_tensors_near(parallel.to_host(), single.to_host(), 1e-6, "parameters after the step");
}

TEST(SaeTrainerMpi, TopkRanksEqualOneProcess) {
  SaeConfig c = testing::small_config(Recipe::TopK, 24, 64);
  c.dead_tokens = 200;  // some latents go dead within 20 steps, so AuxK runs
  c.lr = 3e-3;
  train_data_parallel(c);
}

}  // namespace
}  // namespace coact::sae
