// coact train: SAEs for one or more seeds on an activation store (the seed recipe by default).
#include <cmath>
#include <iostream>
#include <sstream>

#include "coact/backend/backend.h"
#include "coact/core/errors.h"
#include "coact/core/log.h"
#include "coact/core/strings.h"
#include "coact/sae/training.h"
#include "commands.h"

namespace coact::app {
namespace {

std::vector<std::uint64_t> parse_seeds(const std::string& text) {
  std::vector<std::uint64_t> seeds;
  for (const auto& part : split(text, ',')) {
    const std::string t = trim(part);
    std::size_t used = 0;
    unsigned long long value = 0;
    try {
      value = std::stoull(t, &used);
    } catch (const std::exception&) {
      used = 0;
    }
    if (t.empty() || used != t.size() || t[0] == '-')
      throw UsageError(str("--seeds: '", t, "' is not a non-negative integer (expected e.g. 52,55)"));
    if (std::find(seeds.begin(), seeds.end(), value) != seeds.end()) throw UsageError(str("--seeds: ", value, " is listed twice"));
    seeds.push_back(value);
  }
  return seeds;
}

}  // namespace

int run_train(const Invocation& invocation) {
  CommandLine cli("train", "--activations acts.h5 --out DIR (--seeds 52,55 | --seed 52) [options]",
                  "Trains one SAE per seed (DIR/sae_<seed>.h5) data-parallel over the job's ranks: with enough\n"
                  "ranks the seeds train at once on disjoint rank groups. The default recipe is nanda-1l\n"
                  "(DESIGN.md); --recipe topk is the OpenAI/EleutherAI TopK SAE. Hyper-parameters not given\n"
                  "take the recipe's defaults. Checkpoints are written atomically every --checkpoint-every\n"
                  "steps, at the end, and on SIGTERM/SIGUSR1; --resume continues bit-identically.");
  cli.add_output_flags("output directory for sae_<seed>.h5");
  cli.add_seed_flag(52);
  cli.add_compute_flags();
  auto opt = cli.options().add_options();
  opt("activations", po::value<std::string>()->value_name("STORE"), "activation store (file, directory of shards, or glob)");
  opt("seeds", po::value<std::string>()->value_name("LIST"), "comma-separated seeds, one SAE each (overrides --seed)");
  opt("recipe", po::value<std::string>()->default_value("nanda-1l"), "nanda-1l or topk");
  opt("n", po::value<std::int64_t>()->value_name("N"), "dictionary size (a multiple of d)");
  opt("expansion", po::value<std::int64_t>()->value_name("E"), "dictionary size as a multiple of d (default 8)");
  opt("d-in", po::value<std::int64_t>()->value_name("D"), "expected activation width (checked against the store)");
  opt("steps", po::value<std::int64_t>()->value_name("S"), "optimiser steps");
  opt("tokens", po::value<std::int64_t>()->value_name("T"), "training tokens (steps = T / batch size)");
  opt("batch-size", po::value<std::int64_t>()->default_value(4096), "global batch in tokens (over all ranks of a group)");
  opt("buffer-rows", po::value<std::int64_t>()->default_value(0), "shuffle buffer rows (0: 384 batches, at most the store)");
  opt("chunk-rows", po::value<std::int64_t>()->default_value(4096), "rows per chunk of the per-epoch data order");
  opt("data-seed", po::value<std::int64_t>()->default_value(-1), "data order seed (-1: each SAE's seed)");
  opt("normalise", po::value<std::string>()->default_value("none"), "input normalisation: none, scale, center-scale");
  opt("checkpoint-every", po::value<std::int64_t>()->default_value(1000), "steps between checkpoints (0: end only)");
  opt("log-every", po::value<std::int64_t>()->default_value(50), "steps between metrics rows");
  opt("resume", po::bool_switch(), "continue from existing checkpoints (complete ones are skipped)");
  // Hyper-parameters: absent means the recipe's default.
  opt("lr", po::value<double>(), "Adam learning rate (nanda-1l 1e-4; topk 2e-4/sqrt(n/2^14))");
  opt("adam-beta1", po::value<double>(), "Adam beta1 (0.9)");
  opt("adam-beta2", po::value<double>(), "Adam beta2 (nanda-1l 0.99; topk 0.999)");
  opt("adam-eps", po::value<double>(), "Adam epsilon (1e-8)");
  opt("lr-warmup-steps", po::value<std::int64_t>(), "linear warm-up steps (nanda-1l 0; topk 1000)");
  opt("lr-decay-steps", po::value<std::int64_t>(), "linear decay to 0 at this step (0: constant)");
  opt("project-decoder-grad", po::value<bool>(), "remove each decoder row's gradient along the row (true)");
  opt("renormalize-decoder", po::value<bool>(), "rescale decoder rows to unit norm after each step (true)");
  opt("l1-coeff", po::value<double>(), "L1 coefficient of the summed L1 term (nanda-1l 3e-4)");
  opt("resample-every", po::value<std::int64_t>(), "steps between dead-feature resampling (nanda-1l 30000; 0: never)");
  opt("resample-window", po::value<std::int64_t>(), "steps in the firing-frequency window (800)");
  opt("resample-threshold", po::value<double>(), "firing frequency below which a feature is resampled (10^-5.5)");
  opt("k", po::value<std::int64_t>(), "topk: active latents per token (32)");
  opt("k-aux", po::value<std::int64_t>(), "topk: AuxK latents (0: d/2)");
  opt("auxk-alpha", po::value<double>(), "topk: AuxK loss weight (1/32)");
  opt("dead-tokens", po::value<std::int64_t>(), "tokens without firing after which a latent is dead (10M)");
  opt("path", po::value<std::string>(), "backward pass: auto, dense or sparse (auto)");
  opt("sparse-max-density", po::value<double>(), "auto path: code density up to which the sparse pass is used");
  if (!cli.parse(invocation)) return 0;

  sae::TrainingOptions o;
  o.activations = cli.require("activations");
  o.out_dir = cli.require("out");
  o.seeds = cli.has("seeds") ? parse_seeds(cli.get<std::string>("seeds"))
                             : std::vector<std::uint64_t>{static_cast<std::uint64_t>(cli.seed())};
  if (!cli.has("seeds") && cli.seed() < 0) throw UsageError(str("--seed must be >= 0 (got ", cli.seed(), ")"));
  const sae::Recipe recipe = sae::parse_recipe(cli.get<std::string>("recipe"));
  if (cli.has("n")) o.n_features = cli.get<std::int64_t>("n");
  if (cli.has("expansion")) o.expansion = cli.get<std::int64_t>("expansion");
  if (o.n_features == 0 && o.expansion == 0) o.expansion = 8;
  if (o.expansion < 0) throw UsageError(str("--expansion must be positive (got ", o.expansion, ")"));
  if (cli.has("n") && o.n_features <= 0) throw UsageError(str("--n must be positive (got ", o.n_features, ")"));
  if (cli.has("d-in")) o.d_in = cli.get<std::int64_t>("d-in");
  o.batch_rows = cli.get<std::int64_t>("batch-size");
  if (o.batch_rows <= 0) throw UsageError(str("--batch-size must be positive (got ", o.batch_rows, ")"));
  if (cli.has("steps") == cli.has("tokens")) throw UsageError("give exactly one of --steps and --tokens");
  o.steps = cli.has("steps") ? cli.get<std::int64_t>("steps") : cli.get<std::int64_t>("tokens") / o.batch_rows;
  o.buffer_rows = cli.get<std::int64_t>("buffer-rows");
  o.chunk_rows = cli.get<std::int64_t>("chunk-rows");
  o.data_seed = cli.get<std::int64_t>("data-seed");
  o.normalisation = io::parse_normalisation(cli.get<std::string>("normalise"));
  o.checkpoint_every = cli.get<std::int64_t>("checkpoint-every");
  o.log_every = cli.get<std::int64_t>("log-every");
  o.resume = cli.get<bool>("resume");
  o.force = cli.force();
  o.device = backend::parse_device_request(cli.device());
  o.command_line = cli.command_line(invocation);
  o.config_text = cli.resolved_config();

  // Recipe defaults for this width are filled in per run (they may depend on n); explicit
  // flags override them.
  sae::SaeConfig& c = o.config;
  c = sae::default_config(recipe, 0, 0);
  auto set_double = [&](const char* flag, double& field) {
    if (cli.has(flag)) field = cli.get<double>(flag);
  };
  auto set_int = [&](const char* flag, std::int64_t& field) {
    if (cli.has(flag)) field = cli.get<std::int64_t>(flag);
  };
  set_double("adam-beta1", c.adam_beta1);
  set_double("adam-beta2", c.adam_beta2);
  set_double("adam-eps", c.adam_eps);
  set_int("lr-warmup-steps", c.lr_warmup_steps);
  set_int("lr-decay-steps", c.lr_decay_steps);
  if (cli.has("project-decoder-grad")) c.project_decoder_grad = cli.get<bool>("project-decoder-grad");
  if (cli.has("renormalize-decoder")) c.renormalize_decoder = cli.get<bool>("renormalize-decoder");
  set_double("l1-coeff", c.l1_coeff);
  set_int("resample-every", c.resample_every);
  set_int("resample-window", c.resample_window);
  set_double("resample-threshold", c.resample_threshold);
  set_int("k", c.k);
  set_int("k-aux", c.k_aux);
  set_double("auxk-alpha", c.auxk_alpha);
  set_int("dead-tokens", c.dead_tokens);
  if (cli.has("path")) c.path = sae::parse_compute_path(cli.get<std::string>("path"));
  set_double("sparse-max-density", c.sparse_max_density);
  if (cli.has("lr") && cli.get<double>("lr") <= 0) throw UsageError("--lr must be positive");
  o.lr_override = cli.has("lr") ? cli.get<double>("lr") : -1.0;

  const auto results = sae::train_saes(invocation.mpi, o);
  if (!invocation.mpi.is_root()) return 0;
  std::ostringstream out;
  for (const auto& r : results) {
    out << r.path << ": " << (r.already_complete ? "already trained, " : "") << r.steps << " steps";
    if (!r.already_complete)
      out << ", loss " << r.last.loss << ", L0 " << r.last.l0 << ", FVU " << r.last.fvu << ", dead " << r.last.dead_fraction
          << ", " << human_duration(r.seconds);
    if (r.ground_truth_mmcs >= 0) out << ", ground-truth MMCS " << r.ground_truth_mmcs;
    out << "\n";
  }
  std::cout << out.str() << std::flush;
  return 0;
}

}  // namespace coact::app
