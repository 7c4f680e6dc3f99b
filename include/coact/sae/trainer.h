// One exact, data-parallel SAE training step, split around the gradient allreduce:
//
//   trainer.compute_gradients(batch, local_rows, global_rows);   // this rank's share
//   comm.allreduce_sum(trainer.reduce_buffer(), trainer.reduce_count(), DType::F32);
//   StepMetrics m = trainer.apply_update();                      // identical on every rank
//
// compute_gradients writes this rank's contribution to the gradient of the GLOBAL batch loss,
// plus every statistic that must be summed, into ONE contiguous float device buffer
// (ReduceLayout); summing the buffers of all ranks gives exactly what one process computes on
// the whole batch, up to float reassociation. apply_update then projects the decoder gradient,
// takes the Adam step, renormalises decoder rows and resamples dead features when due; all its
// inputs are the summed buffer and replicated state, so every rank takes the same step.
//
// batchtopk and matryoshka select the k·B largest activations over the GLOBAL batch, so their compute_gradients
// takes the group's communicator (the one the reduce buffer is summed over) and sums two value
// histograms and the ranks' tie counts over it (ops/code_rules.h: an exact radix select).
//
// The recipes topk and batchtopk first need b_dec from the data (the mean of the first global batch):
//   if (trainer.needs_data_init()) {
//     trainer.compute_data_init(batch, local_rows);
//     comm.allreduce_sum(trainer.data_init_buffer(), trainer.data_init_count(), DType::F32);
//     trainer.apply_data_init();
//   }
//
// Latent sharding: the SAE may be one shard of a dictionary split over T ranks (Sae::shard());
// `shards` then joins the T ranks that hold the shards of the same rows, in shard order. Each
// shard encodes with its own columns; TopK keeps of each shard's per-row top-k the entries of
// the global top-k (exact: a globally chosen entry is in its shard's top-k under the same rule,
// ties to the lower latent); the partial reconstructions and AuxK decodes are summed over the
// shards, so every shard sees the same residual. The reduce buffer then holds this shard's
// latents' gradients (summed over the data ranks by the caller, as before) and the shared parts
// (the b_dec gradient, the centred sums, the scalars), which apply_update also sums over the
// shards: the row terms are contributed by shard 0 alone, the latent terms by each shard. The
// ranks of `group` are ordered data rank first, then shard (rank = data rank · T + shard).
//
// With one process the allreduce calls are simply skipped. Checkpoints: the parameters
// (Sae::to_host / from_host) plus state() / set_state(); a step after a round trip of both is
// bit-identical to an uninterrupted one on the cpu backend.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include "coact/backend/buffer.h"
#include "coact/sae/config.h"
#include "coact/sae/sae.h"

namespace coact::dist {
class Comm;
}

namespace coact::sae {

namespace detail {
struct CodeBuffers;
}

// Scalars at the end of the reduce buffer, each a sum over the rows of the batch.
enum ReduceScalar : int {
  kSquaredError = 0,  // Σ ‖x̂ − x‖²
  kCenteredSquares,   // Σ ‖x − b_dec‖² (with centered_sums: the batch variance for FVU)
  kAuxSquaredError,   // Σ ‖ê − e‖² of AuxK (topk, batchtopk; 0 otherwise)
  kL1Sum,             // Σ Σ_features z (z >= 0)
  kActiveCount,       // Σ L0
  kRowCount,          // rows
  kInnerSquaredError, // matryoshka: Σ over the inner levels of ‖x̂_l − x‖² (0 otherwise)
  kReduceScalars
};

// Offsets (in floats) of each part of the reduce buffer; parts start on 64-byte boundaries and
// padding stays zero.
struct ReduceLayout {
  ParamLayout params;             // the gradients, at their parameters' offsets (W_enc as W_encᵀ [n, d])
  std::size_t fire_counts = 0;    // [n]: rows on which each feature was active
  std::size_t centered_sums = 0;  // [d]: Σ_rows (x − b_dec)
  std::size_t scalars = 0;        // [kReduceScalars]
  std::size_t count = 0;          // total floats

