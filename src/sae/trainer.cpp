// The trainer's set-up, the update half of the step (apply_update), resampling and state. The
// gradient half is in gradients.cpp.
#include <algorithm>
#include <cfloat>
#include <cmath>

#include "coact/core/errors.h"
#include "coact/core/rng.h"
#include "coact/dist/comm.h"
#include "coact/sae/trainer.h"
#include "workspace.h"

namespace coact::sae {
namespace {

constexpr std::size_t kAlignFloats = 16;
std::size_t aligned(std::size_t offset) { return (offset + kAlignFloats - 1) / kAlignFloats * kAlignFloats; }

// Decoder rows are scaled by 1 / (‖row‖ + eps): Nanda divides by the norm alone, EleutherAI (and
// dictionary_learning, for batchtopk and jumprelu) adds torch.finfo(float32).eps.
float decoder_norm_eps(Recipe recipe) { return recipe == Recipe::Nanda1L ? 0.0f : FLT_EPSILON; }

// What the summed buffer says about the global batch.
struct BatchTotals {
  double rows = 0, sse = 0, centered = 0, aux = 0, l1_sum = 0, active = 0, inner_sse = 0;
  double variance = 0;  // Σ ‖x − mean(x)‖² = Σ‖x − c‖² − ‖Σ(x − c)‖² / N with c = b_dec
};

BatchTotals read_totals(const backend::Buffer<float>& reduce, const ReduceLayout& layout) {
  const std::int64_t d = layout.params.d_in;
  std::vector<float> host(static_cast<std::size_t>(d) + kReduceScalars);
  backend::Backend& b = *reduce.backend();
  b.copy_bytes(host.data(), reduce.data() + layout.centered_sums, d * sizeof(float), backend::CopyKind::DeviceToHost);
  b.copy_bytes(host.data() + d, reduce.data() + layout.scalars, kReduceScalars * sizeof(float),
               backend::CopyKind::DeviceToHost);
  const float* s = host.data() + d;
  BatchTotals t;
  t.rows = s[kRowCount];
  t.sse = s[kSquaredError];
  t.centered = s[kCenteredSquares];
  t.aux = s[kAuxSquaredError];
  t.l1_sum = s[kL1Sum];
  t.active = s[kActiveCount];
  t.inner_sse = s[kInnerSquaredError];
  double mean_norm2 = 0.0;
  for (std::int64_t c = 0; c < d; ++c) mean_norm2 += static_cast<double>(host[c]) * host[c];
  t.variance = t.rows > 0 ? t.centered - mean_norm2 / t.rows : 0.0;
  return t;
}

}  // namespace

ReduceLayout ReduceLayout::make(std::int64_t d_in, std::int64_t n_features, EncoderKind kind) {
  ReduceLayout l;
  l.params = ParamLayout::make(d_in, n_features, kind);
  l.fire_counts = l.params.count;
  l.centered_sums = aligned(l.fire_counts + static_cast<std::size_t>(n_features));
  l.scalars = aligned(l.centered_sums + static_cast<std::size_t>(d_in));
  l.count = aligned(l.scalars + kReduceScalars);
  return l;
}

SaeTrainer::SaeTrainer(Sae& sae, const SaeConfig& config, std::int64_t max_local_rows, dist::Comm* shards)
    : sae_(sae), config_(config), max_rows_(max_local_rows),
      layout_(ReduceLayout::make(sae.d_in(), sae.n_features(), sae.kind())) {
  validate(config_);
  COACT_REQUIRE(config_.d_in == sae.d_in() && config_.n_features == sae.shard().total, UsageError,
                "SaeTrainer: config is for d_in ", config_.d_in, ", n_features ", config_.n_features,
                " but the SAE has ", sae.d_in(), " and ", sae.shard().total);
  if (sae.shard().sharded()) {
    COACT_REQUIRE(shards != nullptr && shards->size() > 1, UsageError,
                  "SaeTrainer: a shard of the SAE needs the communicator of its shards");
    const FeatureShard expected = FeatureShard::of(sae.shard().total, shards->rank(), shards->size());
    COACT_REQUIRE(expected.first == sae.shard().first && expected.count == sae.shard().count, UsageError,
                  "SaeTrainer: shard ", shards->rank(), " of ", shards->size(), " holds latents [", expected.first, ", ",
                  expected.first + expected.count, "), not [", sae.shard().first, ", ",
                  sae.shard().first + sae.shard().count, ")");
    shards_ = shards;
  }
  const EncoderSpec want = encoder_spec(config_);
  COACT_REQUIRE(sae.kind() == want.kind && sae.k() == want.k && sae.spec().subtract_b_dec == want.subtract_b_dec,
                UsageError, "SaeTrainer: recipe ", to_string(config_.recipe), " does not match the SAE's encoder (",
                to_string(sae.kind()), ")");
  COACT_REQUIRE(max_local_rows >= 1, UsageError, "SaeTrainer: max_local_rows must be at least 1");
  backend::Backend& b = sae.backend();
  const std::int64_t n = sae.n_features();
  reduce_ = backend::Buffer<float>(b, layout_.count);
  reduce_.zero();  // padding stays zero from here on
  adam_m_ = backend::Buffer<float>(b, layout_.params.count);
  adam_v_ = backend::Buffer<float>(b, layout_.params.count);
  adam_m_.zero();
  adam_v_.zero();
  data_init_ = backend::Buffer<float>(b, static_cast<std::size_t>(sae.d_in() + 1));
  work_ = std::make_unique<Workspace>(b, max_local_rows, sae.d_in(), n);
  since_fired_.assign(static_cast<std::size_t>(n), 0);
  window_fires_.assign(static_cast<std::size_t>(n), 0.0);
  dead_host_.assign(static_cast<std::size_t>(n), 0);
}

SaeTrainer::~SaeTrainer() = default;

float* SaeTrainer::reduce_buffer() { return reduce_.data(); }

// ---- topk data initialisation ------------------------------------------------------------

bool SaeTrainer::needs_data_init() const {
  return (config_.recipe == Recipe::TopK || selects_over_batch(config_.recipe)) && !data_initialized_;
}

float* SaeTrainer::data_init_buffer() { return data_init_.data(); }
std::size_t SaeTrainer::data_init_count() const { return data_init_.size(); }

void SaeTrainer::compute_data_init(const float* batch, std::int64_t local_rows) {
  COACT_REQUIRE(local_rows >= 0 && local_rows <= max_rows_, UsageError, "SaeTrainer: ", local_rows,
                " local rows, at most ", max_rows_);
  backend::Backend& b = sae_.backend();
  const std::int64_t d = sae_.d_in();
  if (local_rows > 0) b.column_sums(local_rows, d, batch, false, data_init_.data());
  else data_init_.zero();
  b.fill(1, static_cast<float>(local_rows), data_init_.data() + d);
}

void SaeTrainer::apply_data_init() {
  // EleutherAI sparsify trainer.py sets b_dec to the first batch's mean (earlier versions of
  // EleutherAI sae used its geometric median); the mean is exact under data parallelism.
  const std::int64_t d = sae_.d_in();
  const auto sums = data_init_.to_host();
  COACT_REQUIRE(sums[d] > 0, Error, "SaeTrainer: the data-init batch has no rows");
  std::vector<float> mean(static_cast<std::size_t>(d));
  for (std::int64_t c = 0; c < d; ++c) mean[c] = static_cast<float>(static_cast<double>(sums[c]) / sums[d]);
  sae_.backend().copy_bytes(sae_.b_dec(), mean.data(), mean.size() * sizeof(float), backend::CopyKind::HostToDevice);
  data_initialized_ = true;
}

// ---- the update ----------------------------------------------------------------------------

double SaeTrainer::lr_at(std::int64_t step) const {
  // transformers.get_linear_schedule_with_warmup's factor at scheduler position s = step − 1.
  const auto s = static_cast<double>(step - 1);
  const auto warmup = static_cast<double>(config_.lr_warmup_steps);
  double factor = 1.0;
  if (config_.lr_warmup_steps > 0 && s < warmup) factor = s / warmup;
  else if (config_.lr_decay_steps > 0)
    factor = std::max(0.0, (static_cast<double>(config_.lr_decay_steps) - s) /
                               std::max(1.0, static_cast<double>(config_.lr_decay_steps) - warmup));
  return config_.lr * factor;
}

double SaeTrainer::l0_weight_at(std::int64_t step) const {
  // SAELens' coefficient warm-up: λ·min(1, step / warm-up steps), step counted from 1.
  if (config_.l0_warmup_steps <= 0) return config_.l0_coeff;
  return config_.l0_coeff * std::min(1.0, static_cast<double>(step) / static_cast<double>(config_.l0_warmup_steps));
}

void SaeTrainer::update_threshold() {
  backend::Backend& b = sae_.backend();
  const std::int64_t n = sae_.n_features();
  std::vector<float> theta(static_cast<std::size_t>(n));
  b.copy_bytes(theta.data(), sae_.threshold(), theta.size() * sizeof(float), backend::CopyKind::DeviceToHost);
  bool changed = false;
  if (config_.recipe == Recipe::JumpRelu) {
    // SAELens keeps θ >= 0 by projection: below zero the gate would pass negative activations.
    for (auto& t : theta)
      if (t < 0.0f) {
        t = 0.0f;
        changed = true;
      }
  } else if (step_ > config_.threshold_start_step) {
    // dictionary_learning update_threshold: the first value is the batch's smallest selected
    // activation, then θ ← β·θ + (1 − β)·that, in float32 (the update there runs without autocast).
    const float beta = static_cast<float>(config_.threshold_beta);
    const float value = step_ == config_.threshold_start_step + 1 ? batch_level_
                                                                  : beta * theta[0] + (1.0f - beta) * batch_level_;
    std::fill(theta.begin(), theta.end(), value);
    changed = true;
  }
  if (changed) b.copy_bytes(sae_.threshold(), theta.data(), theta.size() * sizeof(float), backend::CopyKind::HostToDevice);
}

StepMetrics SaeTrainer::apply_update() {
  COACT_REQUIRE(expected_rows_ >= 0, Error, "SaeTrainer::apply_update: compute_gradients was not called");
  backend::Backend& b = sae_.backend();
  const std::int64_t d = sae_.d_in(), n = sae_.n_features();
  sum_shared_over_shards();
  const BatchTotals totals = read_totals(reduce_, layout_);
  COACT_REQUIRE(std::llround(totals.rows) == expected_rows_, Error, "SaeTrainer::apply_update: the reduce buffer holds ",
                totals.rows, " rows but the global batch has ", expected_rows_,
                " (was it summed over all ranks exactly once?)");

  StepMetrics m;
  m.step = step_ + 1;
  m.tokens = expected_rows_;
  const double rows = totals.rows;
  m.l2 = totals.sse / rows;
  m.l0 = totals.active / rows;
  m.fvu = totals.variance > 0 ? totals.sse / totals.variance : std::nan("");
  double grad_scale = 1.0;
  switch (config_.recipe) {
    case Recipe::TopK:
      // EleutherAI: fvu = Σe² / total_variance, auxk = scale·Σ(ê − e)² / total_variance; the
      // gradients were accumulated for the unnormalised sums.
      COACT_REQUIRE(totals.variance > 0, NumericError, "step ", m.step,
                    ": the batch has zero variance, so the topk (FVU) loss is undefined");
      grad_scale = 1.0 / totals.variance;
      m.auxk = aux_scale_ * totals.aux / totals.variance;
      m.loss = m.fvu + config_.auxk_alpha * m.auxk;
      break;
    case Recipe::BatchTopK:
    case Recipe::Matryoshka:
      // SAELens MatryoshkaBatchTopKTrainingSAE: the batchtopk loss plus each inner level's error.
      m.inner_l2 = totals.inner_sse / rows;
      m.auxk = aux_scale_ * totals.aux / rows;
      m.loss = m.l2 + m.inner_l2 + config_.auxk_alpha * m.auxk;
      break;
    case Recipe::JumpRelu:
      m.l1 = l0_weight_ * m.l0;
      m.loss = m.l2 + m.l1;
      break;
    case Recipe::Nanda1L:
      m.l1 = config_.l1_coeff * totals.l1_sum;
      m.loss = m.l2 + m.l1;
      break;
  }
  if (!std::isfinite(m.loss))
    throw NumericError(str("step ", m.step, ": loss is ", m.loss, " (L2 ", m.l2, ", L1 ", m.l1,
                           "); the parameters were left at the previous step"));
  expected_rows_ = -1;

  float* grads = reduce_.data();
  const ParamLayout& p = layout_.params;
  if (config_.project_decoder_grad) b.project_out_rows(n, d, sae_.w_dec(), grads + p.w_dec);

  step_ += 1;
  m.lr = lr_at(step_);
  const double bias_correction1 = 1.0 - std::pow(config_.adam_beta1, static_cast<double>(step_));
  const double bias_correction2 = 1.0 - std::pow(config_.adam_beta2, static_cast<double>(step_));
  backend::AdamParams adam;
  adam.step_size = static_cast<float>(m.lr / bias_correction1);
  adam.beta2 = static_cast<float>(config_.adam_beta2);
  adam.one_minus_beta1 = static_cast<float>(1.0 - config_.adam_beta1);
  adam.one_minus_beta2 = static_cast<float>(1.0 - config_.adam_beta2);
  adam.eps = static_cast<float>(config_.adam_eps);
  adam.bias_correction2_sqrt = static_cast<float>(std::sqrt(bias_correction2));
  adam.grad_scale = static_cast<float>(grad_scale);
  b.adam_update(static_cast<std::int64_t>(p.count), adam, grads, sae_.params(), adam_m_.data(), adam_v_.data());

  if (config_.renormalize_decoder) b.normalize_rows(n, d, nullptr, decoder_norm_eps(config_.recipe), sae_.w_dec());
  if (layout_.params.has_threshold) update_threshold();

  // Dead tracking and the resampling window, on the host from the summed fire counts.
  std::vector<float>& fires = last_fire_counts_;
  fires.resize(static_cast<std::size_t>(n));
  b.copy_bytes(fires.data(), reduce_.data() + layout_.fire_counts, fires.size() * sizeof(float),
               backend::CopyKind::DeviceToHost);
  const std::int64_t tokens = m.tokens;
  for (std::int64_t j = 0; j < n; ++j) since_fired_[j] = fires[j] > 0 ? 0 : since_fired_[j] + tokens;
  last_resampled_.clear();
  if (config_.resample_every > 0) {
    const std::int64_t every = config_.resample_every;
    const std::int64_t window = config_.resample_window == 0 ? every : std::min(config_.resample_window, every);
    const std::int64_t position = (step_ - 1) % every + 1;  // 1..every within the period
    if (position > every - window) {
      for (std::int64_t j = 0; j < n; ++j) window_fires_[j] += fires[j];
      window_tokens_ += tokens;
    }
    if (step_ % every == 0) {
      for (std::int64_t j = 0; j < n; ++j)
        if (window_fires_[j] / static_cast<double>(window_tokens_) < config_.resample_threshold)
          last_resampled_.push_back(static_cast<std::int32_t>(j));
      if (!last_resampled_.empty()) resample(last_resampled_);
      std::fill(window_fires_.begin(), window_fires_.end(), 0.0);
      window_tokens_ = 0;
    }
  }
  m.resampled = sum_over_shards(static_cast<std::int64_t>(last_resampled_.size()));
  std::int64_t dead = 0;
  for (std::int64_t j = 0; j < n; ++j) dead += since_fired_[j] > config_.dead_tokens ? 1 : 0;
  m.dead_fraction = static_cast<double>(sum_over_shards(dead)) / static_cast<double>(sae_.shard().total);
  return m;
}

void SaeTrainer::resample(const std::vector<std::int32_t>& features) {
  // Nanda's re_init: fresh kaiming-uniform W_enc columns and W_dec rows (here normalised, as
  // every decoder row is), b_enc = 0. His optimiser is left untouched, so the Adam moments of
  // these features are kept. The draws are addressed by (seed, step, element), so every rank
  // draws the same values; a shard draws its latents' values of the whole SAE's draws.
  backend::Backend& b = sae_.backend();
  const std::int64_t d = sae_.d_in(), n = sae_.n_features(), total = sae_.shard().total, first = sae_.shard().first;
  const auto count = static_cast<std::int64_t>(features.size());
  backend::Buffer<std::int32_t> list(b, features.size());
  list.copy_from_host(features);
  const std::uint64_t key = mix_seed(mix_seed(config_.seed, kResampleTag), static_cast<std::uint64_t>(step_));
  const backend::UniformRowsParams enc{key, kEncoderStream, std::sqrt(6.0 / static_cast<double>(total)), 1, total, first};
  const backend::UniformRowsParams dec{key, kDecoderStream, std::sqrt(6.0 / static_cast<double>(d)), d, 1, first * d};
  b.uniform_rows(count, d, list.data(), enc, sae_.w_enc_t());
  b.uniform_rows(count, d, list.data(), dec, sae_.w_dec());
  b.normalize_rows(count, d, list.data(), decoder_norm_eps(config_.recipe), sae_.w_dec());
  std::vector<float> b_enc(static_cast<std::size_t>(n));
  b.copy_bytes(b_enc.data(), sae_.b_enc(), b_enc.size() * sizeof(float), backend::CopyKind::DeviceToHost);
  for (const std::int32_t j : features) {
    b_enc[j] = 0.0f;
    since_fired_[j] = 0;  // a fresh feature has not had the chance to fire yet
  }
  b.copy_bytes(sae_.b_enc(), b_enc.data(), b_enc.size() * sizeof(float), backend::CopyKind::HostToDevice);
}

// ---- state ---------------------------------------------------------------------------------

TrainerState SaeTrainer::state() const {
  TrainerState s;
  s.step = step_;
  s.adam_m = unpack_tensors(layout_.params, adam_m_.to_host());
  s.adam_v = unpack_tensors(layout_.params, adam_v_.to_host());
  s.tokens_since_fired = since_fired_;
  s.window_fires = window_fires_;
  s.window_tokens = window_tokens_;
  s.data_initialized = data_initialized_;
  return s;
}

void SaeTrainer::set_state(const TrainerState& s) {
  const std::int64_t d = sae_.d_in(), n = sae_.n_features();
  COACT_REQUIRE(s.step >= 0, InputError, "trainer state: step ", s.step, " is negative");
  s.adam_m.check_shape(d, n, "trainer state: Adam first moments");
  s.adam_v.check_shape(d, n, "trainer state: Adam second moments");
  COACT_REQUIRE(s.tokens_since_fired.size() == static_cast<std::size_t>(n) &&
                    s.window_fires.size() == static_cast<std::size_t>(n),
                InputError, "trainer state: per-feature counters have ", s.tokens_since_fired.size(), " and ",
                s.window_fires.size(), " values, expected n_features = ", n);
  adam_m_.copy_from_host(pack_tensors(layout_.params, s.adam_m));
  adam_v_.copy_from_host(pack_tensors(layout_.params, s.adam_v));
  step_ = s.step;
  since_fired_ = s.tokens_since_fired;
  window_fires_ = s.window_fires;
  window_tokens_ = s.window_tokens;
  data_initialized_ = s.data_initialized;
  dead_mask_uploaded_ = false;
  expected_rows_ = -1;
}

SaeTensors SaeTrainer::gradients_to_host() const {
  const BatchTotals totals = read_totals(reduce_, layout_);
  const double scale = config_.recipe == Recipe::TopK ? 1.0 / totals.variance : 1.0;  // as apply_update's grad_scale
  auto flat = reduce_.to_host();
  flat.resize(layout_.params.count);
  for (auto& g : flat) g = static_cast<float>(g * scale);
  return unpack_tensors(layout_.params, flat);
}

}  // namespace coact::sae
