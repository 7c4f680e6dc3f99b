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
    dp.compute_gradients(mine.data(), local, rows);
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

TEST(SaeTrainerMpi, TopkRanksEqualOneProcess) {
  SaeConfig c = testing::small_config(Recipe::TopK, 24, 64);
  c.dead_tokens = 200;  // some latents go dead within 20 steps, so AuxK runs
  c.lr = 3e-3;
  train_data_parallel(c);
}

}  // namespace
}  // namespace coact::sae