  static ReduceLayout make(std::int64_t d_in, std::int64_t n_features, EncoderKind kind = EncoderKind::Relu);
};

struct StepMetrics {
  std::int64_t step = 0;       // optimiser steps taken, this one included
  std::int64_t tokens = 0;     // rows of the global batch
  double loss = 0.0;           // the recipe's objective: nanda l2 + l1; topk fvu + auxk_alpha · auxk;
                               // batchtopk l2 + auxk_alpha · auxk; jumprelu l2 + l1;
                               // matryoshka l2 + inner_l2 + auxk_alpha · auxk
  double l2 = 0.0;             // mean over tokens of ‖x̂ − x‖²
  double inner_l2 = 0.0;       // matryoshka: Σ over the inner levels of the mean ‖x̂_l − x‖² (0 otherwise)
  double l1 = 0.0;             // the sparsity term: nanda λ·Σ|z|; jumprelu λ_t·L0; 0 for topk, batchtopk
  double l0 = 0.0;             // mean active features per token
  double fvu = 0.0;            // Σ‖x − x̂‖² / Σ‖x − mean_batch(x)‖²
  double auxk = 0.0;           // topk: min(dead / k_aux, 1) · Σ‖ê − e‖² / Σ‖x − mean_batch(x)‖²;
                               // batchtopk: min(dead / k_aux, 1) · Σ‖ê − e‖² / tokens
  double dead_fraction = 0.0;  // features not fired for more than dead_tokens tokens, after this step
  double lr = 0.0;             // the learning rate this step used
  std::int64_t resampled = 0;  // features re-initialised after this step
};

// What this rank's compute_gradients did (for logs and benchmarks; differs between ranks).
struct LocalStepInfo {
  ComputePath path = ComputePath::Auto;  // Dense or Sparse, as chosen
  double density = 0.0;                  // active fraction of the rows×n code
  std::int64_t nnz = 0;                  // active entries
  std::int64_t aux_nnz = 0;              // AuxK entries (topk)
  std::int64_t dead = 0;                 // dead latents AuxK used (topk; over all shards)
  std::int64_t band_nnz = 0;             // jumprelu: entries in the straight-through band
};

// Everything besides the parameters that a resumed run needs.
struct TrainerState {
  std::int64_t step = 0;
  SaeTensors adam_m, adam_v;                     // Adam moments, in the parameters' presented layouts
  std::vector<std::int64_t> tokens_since_fired;  // [n]
  std::vector<double> window_fires;              // [n]: fires in the current resampling window
  std::int64_t window_tokens = 0;
  bool data_initialized = false;                 // topk, batchtopk: b_dec was set from the data
};

class SaeTrainer {
 public:
  // The config must describe `sae` (d_in, n_features of the whole dictionary, recipe); it is
  // validated. max_local_rows bounds local_rows and sizes the work space. A sharded SAE needs
  // `shards` (its size the number of shards, its rank this shard's index).
  SaeTrainer(Sae& sae, const SaeConfig& config, std::int64_t max_local_rows, dist::Comm* shards = nullptr);
  ~SaeTrainer();
  SaeTrainer(const SaeTrainer&) = delete;
  SaeTrainer& operator=(const SaeTrainer&) = delete;

  // ---- topk, batchtopk: b_dec = mean of the first global batch -----------------------------
  bool needs_data_init() const;
  void compute_data_init(const float* batch, std::int64_t local_rows);  // writes Σ rows and the count
  float* data_init_buffer();                                            // d + 1 floats, device memory
  std::size_t data_init_count() const;
  void apply_data_init();

  // ---- the step -----------------------------------------------------------------------------
  // batch: local_rows × d_in on the device, this rank's rows of a global batch of global_rows;
  // the ranks of `group` hold consecutive slices of it in rank order. `group` may be null with
  // one rank (batchtopk sums over it; the other recipes do not use it).
  void compute_gradients(const float* batch, std::int64_t local_rows, std::int64_t global_rows,
                         dist::Comm* group = nullptr);
  float* reduce_buffer();  // device memory: what ranks allreduce (sum) in place
  std::size_t reduce_count() const { return layout_.count; }
  const ReduceLayout& layout() const { return layout_; }
  // Consumes the summed buffer (and overwrites it). Throws NumericError, before changing any
  // parameter, when the loss is not finite.
  StepMetrics apply_update();

