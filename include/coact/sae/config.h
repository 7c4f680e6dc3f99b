// Every hyper-parameter of SAE training, with the defaults of the two recipes and where they
// come from. Field names are the configuration keys (the trainer's flags use them with dashes).
//
// nanda-1l (default): Neel Nanda's 1L-Sparse-Autoencoder (github.com/neelnanda-io/
//   1L-Sparse-Autoencoder, utils.py default_cfg and AutoEncoder, train.py), as DESIGN.md "SAE".
// topk: Gao et al. 2024, "Scaling and evaluating sparse autoencoders" (github.com/openai/
//   sparse_autoencoder, train.py) as the EleutherAI `sae` library implements it
//   (github.com/EleutherAI/sae, sae/sae.py, sae/trainer.py, sae/config.py; later `sparsify`):
//   TopK of the ReLU pre-activations, tied init, b_dec from the data, FVU loss, AuxK on dead
//   latents with k_aux = d/2 and α = 1/32, dead after 10M tokens, Adam at torch's defaults and
//   lr = 2e-4 / sqrt(n / 2^14) with 1000 warm-up steps.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "coact/core/options.h"

namespace coact::sae {

enum class Recipe { Nanda1L, TopK };
const char* to_string(Recipe recipe);            // "nanda-1l" | "topk"
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

  // ---- topk ------------------------------------------------------------------------------------
  std::int64_t k = 32;             // active latents per token (sparsify / OpenAI default)
  std::int64_t k_aux = 0;          // AuxK latents per token; 0 means d_in / 2 (Gao et al. B.1)
  double auxk_alpha = 1.0 / 32.0;  // weight of the AuxK loss
  // A latent is dead (for AuxK and the dead-fraction metric of both recipes) when it has not
  // fired for more than this many tokens.
  std::int64_t dead_tokens = 10'000'000;

  // ---- performance -----------------------------------------------------------------------------
  ComputePath path = ComputePath::Auto;
  double sparse_max_density = 0.03;  // measured crossover on a 2-core AVX-512 cpu (bench/RESULTS.md)
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

}  // namespace coact::sae
