// Latent-sharded training over real MPI ranks: with P ranks and every T dividing P (T > 1), the
// grid is P/T data ranks × T shards. Each rank trains its shard of the latents on its data
// rank's rows; after 20 steps its parameters equal the same latents of one process training
// the whole SAE on the whole batches, for every recipe coact shards.
#include <gtest/gtest.h>

#include "coact/dist/mpi.h"
#include "sae_fixtures.h"
#include "support/mpi_env.h"

namespace coact::sae {
namespace {

using coact::testing::shard_counts;
using coact::testing::world;

struct Grid {
  int shards = 1, shard = 0, data_ranks = 1, data_rank = 0;
  std::unique_ptr<dist::MpiComm> shard_comm, data_comm;

  explicit Grid(int t) : shards(t), shard(world().rank() % t), data_ranks(world().size() / t), data_rank(world().rank() / t) {
    shard_comm = world().split(data_rank, shard);
    data_comm = world().split(shard, data_rank);
  }
};


void train_sharded(const SaeConfig& c, int shards, std::int64_t rows = 90, int steps = 20) {
  const Grid grid(shards);
  auto backend = backend::make_backend(backend::DeviceRequest::Cpu);
  const std::int64_t d = c.d_in;
  const std::int64_t first = rows * grid.data_rank / grid.data_ranks;
  const std::int64_t local = rows * (grid.data_rank + 1) / grid.data_ranks - first;
  const FeatureShard mine_latents = FeatureShard::of(c.n_features, grid.shard, shards);

  Sae single(*backend, c);
  testing::perturbed_init(single, c, 3);
  Sae part(*backend, c, mine_latents);
  part.from_host(single.to_host().features(mine_latents.first, mine_latents.count));
  SaeTrainer sharded(part, c, rows, grid.shard_comm.get()), reference(single, c, rows);
  backend::Buffer<float> whole(*backend, static_cast<std::size_t>(rows * d)), mine(*backend, static_cast<std::size_t>(rows * d));
  StepMetrics got, want;
  for (int step = 0; step < steps; ++step) {
    const auto x = testing::make_batch(rows, d, 1000 + step);
    whole.copy_from_host(x);
    backend->copy_bytes(mine.data(), x.data() + first * d, local * d * sizeof(float), backend::CopyKind::HostToDevice);
    if (sharded.needs_data_init()) {
      sharded.compute_data_init(mine.data(), local);
      grid.data_comm->allreduce_sum(sharded.data_init_buffer(), sharded.data_init_count(), dist::DType::F32);
      sharded.apply_data_init();
      reference.compute_data_init(whole.data(), rows);
      reference.apply_data_init();
    }
    sharded.compute_gradients(mine.data(), local, rows, &world());
    grid.data_comm->allreduce_sum(sharded.reduce_buffer(), sharded.reduce_count(), dist::DType::F32);
    got = sharded.apply_update();
    reference.compute_gradients(whole.data(), rows, rows);
    want = reference.apply_update();
    ASSERT_EQ(got.resampled, want.resampled) << "step " << step + 1;
  }
  const SaeTensors expected = single.to_host().features(mine_latents.first, mine_latents.count);
  testing::expect_tensors_near(part.to_host(), expected, 1e-5,
                               str("shard ", grid.shard, " of ", shards, " after ", steps, " steps").c_str());
  EXPECT_NEAR(got.loss, want.loss, 1e-5 * std::abs(want.loss));
  EXPECT_NEAR(got.l0, want.l0, 1e-9 * want.l0 + 1e-12);
  EXPECT_DOUBLE_EQ(got.dead_fraction, want.dead_fraction);
  // The Adam moments and the dead counters are this shard's latents of the whole SAE's.
  const TrainerState s = sharded.state(), r = reference.state();
  testing::expect_tensors_near(s.adam_v, r.adam_v.features(mine_latents.first, mine_latents.count), 1e-4, "Adam v");
  EXPECT_EQ(s.tokens_since_fired, std::vector<std::int64_t>(r.tokens_since_fired.begin() + mine_latents.first,
                                                            r.tokens_since_fired.begin() + mine_latents.first +
                                                                mine_latents.count));
}

TEST(LatentShards, TopkEqualsTheWholeSae) {
  SaeConfig c = testing::small_config(Recipe::TopK, 24, 64);
  c.dead_tokens = 200;  // latents go dead within 20 steps, so AuxK's global top-k_aux runs
  c.lr = 3e-3;
  for (const int t : shard_counts()) train_sharded(c, t);
}

TEST(LatentShards, TopkWidthThatDoesNotDivide) {
  SaeConfig c = testing::small_config(Recipe::TopK, 24, 71);  // shards of 35 + 36, 23 + 24 + 24, ...
  c.dead_tokens = 200;
  c.lr = 3e-3;
  for (const int t : shard_counts()) train_sharded(c, t, 37, 10);
}

TEST(LatentShards, NandaWithResamplingEqualsTheWholeSae) {
  SaeConfig c = testing::small_config(Recipe::Nanda1L, 24, 64);
  c.resample_every = 10;  // each shard resamples its latents with the whole SAE's draws
  c.resample_window = 0;
  c.resample_threshold = 0.02;
  for (const int t : shard_counts()) train_sharded(c, t);
}

TEST(LatentShards, BatchTopkEqualsTheWholeSae) {
  SaeConfig c = testing::small_config(Recipe::BatchTopK, 24, 64);
  c.dead_tokens = 200;
  c.lr = 3e-3;
  c.threshold_start_step = 5;
  for (const int t : shard_counts()) train_sharded(c, t);
}

TEST(LatentShards, JumpReluEqualsTheWholeSae) {
  SaeConfig c = testing::small_config(Recipe::JumpRelu, 24, 64);
  c.l0_warmup_steps = 10;
  for (const int t : shard_counts()) train_sharded(c, t);
}

// One step with every pre-activation equal (W_enc = 0, b_enc constant) on this rank's shard of
// the grid: the fire counts of its latents, which only the tie rule decides.
std::vector<float> tied_step_fires(const SaeConfig& c, const Grid& grid, std::int64_t rows, unsigned batch_seed) {
  auto backend = backend::make_backend(backend::DeviceRequest::Cpu);
  const FeatureShard latents = FeatureShard::of(c.n_features, grid.shard, grid.shards);
  Sae whole(*backend, c);
  SaeTensors tensors = whole.to_host();
  std::fill(tensors.w_enc.begin(), tensors.w_enc.end(), 0.0f);
  std::fill(tensors.b_enc.begin(), tensors.b_enc.end(), 0.5f);
  for (std::size_t i = 0; i < tensors.w_dec.size(); ++i) tensors.w_dec[i] = 0.1f * static_cast<float>((i * 7) % 11) - 0.5f;
  Sae part(*backend, c, latents);
  part.from_host(tensors.features(latents.first, latents.count));
  SaeTrainer trainer(part, c, rows, grid.shard_comm.get());
  TrainerState s = trainer.state();
  s.data_initialized = true;
  trainer.set_state(s);
  const auto x = testing::make_batch(rows, c.d_in, batch_seed);
  backend::Buffer<float> batch(*backend, x.size());
  batch.copy_from_host(x);
  const std::int64_t first = rows * grid.data_rank / grid.data_ranks;
  const std::int64_t local = rows * (grid.data_rank + 1) / grid.data_ranks - first;
  trainer.compute_gradients(batch.data() + first * c.d_in, local, rows, &world());
  grid.data_comm->allreduce_sum(trainer.reduce_buffer(), trainer.reduce_count(), dist::DType::F32);
  trainer.apply_update();
  return trainer.last_fire_counts();
}

TEST(LatentShards, TopkTiesGoToTheLowerLatentAcrossShards) {
  // Each row's k entries must be the k lowest latents, all on shard 0 when k is below its width.
  for (const int t : shard_counts()) {
    const Grid grid(t);
    const SaeConfig c = testing::small_config(Recipe::TopK, 24, 64);
    const FeatureShard latents = FeatureShard::of(64, grid.shard, t);
    const std::int64_t rows = 16;
    const auto fires = tied_step_fires(c, grid, rows, 5);
    for (std::int64_t j = 0; j < latents.count; ++j)
      EXPECT_EQ(fires[j], latents.first + j < c.k ? static_cast<float>(rows) : 0.0f) << "latent " << latents.first + j;
  }
}

TEST(LatentShards, BatchTopkTiesFollowTheGlobalOrder) {
  // The k·B entries that enter are the first in (row, latent) order over the whole batch,
  // whichever data rank and shard hold them.
  for (const int t : shard_counts()) {
    const Grid grid(t);
    SaeConfig c = testing::small_config(Recipe::BatchTopK, 24, 64);
    c.k = 5;  // 5·90 = 450 entries: 7 whole rows and 2 entries of the 8th
    const FeatureShard latents = FeatureShard::of(64, grid.shard, t);
    const auto fires = tied_step_fires(c, grid, 90, 77);
    for (std::int64_t j = 0; j < latents.count; ++j)
      EXPECT_EQ(fires[j], latents.first + j < 2 ? 8.0f : 7.0f) << "latent " << latents.first + j;
  }
}

TEST(LatentShards, MatryoshkaEqualsTheWholeSae) {
  // Levels 8, 23, 71: every T cuts a level inside a shard, and the shards sum each level's part
  // of the reconstruction.
  for (const int t : shard_counts()) train_sharded(testing::small_config(Recipe::Matryoshka, 24, 71), t);
}

}  // namespace
}  // namespace coact::sae
