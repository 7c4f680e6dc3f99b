// Every hyper-parameter of SAE training, with the defaults of the two recipes and where they
// come from. Field names are the configuration keys (the trainer's flags use them with dashes).
//
// nanda-1l (default): Neel Nanda's 1L-Sparse-Autoencoder (github.com/neelnanda-io/
//   1L-Sparse-Autoencoder, utils.py default_cfg and AutoEncoder, train.py), as docs/method.md, "SAE".
// topk: Gao et al. 2024, "Scaling and evaluating sparse autoencoders" (github.com/openai/
//   sparse_autoencoder, train.py) as the EleutherAI `sae` library implements it
//   (github.com/EleutherAI/sae, sae/sae.py, sae/trainer.py, sae/config.py; later `sparsify`):
//   TopK of the ReLU pre-activations, tied init, b_dec from the data, FVU loss, AuxK on dead
//   latents with k_aux = d/2 and α = 1/32, dead after 10M tokens, Adam at torch's defaults and
//   lr = 2e-4 / sqrt(n / 2^14) with 1000 warm-up steps.
// batchtopk: Bussmann et al. 2024, "BatchTopK Sparse Autoencoders" (github.com/bartbussmann/
//   BatchTopK; as dictionary_learning's BatchTopKTrainer and SAELens' BatchTopKTrainingSAE):
//   the k·B largest ReLU pre-activations over the whole batch of B tokens, tied init, b_dec from
//   the data, loss (1/B)Σ‖x̂ − x‖² + α·AuxK with AuxK = min(dead/k_aux, 1)·(1/B)Σ‖ê − e‖² as
//   SAELens writes it, Adam (0.9, 0.999) with the topk learning rate and warm-up, and a global
//   inference threshold θ: after threshold_start_step steps, θ ← β·θ + (1 − β)·(the smallest
//   selected activation), starting from that value (dictionary_learning's update_threshold).
// jumprelu: Rajamanoharan et al. 2024, "Jumping Ahead: Improving Reconstruction Fidelity with
//   JumpReLU Sparse Autoencoders" (as Gemma Scope trained them): z = v·[v > θ] with
//   v = x·W_enc + b_enc (b_dec not subtracted), loss (1/B)Σ‖x̂ − x‖² + λ·(1/B)Σ‖z‖₀, the
//   threshold learned through straight-through estimators with a rectangle kernel of bandwidth
//   ε = 0.001, θ initialised to 0.001 and kept ≥ 0, λ warmed up linearly over 10,000 steps,
//   Adam (0, 0.999) with lr 7e-5 and 1,000 warm-up steps. The threshold is a parameter itself
//   (as SAELens and dictionary_learning train it), not exp(log θ).
// matryoshka: Bussmann et al. 2025, "Learning Multi-Level Features with Matryoshka Sparse
//   Autoencoders", as SAELens' MatryoshkaBatchTopKTrainingSAE: the batchtopk recipe (same code,
//   AuxK, threshold and optimiser) whose loss adds, for every inner level of nested widths
//   w_1 < … < w_L = n, the error of the reconstruction from the first w_l features alone:
//   (1/B)Σ_l Σ‖b_dec + z[:, :w_l] W_dec[:w_l] − x‖² + α·AuxK. A feature in level l (columns
//   [w_(l−1), w_l)) gets its gradient from the residuals of levels l…L; the code itself is the
//   batch's k·B largest activations, as batchtopk's.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "coact/core/options.h"

#include "coact/backend/precision.h"

namespace coact::sae {

enum class Recipe { Nanda1L, TopK, BatchTopK, JumpRelu, Matryoshka };
const char* to_string(Recipe recipe);            // "nanda-1l" | "topk" | "batchtopk" | "jumprelu" | "matryoshka"
Recipe parse_recipe(const std::string& text);    // throws UsageError naming the accepted values
const std::vector<std::string>& recipe_names();  // every recipe, in enum order

// Which backward pass a step uses. Auto picks sparse when the measured code density is at most
// sparse_max_density, dense (GEMMs) otherwise (at initialisation a ReLU code is ~50% dense).
enum class ComputePath { Auto, Dense, Sparse };
const char* to_string(ComputePath path);         // "auto" | "dense" | "sparse"
ComputePath parse_compute_path(const std::string& text);

struct SaeConfig {
  Recipe recipe = Recipe::Nanda1L;
  std::int64_t d_in = 0;        // input width d (the activations' width)
  std::int64_t n_features = 0;  // dictionary size n
  std::uint64_t seed = 0;       // init and resampling draws are addressed by (seed, tensor, index)

