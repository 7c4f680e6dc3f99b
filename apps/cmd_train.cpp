// coact train: SAEs for one or more seeds on an activation store (the seed recipe by default).
#include <cmath>
#include <iostream>
#include <optional>
#include <sstream>

#include "coact/backend/backend.h"
#include "coact/core/errors.h"
#include "coact/core/log.h"
#include "coact/core/strings.h"
#include "coact/sae/training.h"
#include "commands.h"
#include "sae_hook.h"
#include "train_flags.h"

namespace coact::app {

int run_train(const Invocation& invocation) {
  CommandLine cli("train", "--activations acts.h5 --out DIR (--seeds 52,55 | --seed 52) [options]",
                  "Trains one SAE per seed (DIR/sae_<seed>.h5) data-parallel over the job's ranks: with enough\n"
                  "ranks the seeds train at once on disjoint rank groups. The default recipe is nanda-1l\n"
                  "(DESIGN.md); --recipe topk is the OpenAI/EleutherAI TopK SAE. Hyper-parameters not given\n"
                  "take the recipe's defaults. Checkpoints are written atomically every --checkpoint-every\n"
                  "steps, at the end, and on SIGTERM/SIGUSR1; --resume continues bit-identically.\n"
                  "With --model (the transformer the store was recorded from), each SAE's CE-loss recovered is\n"
                  "measured afterwards on the store's tokens (see coact evaluate).");
  cli.add_output_flags("output directory for sae_<seed>.h5");
  cli.add_seed_flag(52);
  cli.add_compute_flags();
  add_evaluation_flags(cli);
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
  o.seeds = cli.has("seeds") ? parse_seed_list(cli.get<std::string>("seeds"), "--seeds")
                             : std::vector<std::uint64_t>{static_cast<std::uint64_t>(cli.seed())};
  if (!cli.has("seeds") && cli.seed() < 0) throw UsageError(str("--seed must be >= 0 (got ", cli.seed(), ")"));
  read_training_flags(cli.values(), "", o);
  o.resume = cli.get<bool>("resume");
  o.force = cli.force();
  o.device = backend::parse_device_request(cli.device());
  o.command_line = cli.command_line(invocation);
  o.config_text = cli.resolved_config();
  const std::optional<SaeEvaluationOptions> evaluation = evaluation_options(cli, o.activations);

  const auto results = sae::train_saes(invocation.mpi, o);
  std::vector<SaeEvaluation> evaluations;
  if (evaluation) {
    std::vector<std::string> paths;
    for (const auto& r : results) paths.push_back(r.path);
    evaluations = evaluate_saes(invocation, *evaluation, paths);
  }
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
  for (const SaeEvaluation& e : evaluations) out << e.line() << "\n";
  std::cout << out.str() << std::flush;
  return 0;
}

}  // namespace coact::app