  // ---- state --------------------------------------------------------------------------------
  std::int64_t step() const { return step_; }
  TrainerState state() const;
  void set_state(const TrainerState& state);  // InputError when it does not fit this SAE
  const SaeConfig& config() const { return config_; }

  // ---- diagnostics --------------------------------------------------------------------------
  const LocalStepInfo& last_local() const { return last_local_; }
  // The gradient of the global loss held by the (summed) reduce buffer, in presented layouts:
  // the buffer's values times the loss normaliser known only after the sum (topk: 1/variance).
  SaeTensors gradients_to_host() const;
  // Features re-initialised by the last apply_update, in increasing order.
  const std::vector<std::int32_t>& last_resampled() const { return last_resampled_; }
  // Tokens of the last global batch on which each feature fired (host copy made by apply_update).
  const std::vector<float>& last_fire_counts() const { return last_fire_counts_; }

 private:
  struct Workspace;

  void update_dead_mask();
  void resample(const std::vector<std::int32_t>& features);
  double lr_at(std::int64_t step) const;
  double l0_weight_at(std::int64_t step) const;
  // batchtopk: the selection rule of this step's code over the global batch (sets batch_level_).
  void select_batch(std::int64_t rows, std::int64_t global_rows, dist::Comm* group);
  // matryoshka (sparse path, the code filled): the levels' reconstructions and residuals, and
  // from them the code's gradients, W_dec/W_enc/b_enc gradient rows, fire counts, feature sums,
  // row statistics and the inner levels' error (matryoshka.cpp). Leaves dL/dx̂ summed over the
  // levels in dxhat and the whole reconstruction in xhat, as the one-level path does.
  void matryoshka_backward(const float* batch, const float* encoder_input, std::int64_t rows, float mse_scale);
  // After the Adam step: jumprelu keeps θ >= 0; batchtopk learns θ from batch_level_.
  void update_threshold();
  // Latent shards (shards.cpp): sums over the shards of the same rows, staged through device
  // memory; the global per-row top-k of a TopK code counted on this shard (before fill_codes);
  // the shared parts of the reduce buffer.
  bool sharded() const { return shards_ != nullptr; }
  bool owns_row_terms() const;  // shard 0 contributes what every shard computes alike
  int shard_index() const;
  int shard_count() const;
  void sum_over_shards(float* device_data, std::size_t count);
  std::int64_t sum_over_shards(std::int64_t value);
  void keep_global_topk(detail::CodeBuffers& codes);
  void sum_shared_over_shards();

  Sae& sae_;
  SaeConfig config_;
  dist::Comm* shards_ = nullptr;  // null unless the SAE is a shard
  std::int64_t max_rows_;
  ReduceLayout layout_;
  backend::Buffer<float> reduce_, adam_m_, adam_v_, data_init_;
  std::unique_ptr<Workspace> work_;

  std::int64_t step_ = 0;
  bool data_initialized_ = false;
  std::vector<std::int64_t> since_fired_;
  std::vector<double> window_fires_;
  std::int64_t window_tokens_ = 0;
  std::vector<std::uint8_t> dead_host_;
  std::int64_t dead_total_ = 0;  // dead latents over all shards
  bool dead_mask_uploaded_ = false;

  // Set by compute_gradients, read by apply_update.
  std::int64_t expected_rows_ = -1;
  double aux_scale_ = 0.0;
  double l0_weight_ = 0.0;     // jumprelu: λ_t of this step
  float batch_level_ = 0.0f;   // batchtopk: the smallest selected activation of this step (0: none)
  backend::CodeRule main_rule_;  // batchtopk: this step's selection
  LocalStepInfo last_local_;
  std::vector<std::int32_t> last_resampled_;
  std::vector<float> last_fire_counts_;
};

}  // namespace coact::sae
