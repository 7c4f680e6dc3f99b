// Training with bf16 GEMMs (SaeConfig::precision) on the demo's problem: synthetic activations
// with 256 planted directions in d = 64, n = 512, batches of 2,048, the demo's recipes and
// learning rates. The bf16 SAE must recover the planted directions as the fp32 one does
// (MMCS >= 0.9) and reconstruct as well (FVU within 5% of fp32's).
#include <gtest/gtest.h>

#include <cmath>
#include <numeric>
#include <random>

#include "coact/backend/backend.h"
#include "coact/backend/buffer.h"
#include "coact/data/synth.h"
#include "coact/sae/trainer.h"
#include "coact/sae/training.h"

namespace coact::sae {
namespace {

constexpr std::int64_t kBatch = 2048, kPoolBatches = 50;

struct Trained {
  double mmcs = 0;
  double fvu = 0;        // mean over the last 50 steps
  std::int64_t dense_steps = 0;
};

// The demo's data: SynthConfig defaults, the first kPoolBatches batches, scaled as the demo's
// nanda-1l run normalises (mean norm sqrt(d)).
struct Data {
  Data() : generator(data::SynthConfig{}) {
    const std::int64_t d = generator.config().d;
    rows.resize(static_cast<std::size_t>(kPoolBatches * kBatch * d));
    generator.generate(0, kPoolBatches * kBatch, rows.data());
    double norms = 0;
    for (std::int64_t r = 0; r < kPoolBatches * kBatch; ++r) {
      double s = 0;
      for (std::int64_t i = 0; i < d; ++i) s += static_cast<double>(rows[r * d + i]) * rows[r * d + i];
      norms += std::sqrt(s);
    }
    scale = static_cast<float>(std::sqrt(static_cast<double>(d)) / (norms / static_cast<double>(kPoolBatches * kBatch)));
  }
  data::SyntheticGenerator generator;
  std::vector<float> rows;
  float scale = 1;
};

const Data& demo_data() {
  static const Data data;
  return data;
}

Trained train(Recipe recipe, backend::Precision precision, std::int64_t steps) {
  const Data& data = demo_data();
  const std::int64_t d = data.generator.config().d, n = 2 * data.generator.config().features;
  auto compute = backend::make_backend(backend::DeviceRequest::Cpu);
  SaeConfig config = default_config(recipe, d, n, 52);
  config.precision = precision;
  const bool nanda = recipe == Recipe::Nanda1L;
  if (nanda) {
    config.lr = 1e-3;
  } else {
    config.k = 10;
    config.lr_warmup_steps = 50;
    config.lr = 2e-3;
  }
  Sae sae(*compute, config);
  sae.init(config.seed, config.recipe);
  SaeTrainer trainer(sae, config, kBatch);
  backend::Buffer<float> batch(*compute, static_cast<std::size_t>(kBatch * d));
  std::vector<float> host(static_cast<std::size_t>(kBatch * d));
  std::vector<std::int64_t> order(kPoolBatches);
  std::iota(order.begin(), order.end(), 0);
  std::mt19937 gen(7);
  Trained out;
  double fvu_sum = 0;
  for (std::int64_t step = 0; step < steps; ++step) {
    if (step % kPoolBatches == 0) std::shuffle(order.begin(), order.end(), gen);
    const float* source = data.rows.data() + order[step % kPoolBatches] * kBatch * d;
    for (std::size_t i = 0; i < host.size(); ++i) host[i] = nanda ? source[i] * data.scale : source[i];
    batch.copy_from_host(host);
    if (trainer.needs_data_init()) {
      trainer.compute_data_init(batch.data(), kBatch);
      trainer.apply_data_init();
    }
    trainer.compute_gradients(batch.data(), kBatch, kBatch);
    out.dense_steps += trainer.last_local().path == ComputePath::Dense ? 1 : 0;
    const StepMetrics m = trainer.apply_update();
    if (step >= steps - 50) fvu_sum += m.fvu;
  }
  out.fvu = fvu_sum / 50.0;
  out.mmcs = ground_truth_recovery(data.generator.directions(), sae.to_host().w_dec, d).mmcs;
  return out;
}

// The demo's recipe (topk, k = 10; sparse path, so the encoder GEMM is the bf16 one).
TEST(PrecisionTraining, Bf16TopkRecoversThePlantedFeaturesAsFp32Does) {
  const std::int64_t steps = 800;
  const Trained fp32 = train(Recipe::TopK, backend::Precision::Fp32, steps);
  const Trained bf16 = train(Recipe::TopK, backend::Precision::Bf16, steps);
  EXPECT_GE(fp32.mmcs, 0.9) << "the fp32 reference run itself";
  EXPECT_GE(bf16.mmcs, 0.9);
  EXPECT_LE(std::fabs(bf16.fvu - fp32.fvu), 0.05 * fp32.fvu) << "bf16 FVU " << bf16.fvu << ", fp32 " << fp32.fvu;
  std::printf("topk, %lld steps: MMCS fp32 %.4f bf16 %.4f; FVU fp32 %.5f bf16 %.5f\n", static_cast<long long>(steps),
              fp32.mmcs, bf16.mmcs, fp32.fvu, bf16.fvu);
}

// nanda-1l from initialisation stays on the dense path (its code is dense for hundreds of
// steps at the demo's settings), so every GEMM of the step is bf16: the training curve must
// follow fp32's.
TEST(PrecisionTraining, Bf16DensePathFollowsTheFp32TrainingCurve) {
  const std::int64_t steps = 150;
  const Trained fp32 = train(Recipe::Nanda1L, backend::Precision::Fp32, steps);
  const Trained bf16 = train(Recipe::Nanda1L, backend::Precision::Bf16, steps);
  EXPECT_EQ(bf16.dense_steps, steps) << "the dense path (bf16 backward GEMMs) was not taken throughout";
  EXPECT_LE(std::fabs(bf16.fvu - fp32.fvu), 0.05 * fp32.fvu) << "bf16 FVU " << bf16.fvu << ", fp32 " << fp32.fvu;
  std::printf("nanda-1l, %lld steps: FVU fp32 %.5f bf16 %.5f\n", static_cast<long long>(steps), fp32.fvu, bf16.fvu);
}

}  // namespace
}  // namespace coact::sae
