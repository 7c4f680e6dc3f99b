#include "coact/sae/config.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include "coact/core/errors.h"

namespace coact::sae {

const std::vector<std::string>& recipe_names() {
  static const std::vector<std::string> names = {"nanda-1l", "topk", "batchtopk", "jumprelu", "matryoshka"};
  return names;
}

const char* to_string(Recipe recipe) { return recipe_names().at(static_cast<std::size_t>(recipe)).c_str(); }

Recipe parse_recipe(const std::string& text) {
  for (std::size_t i = 0; i < recipe_names().size(); ++i)
    if (recipe_names()[i] == text) return static_cast<Recipe>(i);
  throw UsageError(str("sae config: recipe '", text, "' is not one of nanda-1l, topk, batchtopk, jumprelu, matryoshka"));
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
  if (recipe == Recipe::TopK || selects_over_batch(recipe)) {
    // EleutherAI sae trainer.py: "Auto-select LR using 1 / sqrt(d) scaling law from Figure 3 of
    // the paper" — 2e-4 at 2^14 latents; torch.optim.Adam's default betas and eps. BatchTopK
    // (bartbussmann/BatchTopK, dictionary_learning) keeps the same rate, betas and warm-up.
    config.lr = n_features > 0 ? 2e-4 / std::sqrt(static_cast<double>(n_features) / 16384.0) : 2e-4;
    config.adam_beta2 = 0.999;
    config.lr_warmup_steps = 1000;
    config.l1_coeff = 0.0;
    config.resample_every = 0;
  }
  if (selects_over_batch(recipe)) {
    // dictionary_learning BatchTopKTrainer: threshold_beta 0.999, threshold_start_step 1000
    // (SAELens' matryoshka trainer inherits the batchtopk threshold).
    config.threshold_beta = 0.999;
    config.threshold_start_step = 1000;
  }
  if (recipe == Recipe::JumpRelu) {
    // Rajamanoharan et al. 2024, Appendix I, as dictionary_learning's JumpReluTrainer: Adam
    // (0, 0.999), lr 7e-5, ε = 0.001, θ0 = 0.001; λ and the rate warmed up over 10k and 1k steps.
    config.lr = 7e-5;
    config.adam_beta1 = 0.0;
    config.adam_beta2 = 0.999;
    config.lr_warmup_steps = 1000;
    config.l1_coeff = 0.0;
    config.resample_every = 0;
    config.subtract_b_dec = false;
    config.l0_coeff = 1.0;
    config.l0_warmup_steps = 10000;
    config.bandwidth = 0.001;
    config.threshold_init = 0.001;
  }
  return config;
}

std::int64_t effective_k_aux(const SaeConfig& config) { return config.k_aux > 0 ? config.k_aux : config.d_in / 2; }

bool selects_over_batch(Recipe recipe) { return recipe == Recipe::BatchTopK || recipe == Recipe::Matryoshka; }

std::vector<std::int64_t> matryoshka_widths(const SaeConfig& config) {
  std::vector<std::int64_t> widths;
  const std::string& text = config.matryoshka_widths;
  if (text.empty()) return widths;
  for (std::size_t start = 0;;) {
    const std::size_t comma = std::min(text.find(',', start), text.size());
    const std::string item = text.substr(start, comma - start);
    std::size_t used = 0;
    long long value = 0;
    try {
      value = std::stoll(item, &used);
    } catch (const std::exception&) {
      used = 0;
    }
    if (item.empty() || used != item.size())
      throw UsageError(str("sae config: matryoshka_widths = '", text, "': '", item, "' is not an integer"));
    widths.push_back(value);
    if (comma == text.size()) return widths;
    start = comma + 1;
  }
}

namespace {

template <class T>
void require(bool ok, const char* field, const T& value, const char* expected) {
  if (!ok) throw UsageError(str("sae config: ", field, " = ", value, ": ", expected));
}

options::Table<SaeConfig> make_config_table() {
  using namespace options;
  Table<SaeConfig> t;
  t.add<Recipe>(text("recipe", "training recipe (sets every hyper-parameter's default)").one_of(recipe_names()),
                &SaeConfig::recipe, [](const Recipe& r) { return std::string(to_string(r)); }, parse_recipe);
  t.add(integer("d-in", "input width d").at_least(1).internal(), &SaeConfig::d_in);
  t.add(integer("n-features", "dictionary size n").at_least(1).below(2147483648.0, "feature indices are 32-bit").internal(),
        &SaeConfig::n_features);
  t.add(integer("seed", "the SAE's seed (init and resampling draws)").at_least(0).internal(), &SaeConfig::seed);
  t.add(real("lr", "Adam learning rate in effect").above(0).at_most(1, "larger Adam steps diverge").internal(),
        &SaeConfig::lr);
  t.add(real("adam-beta1", "Adam beta1").at_least(0).below(1), &SaeConfig::adam_beta1);
  t.add(real("adam-beta2", "Adam beta2").at_least(0).below(1), &SaeConfig::adam_beta2);
  t.add(real("adam-eps", "Adam epsilon").above(0).at_most(1, "a larger epsilon replaces the gradient scale"),
        &SaeConfig::adam_eps);
  t.add(integer("lr-warmup-steps", "linear warm-up steps").at_least(0), &SaeConfig::lr_warmup_steps);
  t.add(integer("lr-decay-steps", "linear decay to 0 at this step (0: constant)").at_least(0), &SaeConfig::lr_decay_steps);
  t.add(flag("subtract-b-dec", "encode x - b_dec (false: x)"), &SaeConfig::subtract_b_dec);
  t.add(flag("project-decoder-grad", "remove each decoder row's gradient along the row"), &SaeConfig::project_decoder_grad);
  t.add(flag("renormalize-decoder", "rescale decoder rows to unit norm after each step"), &SaeConfig::renormalize_decoder);
  t.add(real("l1-coeff", "coefficient of the summed L1 term").at_least(0), &SaeConfig::l1_coeff);
  t.add(integer("resample-every", "steps between dead-feature resampling (0: never)").at_least(0), &SaeConfig::resample_every);
  t.add(integer("resample-window", "steps in the firing-frequency window (0: since the last check)").at_least(0),
        &SaeConfig::resample_window);
  t.add(real("resample-threshold", "firing frequency below which a feature is resampled").at_least(0).at_most(1, "a frequency"),
        &SaeConfig::resample_threshold);
  t.add(integer("k", "topk: active latents per token; batchtopk: on average over the batch").at_least(1), &SaeConfig::k);
  t.add(integer("k-aux", "topk: AuxK latents (0: d/2)").at_least(0), &SaeConfig::k_aux);
  t.add(real("auxk-alpha", "topk: AuxK loss weight").at_least(0), &SaeConfig::auxk_alpha);
  t.add(integer("dead-tokens", "tokens without firing after which a latent is dead").at_least(0), &SaeConfig::dead_tokens);
  t.add(real("threshold-beta", "batchtopk: decay of the threshold's moving average").at_least(0).below(1),
        &SaeConfig::threshold_beta);
  t.add(integer("threshold-start-step", "batchtopk: steps before the threshold is learned").at_least(0),
        &SaeConfig::threshold_start_step);
  t.add(text("matryoshka-widths", "matryoshka: the nested levels' widths w1,w2,...,n (increasing, the last = n)")
            .empty_allowed(),
        &SaeConfig::matryoshka_widths);
  t.add(real("l0-coeff", "jumprelu: coefficient of the L0 term").at_least(0), &SaeConfig::l0_coeff);
  t.add(integer("l0-warmup-steps", "jumprelu: linear warm-up of the L0 coefficient").at_least(0),
        &SaeConfig::l0_warmup_steps);
  t.add(real("bandwidth", "jumprelu: width of the straight-through rectangle kernel").at_least(0), &SaeConfig::bandwidth);
  t.add(real("threshold-init", "jumprelu: initial threshold").at_least(0), &SaeConfig::threshold_init);
  t.add<ComputePath>(text("path", "backward pass: auto, dense or sparse").one_of({"auto", "dense", "sparse"}).performance(),
                     &SaeConfig::path, [](const ComputePath& p) { return std::string(to_string(p)); }, parse_compute_path);
  t.add(real("sparse-max-density", "auto path: code density up to which the sparse pass is used")
            .at_least(0).at_most(1, "a density")
            .performance(),
        &SaeConfig::sparse_max_density);
  // Changes results slightly (bf16 operands), so it is compared on resume.
  t.add<backend::Precision>(text("precision", "arithmetic of the step's GEMMs: fp32, or bf16 / tf32 operands with fp32 sums")
                                .one_of({"fp32", "bf16", "tf32"})
                                .older_files_had(std::string("fp32")),
                            &SaeConfig::precision, [](const backend::Precision& p) { return std::string(backend::to_string(p)); },
                            backend::parse_precision);
  // A default that differs between recipes is shown per recipe ("nanda-1l 0.99, topk 0.999").
  for (auto& f : t.fields()) {
    if (!f.spec.user || f.spec.name == "recipe") continue;
    std::string per_recipe;
    bool differs = false;
    const Value first = f.get(default_config(Recipe::Nanda1L, 0, 0));
    for (const auto& name : recipe_names()) {
      const Value v = f.get(default_config(parse_recipe(name), 0, 0));
      differs = differs || v != first;
      per_recipe += str(per_recipe.empty() ? "" : ", ", name, " ", to_text(v));
    }
    if (differs) f.spec.derived = per_recipe;
  }
  return t;
}

}  // namespace

const options::Table<SaeConfig>& config_table() {
  static const options::Table<SaeConfig> table = make_config_table();
  return table;
}

void validate(const SaeConfig& c) {
  config_table().check(c, [](const std::string& name) { return "sae config: " + options::attribute_name(name); });
  require(c.lr_decay_steps == 0 || c.lr_decay_steps > c.lr_warmup_steps, "lr_decay_steps", c.lr_decay_steps,
          "must exceed lr_warmup_steps (the decay ends after the warm-up)");
  const std::string recipe = to_string(c.recipe);
  if (c.recipe == Recipe::TopK || selects_over_batch(c.recipe)) {
    require(c.k >= 1 && c.k <= c.n_features, "k", c.k, "must be in [1, n_features]");
    require(c.k_aux >= 0 && c.k_aux <= c.n_features, "k_aux", c.k_aux, "must be in [0, n_features] (0: d_in / 2)");
    require(c.l1_coeff == 0, "l1_coeff", c.l1_coeff, str("must be 0 for recipe ", recipe, " (its sparsity is the TopK)").c_str());
    require(c.resample_every == 0, "resample_every", c.resample_every,
            str("must be 0 for recipe ", recipe, " (dead latents are revived by the AuxK loss)").c_str());
  }
  if (c.recipe == Recipe::JumpRelu) {
    require(c.bandwidth > 0, "bandwidth", c.bandwidth, "must be positive for recipe jumprelu");
    require(c.l1_coeff == 0, "l1_coeff", c.l1_coeff, "must be 0 for recipe jumprelu (its sparsity is the L0 term)");
    require(c.resample_every == 0, "resample_every", c.resample_every, "must be 0 for recipe jumprelu");
  } else {
    require(c.l0_coeff == 0, "l0_coeff", c.l0_coeff, "is a jumprelu setting (must be 0 for this recipe)");
  }
  if (!selects_over_batch(c.recipe))
    require(c.threshold_start_step == 0 && c.threshold_beta == 0, "threshold_beta", c.threshold_beta,
            "and threshold_start_step are batchtopk settings (must be 0 for this recipe)");
  if (c.recipe == Recipe::Matryoshka) {
    const std::vector<std::int64_t> widths = matryoshka_widths(c);
    require(!widths.empty(), "matryoshka_widths", "''",
            "recipe matryoshka needs its levels' widths, increasing, the last = n_features (e.g. 2048,4096,8192,16384)");
    std::int64_t previous = 0;
    for (const std::int64_t w : widths) {
      require(w > previous, "matryoshka_widths", c.matryoshka_widths, "must increase from a first width of at least 1");
      previous = w;
    }
    require(c.n_features == 0 || previous == c.n_features, "matryoshka_widths", c.matryoshka_widths,
            str("must end at n_features = ", c.n_features, " (the outer level is the whole SAE)").c_str());
    require(c.path != ComputePath::Dense, "path", "dense",
            "recipe matryoshka trains on the sparse path (its levels' residuals need the code's entries)");
  } else {
    require(c.matryoshka_widths.empty(), "matryoshka_widths", c.matryoshka_widths,
            "is a matryoshka setting (must be empty for this recipe)");
  }
}

}  // namespace coact::sae
