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
#include "coact/eval/evaluation.h"

namespace coact::app {

int run_train(const Invocation& invocation) {
  CommandLine cli("train", "--activations acts.h5 --out DIR (--seeds 52,55 | --seed 52) [options]",
                  "Trains one SAE per seed (DIR/sae_<seed>.h5) data-parallel over the job's ranks: with enough\n"
                  "ranks the seeds train at once on disjoint rank groups. The default recipe is nanda-1l\n"
                  "(docs/method.md); --recipe topk is the OpenAI/EleutherAI TopK SAE, batchtopk and jumprelu the\n"
                  "BatchTopK and JumpReLU SAEs, matryoshka the Matryoshka BatchTopK SAE (--matryoshka-widths\n"
                  "w1,w2,...,n: its nested levels). Hyper-parameters not given\n"
                  "take the recipe's defaults. Checkpoints are written atomically every --checkpoint-every\n"
                  "steps, at the end, and on SIGTERM/SIGUSR1; --resume continues bit-identically.\n"
                  "Without --steps or --tokens it trains one pass over the store.\n"
                  "With --model (the transformer the store was recorded from), each SAE's CE-loss recovered is\n"
                  "measured afterwards on the store's tokens (see coact evaluate).");
  cli.add_output_flags("output directory for sae_<seed>.h5");
  cli.add_seed_flag(52);
  cli.add_compute_flags();
  cli.add_table(eval::evaluation_table(), "", "Evaluation (with --model)");
  auto opt = cli.options().add_options();
  opt("activations", po::value<std::string>()->value_name("STORE"), "activation store (file, directory of shards, or glob)");
  opt("resume", po::bool_switch(), "continue from existing checkpoints (complete ones are skipped) when their configuration, "
      "data and rank count match this run");
  opt("resume-anyway", po::bool_switch(), "with --resume: continue although the configuration differs (recorded in the file)");
  cli.add_table(sae::training_table(), "", "Training (absent hyper-parameters take the recipe's defaults)");
  if (!cli.parse(invocation)) return 0;

  sae::TrainingOptions o;
  o.activations = cli.require("activations");
  o.out_dir = cli.require("out");
  auto given = cli.given(sae::training_table());
  // --seeds (a list) wins over the common --seed.
  if (cli.seed() < 0) throw UsageError(str("--seed must be >= 0 (got ", cli.seed(), ")"));
  if (!given.count("seeds")) given.emplace("seeds", std::to_string(cli.seed()));
  sae::apply_training_values(given, o, options::flag_labels());
  o.resume = cli.get<bool>("resume");
  o.resume_anyway = cli.get<bool>("resume-anyway");
  if (o.resume_anyway && !o.resume) throw UsageError("--resume-anyway: only with --resume");
  o.force = cli.force();
  o.device = backend::parse_device_request(cli.device());
  o.command_line = cli.command_line(invocation);
  o.config_text = sae::training_table().ini(o, false);
  std::vector<std::string> saes;
  for (const auto seed : o.seeds) saes.push_back("sae_" + std::to_string(seed) + ".h5");
  // Existing checkpoints are the trainer's to resume or refuse (--resume, --force).
  const auto guard = cli.protect(invocation, io::store_inputs("--activations", o.activations),
                                 {io::OutputSpec::folder("--out", o.out_dir, saes, io::ExistingOutput::CommandDecides)});
  eval::EvaluationRequest request;
  eval::evaluation_table().apply(cli.given(eval::evaluation_table()), request, options::flag_labels());
  const std::optional<eval::SaeEvaluationOptions> evaluation = eval::evaluation_options(request, o.activations, o.device);

  const auto results = sae::train_saes(invocation.mpi, o);
  std::vector<eval::SaeEvaluation> evaluations;
  if (evaluation) {
    std::vector<std::string> paths;
    for (const auto& r : results) paths.push_back(r.path);
    evaluations = eval::evaluate_saes(invocation.mpi, *evaluation, paths);
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
  for (const eval::SaeEvaluation& e : evaluations) out << e.line() << "\n";
  std::cout << out.str() << std::flush;
  return 0;
}

}  // namespace coact::app
