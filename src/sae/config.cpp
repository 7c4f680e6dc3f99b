#include "coact/sae/config.h"

#include <cmath>

#include "coact/core/errors.h"

namespace coact::sae {

const char* to_string(Recipe recipe) { return recipe == Recipe::Nanda1L ? "nanda-1l" : "topk"; }

Recipe parse_recipe(const std::string& text) {
  if (text == "nanda-1l") return Recipe::Nanda1L;
  if (text == "topk") return Recipe::TopK;
  throw UsageError(str("sae config: recipe '", text, "' is not one of nanda-1l, topk"));
}

const char* to_string(ComputePath path) {
  switch (path) {
    case ComputePath::Dense: return "dense";
    case ComputePath::Sparse: return "sparse";
    default: return "auto";
  }
}

ComputePath parse_compute_path(const std::string& text) {
  if (text == "auto") return ComputePath::Auto;
  if (text == "dense") return ComputePath::Dense;
  if (text == "sparse") return ComputePath::Sparse;
  throw UsageError(str("sae config: path '", text, "' is not one of auto, dense, sparse"));
}

SaeConfig default_config(Recipe recipe, std::int64_t d_in, std::int64_t n_features, std::uint64_t seed) {
  SaeConfig config;
  config.recipe = recipe;
  config.d_in = d_in;
  config.n_features = n_features;
  config.seed = seed;
  if (recipe == Recipe::TopK) {
    // EleutherAI sae trainer.py: "Auto-select LR using 1 / sqrt(d) scaling law from Figure 3 of
    // the paper" — 2e-4 at 2^14 latents; torch.optim.Adam's default betas and eps.
    config.lr = n_features > 0 ? 2e-4 / std::sqrt(static_cast<double>(n_features) / 16384.0) : 2e-4;
    config.adam_beta2 = 0.999;
    config.lr_warmup_steps = 1000;
    config.l1_coeff = 0.0;
    config.resample_every = 0;
  }
  return config;
}

std::int64_t effective_k_aux(const SaeConfig& config) { return config.k_aux > 0 ? config.k_aux : config.d_in / 2; }

namespace {

template <class T>
void require(bool ok, const char* field, const T& value, const char* expected) {
  if (!ok) throw UsageError(str("sae config: ", field, " = ", value, ": ", expected));
}

bool finite(double x) { return std::isfinite(x); }

}  // namespace

void validate(const SaeConfig& c) {
  require(c.d_in >= 1, "d_in", c.d_in, "must be at least 1");
  require(c.n_features >= 1, "n_features", c.n_features, "must be at least 1");
  // Indices of features are int32 in the sparse codes; products are int64.
  require(c.n_features < (std::int64_t{1} << 31), "n_features", c.n_features, "must be below 2^31");
  require(finite(c.lr) && c.lr > 0, "lr", c.lr, "must be a positive number");
  require(finite(c.adam_beta1) && c.adam_beta1 >= 0 && c.adam_beta1 < 1, "adam_beta1", c.adam_beta1,
          "must be in [0, 1)");
  require(finite(c.adam_beta2) && c.adam_beta2 >= 0 && c.adam_beta2 < 1, "adam_beta2", c.adam_beta2,
          "must be in [0, 1)");
  require(finite(c.adam_eps) && c.adam_eps > 0, "adam_eps", c.adam_eps, "must be positive");
  require(c.lr_warmup_steps >= 0, "lr_warmup_steps", c.lr_warmup_steps, "must be >= 0");
  require(c.lr_decay_steps >= 0, "lr_decay_steps", c.lr_decay_steps, "must be >= 0 (0: no decay)");
  require(c.lr_decay_steps == 0 || c.lr_decay_steps > c.lr_warmup_steps, "lr_decay_steps", c.lr_decay_steps,
          "must exceed lr_warmup_steps (the decay ends after the warm-up)");
  require(finite(c.l1_coeff) && c.l1_coeff >= 0, "l1_coeff", c.l1_coeff, "must be >= 0");
  require(c.resample_every >= 0, "resample_every", c.resample_every, "must be >= 0 (0: never)");
  require(c.resample_window >= 0, "resample_window", c.resample_window, "must be >= 0 (0: since the last check)");
  require(finite(c.resample_threshold) && c.resample_threshold >= 0 && c.resample_threshold <= 1,
          "resample_threshold", c.resample_threshold, "must be a frequency in [0, 1]");
  require(c.dead_tokens >= 0, "dead_tokens", c.dead_tokens, "must be >= 0");
  require(finite(c.sparse_max_density) && c.sparse_max_density >= 0 && c.sparse_max_density <= 1,
          "sparse_max_density", c.sparse_max_density, "must be in [0, 1]");
  if (c.recipe == Recipe::TopK) {
    require(c.k >= 1 && c.k <= c.n_features, "k", c.k, "must be in [1, n_features]");
    require(c.k_aux >= 0 && c.k_aux <= c.n_features, "k_aux", c.k_aux, "must be in [0, n_features] (0: d_in / 2)");
    require(finite(c.auxk_alpha) && c.auxk_alpha >= 0, "auxk_alpha", c.auxk_alpha, "must be >= 0");
    require(c.l1_coeff == 0, "l1_coeff", c.l1_coeff, "must be 0 for recipe topk (its sparsity is the TopK)");
    require(c.resample_every == 0, "resample_every", c.resample_every,
            "must be 0 for recipe topk (dead latents are revived by the AuxK loss)");
  }
}

}  // namespace coact::sae