  // ---- optimiser: torch.optim.Adam -------------------------------------------------------------
  double lr = 1e-4;           // nanda: 1e-4; topk: 2e-4 / sqrt(n / 2^14) (EleutherAI sae trainer.py)
  double adam_beta1 = 0.9;    // both
  double adam_beta2 = 0.99;   // nanda: 0.99 (default_cfg beta2); topk: torch default 0.999
  double adam_eps = 1e-8;     // torch default in both
  // Linear warm-up from 0 over this many steps, then linear decay to 0 at lr_decay_steps when
  // that is > 0 (transformers' get_linear_schedule_with_warmup, which EleutherAI uses with the
  // run's total steps; 0 keeps the rate constant after warm-up). The scheduler's first factor is
  // 0/warmup, so with warm-up the very first step has rate 0, as there.
  std::int64_t lr_warmup_steps = 0;  // nanda: 0; topk: 1000
  std::int64_t lr_decay_steps = 0;

  // Encode x − b_dec (true) or x (jumprelu: Gemma Scope's SAEs do not subtract b_dec).
  bool subtract_b_dec = true;

  // ---- decoder constraint ----------------------------------------------------------------------
  bool project_decoder_grad = true;  // remove each W_dec row's gradient component along the row
  bool renormalize_decoder = true;   // rescale W_dec rows to unit norm after each step; off
                                     // mimics Nanda's released checkpoints (no renormalisation)

  // ---- nanda-1l --------------------------------------------------------------------------------
  double l1_coeff = 3e-4;  // λ of the summed L1 term; must be 0 for topk
  // Re-initialise features whose firing frequency over the window is below the threshold every
  // resample_every steps (0: never), after that step's update (train.py: (i+1) % 30000 == 0).
  std::int64_t resample_every = 30000;
  // Steps whose tokens form the frequency window, ending at the check (0: every step since the
  // previous check). Nanda measured 50 fresh batches of 65,536 tokens ≈ 800 steps of 4,096.
  std::int64_t resample_window = 800;
  double resample_threshold = 3.1622776601683795e-06;  // 10^-5.5

  // ---- topk, batchtopk -------------------------------------------------------------------------
  std::int64_t k = 32;             // active latents per token (batchtopk: on average over the batch)
  std::int64_t k_aux = 0;          // AuxK latents per token; 0 means d_in / 2 (Gao et al. B.1)
  double auxk_alpha = 1.0 / 32.0;  // weight of the AuxK loss
  // A latent is dead (for AuxK and the dead-fraction metric of both recipes) when it has not
  // fired for more than this many tokens.
  std::int64_t dead_tokens = 10'000'000;

  // ---- batchtopk: the inference threshold ------------------------------------------------------
  double threshold_beta = 0.0;             // batchtopk: 0.999
  std::int64_t threshold_start_step = 0;   // batchtopk: 1000 (θ is learned after this many steps)

  // ---- matryoshka: the nested levels ------------------------------------------------------------
  // "w1,w2,...,n": each level's width (the features it reconstructs from), strictly increasing,
  // the last = n_features (SAELens matryoshka_widths). No default: a level ladder is a choice.
  std::string matryoshka_widths;

  // ---- jumprelu ----------------------------------------------------------------------------------
  double l0_coeff = 0.0;                   // λ of the L0 term; jumprelu: 1
  std::int64_t l0_warmup_steps = 0;        // linear warm-up of λ; jumprelu: 10,000
  double bandwidth = 0.0;                  // ε of the straight-through rectangle; jumprelu: 0.001
  double threshold_init = 0.0;             // initial θ; jumprelu: 0.001

  // ---- performance -----------------------------------------------------------------------------
  ComputePath path = ComputePath::Auto;
  double sparse_max_density = 0.03;  // measured crossover on a 2-core AVX-512 cpu (bench/RESULTS.md)
  // Arithmetic of the step's GEMMs: the encoder product and the dense path's decoder and
  // backward products. Parameters, Adam state and the sparse path stay fp32 (precision.h).
  backend::Precision precision = backend::Precision::Fp32;
};

// The defaults of a recipe for a d_in × n_features SAE (recipe-dependent fields as above).
SaeConfig default_config(Recipe recipe, std::int64_t d_in, std::int64_t n_features, std::uint64_t seed = 0);

// Every field of SaeConfig: flag/key name, valid range, help. Fields whose default depends on
// the recipe say each recipe's default. d-in, n-features, seed and the effective lr are set by
// the trainer (internal: stored in checkpoints as cfg_<name>, compared on resume, no flag).
// Give `recipe` first and its defaults apply (read_config_values does this).
const options::Table<SaeConfig>& config_table();

// Throws UsageError "sae config: <field> = <value>: ..." for the first field out of range, or
// a combination the recipe does not allow.
void validate(const SaeConfig& config);

// k_aux with 0 resolved to d_in / 2.
std::int64_t effective_k_aux(const SaeConfig& config);

// Recipes whose code is the batch's k·B largest activations (batchtopk, matryoshka).
bool selects_over_batch(Recipe recipe);
// The matryoshka level widths as numbers ({} when the text is empty); UsageError for text
// that is not a comma-separated list of integers.
std::vector<std::int64_t> matryoshka_widths(const SaeConfig& config);

}  // namespace coact::sae
