// coact demo: the whole study on ground-truth synthetic data, in one command — the built-in
// study (pipeline::demo_study) run by the same runner as `coact run`.
#include <filesystem>
#include <iostream>
#include <sstream>

#include "coact/compare/comparison.h"
#include "coact/core/errors.h"
#include "coact/core/strings.h"
#include "coact/core/timer.h"
#include "coact/dist/mpi.h"
#include "coact/pipeline/checks.h"
#include "coact/pipeline/runner.h"
#include "coact/sae/checkpoint.h"
#include "coact/sae/training.h"
#include "commands.h"

namespace coact::app {

namespace {

// The lines printed at the end: each output and what it holds.
std::string demo_summary(const pipeline::Study& study, double seconds) {
  std::ostringstream out;
  out << "demo finished in " << human_duration(seconds) << ". Outputs in " << study.out() << "/:\n";
  out << "  acts.h5            synthetic activations (" << with_commas(study.synth.rows) << " tokens, d = " << study.synth.d
      << ", " << study.synth.features << " true features)\n";
  for (const auto seed : study.seeds()) {
    const sae::Checkpoint sae = sae::read_checkpoint_record(study.sae_path(seed));
    out << "  sae_" << seed << ".h5        SAE, ground-truth MMCS " << fixed_with_commas(sae.ground_truth_mmcs, 3) << "\n";
    out << "  graph_" << seed << ".h5      co-activation graph\n";
  }
  const compare::ComparisonFile comparison = compare::read_comparison(study.compare_path());
  const auto& p = comparison.pairs.front();
  out << "  compare.h5         matching and Q1-Q3: shared " << fixed_with_commas(100 * p.values.shared_fraction, 1)
      << "%, JS degree " << fixed_with_commas(p.values.js_degree, 3) << " (random "
      << fixed_with_commas(p.values.js_degree_random, 3) << ")\n";
  std::error_code ec;
  const bool plots = std::filesystem::is_directory(std::filesystem::path(study.out()) / "plots", ec) && study.report.plots;
  out << "  report.md          the tables" << (plots ? " and plots in plots/" : "") << "\n";
  return out.str();
}

}  // namespace

int run_demo(const Invocation& invocation) {
  CommandLine cli("demo", "[--out DIR] [options]",
                  "Runs the whole study on the embedded ground-truth data set: synthetic activations (coact synth\n"
                  "defaults), one SAE per seed (TopK recipe, k = 10, which recovers the planted features in a few\n"
                  "seconds), a co-activation graph per SAE, the comparison (matching, Q1-Q3, ground truth), and\n"
                  "report.md with its plots. Under mpirun the seeds train at once on separate ranks. It is the\n"
                  "study of jobs/configs/demo.ini, run by the same runner as coact run (manifest.json included).");
  cli.add_output_flags("directory for every output (default: coact-demo)");
  cli.add_compute_flags();
  auto opt = cli.options().add_options();
  opt("seeds", po::value<std::string>()->default_value("52,55"), "SAE seeds (two or more)");
  opt("recipe", po::value<std::string>()->default_value("topk"), "training recipe: topk or nanda-1l");
  opt("steps", po::value<std::int64_t>()->default_value(1500), "training steps per SAE");
  opt("rows", po::value<std::int64_t>()->default_value(data::SynthConfig{}.rows), "synthetic tokens");
  opt("no-plots", po::bool_switch(), "skip the plots");
  opt("html", po::bool_switch(), "also the interactive HTML report (html/index.html)");
  if (!cli.parse(invocation)) return 0;

  Stopwatch clock;
  pipeline::DemoOptions o;
  if (!cli.out().empty()) o.out = cli.out();
  try {
    o.seeds = sae::parse_seed_list(cli.get<std::string>("seeds"));
  } catch (const UsageError& e) {
    throw UsageError(str("--seeds: ", e.what()));
  }
  if (o.seeds.size() < 2) throw UsageError("--seeds: the demo compares at least two seeds");
  o.recipe = sae::parse_recipe(cli.get<std::string>("recipe"));
  o.steps = cli.get<std::int64_t>("steps");
  o.rows = cli.get<std::int64_t>("rows");
  o.plots = !cli.get<bool>("no-plots");
  o.html = cli.get<bool>("html");
  o.device = backend::parse_device_request(cli.device());
  pipeline::Study study = pipeline::demo_study(o, cli.command_line(invocation));
  study.rerun = cli.force();

  // A previous demo is never replaced without --force.
  const auto guard = cli.protect(invocation, {}, pipeline::study_outputs(study, io::ExistingOutput::RefuseWithoutForce));
  pipeline::check_study(study, invocation.mpi);
  pipeline::run_study(invocation.mpi, study, program_versions());
  std::string summary;
  run_on_root(invocation, [&] { summary = demo_summary(study, clock.seconds()); });
  if (invocation.mpi.is_root()) std::cout << summary << std::flush;
  return 0;
}

}  // namespace coact::app
