// coact demo: the whole study on ground-truth synthetic data, in one command: synthetic
// activations -> an SAE per seed -> a co-activation graph per SAE -> the comparison -> report.md.
#include <filesystem>
#include <iostream>
#include <sstream>

#include "coact/backend/backend.h"
#include "coact/compare/comparison.h"
#include "coact/compare/report.h"
#include "coact/core/errors.h"
#include "coact/core/log.h"
#include "coact/core/strings.h"
#include "coact/core/timer.h"
#include "coact/data/synth.h"
#include "coact/dist/mpi.h"
#include "coact/graph/build.h"
#include "coact/sae/training.h"
#include "commands.h"

namespace coact::app {

namespace fs = std::filesystem;

int run_demo(const Invocation& invocation) {
  CommandLine cli("demo", "[--out DIR] [options]",
                  "Runs the whole study on the embedded ground-truth data set: synthetic activations (coact synth\n"
                  "defaults), one SAE per seed (TopK recipe, k = 10, which recovers the planted features in a few\n"
                  "seconds), a co-activation graph per SAE, the comparison (matching, Q1-Q3, ground truth), and\n"
                  "report.md with its plots. Under mpirun the seeds train at once on separate ranks.");
  cli.add_output_flags("directory for every output (default: coact-demo)");
  cli.add_compute_flags();
  auto opt = cli.options().add_options();
  opt("seeds", po::value<std::string>()->default_value("52,55"), "SAE seeds (two or more)");
  opt("recipe", po::value<std::string>()->default_value("topk"), "training recipe: topk or nanda-1l");
  opt("steps", po::value<std::int64_t>()->default_value(1500), "training steps per SAE");
  opt("rows", po::value<std::int64_t>()->default_value(data::SynthConfig{}.rows), "synthetic tokens");
  opt("no-plots", po::bool_switch(), "skip the plots");
  if (!cli.parse(invocation)) return 0;

  Stopwatch clock;
  auto& mpi = invocation.mpi;
  const std::string dir = cli.out().empty() ? "coact-demo" : cli.out();
  const bool force = cli.force();
  const std::string acts = (fs::path(dir) / "acts.h5").string();
  std::vector<std::uint64_t> seeds;
  for (const auto& part : split(cli.get<std::string>("seeds"), ',')) {
    try {
      seeds.push_back(std::stoull(trim(part)));
    } catch (const std::exception&) {
      throw UsageError(str("--seeds: '", part, "' is not a non-negative integer"));
    }
  }
  if (seeds.size() < 2) throw UsageError("--seeds: the demo compares at least two seeds");
  const auto recipe = sae::parse_recipe(cli.get<std::string>("recipe"));
  // Refuse a previous demo's outputs up front (every rank sees the same directory).
  {
    std::uint8_t exists = 0;
    if (mpi.is_root()) {
      std::error_code ec;
      exists = fs::exists(acts, ec) && !force;
    }
    if (mpi.world().broadcast_value(exists, 0))
      throw OutputExistsError(str(dir, ": holds a previous demo; pass --force to run it again"));
  }

  log::info("1/5 synthetic activations -> ", acts);
  data::SynthConfig synth;
  synth.rows = cli.get<std::int64_t>("rows");
  data::write_synthetic_store(acts, force, false, mpi.world(), synth, cli.command_line(invocation), cli.resolved_config());

  log::info("2/5 training ", seeds.size(), " SAEs (", sae::to_string(recipe), ")");
  sae::TrainingOptions train;
  train.activations = acts;
  train.out_dir = dir;
  train.seeds = seeds;
  train.config = sae::default_config(recipe, 0, 0);
  if (recipe == sae::Recipe::TopK) {
    train.config.k = 10;  // about the planted L0 (expected_l0 of the generator)
    train.config.lr_warmup_steps = 50;
    train.lr_override = 2e-3;
  } else {
    train.lr_override = 1e-3;
    train.normalisation = io::Normalisation::ScaleMeanNorm;
  }
  train.n_features = 2 * synth.features;  // twice the planted features: n = 512 for d = 64
  train.steps = cli.get<std::int64_t>("steps");
  train.batch_rows = 2048;
  train.checkpoint_every = 0;
  train.log_every = 100;
  train.force = force;
  train.device = backend::parse_device_request(cli.device());
  train.command_line = cli.command_line(invocation);
  train.config_text = cli.resolved_config();
  const auto trained = sae::train_saes(mpi, train);

  log::info("3/5 co-activation graphs");
  std::vector<std::string> sae_files, graph_files;
  for (const auto seed : seeds) {
    graph::GraphBuildOptions g;
    g.sae = sae::sae_path(dir, seed);
    g.activations = acts;
    g.out = (fs::path(dir) / ("graph_" + std::to_string(seed) + ".h5")).string();
    g.batch_tokens = 16384;
    g.num_batches = synth.rows / 16384;
    g.force = force;
    g.device = train.device;
    g.command_line = train.command_line;
    g.config_text = train.config_text;
    graph::build_graph(mpi, g);
    sae_files.push_back(g.sae);
    graph_files.push_back(g.out);
  }

  log::info("4/5 comparison and 5/5 report");
  compare::ComparisonOptions c;
  c.saes = sae_files;
  c.graphs = graph_files;
  c.out = (fs::path(dir) / "compare.h5").string();
  c.force = force;
  c.command_line = train.command_line;
  c.config_text = train.config_text;
  compare::ReportOptions r;
  r.out = (fs::path(dir) / "report.md").string();
  r.force = force;
  r.plots = !cli.get<bool>("no-plots");
  std::ostringstream summary;
  run_on_root(invocation, [&] {
    const auto compute = backend::make_backend(train.device, 0);
    const compare::ComparisonFile comparison = compare::run_comparison(*compute, c);
    const auto plots = compare::write_report(comparison, r);
    summary << "demo finished in " << human_duration(clock.seconds()) << ". Outputs in " << dir << "/:\n";
    summary << "  acts.h5            synthetic activations (" << with_commas(synth.rows) << " tokens, d = " << synth.d
            << ", " << synth.features << " true features)\n";
    for (const auto seed : seeds) {
      for (const auto& t : trained)
        if (t.seed == seed)
          summary << "  sae_" << seed << ".h5        SAE, ground-truth MMCS " << fixed_with_commas(t.ground_truth_mmcs, 3) << "\n";
      summary << "  graph_" << seed << ".h5      co-activation graph\n";
    }
    const auto& p = comparison.pairs.front();
    summary << "  compare.h5         matching and Q1-Q3: shared " << fixed_with_commas(100 * p.values.at("shared_fraction"), 1)
            << "%, JS degree " << fixed_with_commas(p.values.at("js_degree"), 3) << " (random "
            << fixed_with_commas(p.values.at("js_degree_random"), 3) << ")\n";
    summary << "  report.md          the tables" << (plots.empty() ? "" : str(" and ", plots.size(), " plots in plots/")) << "\n";
  });
  if (mpi.is_root()) std::cout << summary.str() << std::flush;
  return 0;
}

}  // namespace coact::app
