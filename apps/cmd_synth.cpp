// coact synth: the ground-truth synthetic activation store (the embedded default data set).
#include "coact/core/errors.h"
#include "coact/core/log.h"
#include "coact/core/strings.h"
#include "coact/core/timer.h"
#include "coact/data/synth.h"
#include "coact/io/activation_writer.h"
#include "commands.h"

namespace coact::app {

int run_synth(const Invocation& invocation) {
  CommandLine cli("synth", "--out acts.h5 [options]",
                  "Writes activations built as a superposition of known sparse features (Zipf firing\n"
                  "probabilities, correlated groups, non-negative magnitudes, optional noise and offset), with\n"
                  "the truth in /ground_truth, so SAE recovery and graph structure can be scored. Every rank\n"
                  "generates its share; the file is identical for any number of ranks.");
  const data::SynthConfig defaults;
  cli.add_output_flags("activation store to write (a file; a directory with --shards)");
  cli.add_seed_flag(0);
  cli.add_threads_flag();
  cli.options().add_options()
      ("rows", po::value<std::int64_t>()->default_value(defaults.rows), "rows (tokens) to generate")
      ("d", po::value<std::int64_t>()->default_value(defaults.d), "activation width")
      ("features", po::value<std::int64_t>()->default_value(defaults.features), "true features n_true")
      ("zipf-exponent", po::value<double>()->default_value(defaults.zipf_exponent), "firing probability ∝ rank^-exponent")
      ("max-probability", po::value<double>()->default_value(defaults.max_probability), "probability of the most common feature")
      ("min-probability", po::value<double>()->default_value(defaults.min_probability), "floor of the firing probabilities")
      ("grouped-fraction", po::value<double>()->default_value(defaults.grouped_fraction), "share of features in correlated groups")
      ("group-size", po::value<std::int64_t>()->default_value(defaults.group_size), "features per group")
      ("group-probability", po::value<double>()->default_value(defaults.group_probability), "per-token probability of a group event")
      ("within-group-probability", po::value<double>()->default_value(defaults.within_group_probability),
       "probability a member fires during its group's event")
      ("magnitude-min", po::value<double>()->default_value(defaults.magnitude_min), "smallest activation magnitude")
      ("magnitude-max", po::value<double>()->default_value(defaults.magnitude_max), "largest activation magnitude")
      ("noise", po::value<double>()->default_value(defaults.noise), "standard deviation of dense Gaussian noise")
      ("offset-norm", po::value<double>()->default_value(defaults.offset_norm), "norm of a constant offset (0: none)")
      ("dtype", po::value<std::string>()->default_value("float32"), "stored dtype: float32 or float16")
      ("truth-rows", po::value<std::int64_t>()->default_value(defaults.truth_rows), "rows whose true codes are stored")
      ("shards", po::bool_switch(), "write one shard file per rank into the --out directory");
  if (!cli.parse(invocation)) return 0;

  data::SynthConfig config;
  config.rows = cli.get<std::int64_t>("rows");
  config.d = cli.get<std::int64_t>("d");
  config.features = cli.get<std::int64_t>("features");
  config.zipf_exponent = cli.get<double>("zipf-exponent");
  config.max_probability = cli.get<double>("max-probability");
  config.min_probability = cli.get<double>("min-probability");
  config.grouped_fraction = cli.get<double>("grouped-fraction");
  config.group_size = cli.get<std::int64_t>("group-size");
  config.group_probability = cli.get<double>("group-probability");
  config.within_group_probability = cli.get<double>("within-group-probability");
  config.magnitude_min = cli.get<double>("magnitude-min");
  config.magnitude_max = cli.get<double>("magnitude-max");
  config.noise = cli.get<double>("noise");
  config.offset_norm = cli.get<double>("offset-norm");
  config.truth_rows = cli.get<std::int64_t>("truth-rows");
  config.seed = static_cast<std::uint64_t>(cli.seed());
  const std::string dtype = cli.get<std::string>("dtype");
  const auto type = io::store_dtype(dtype);
  if (!type) throw UsageError(str("--dtype: '", dtype, "' is not float32 or float16"));
  config.dtype = *type;
  config.validate();
  const std::string out = cli.require("out");

  Stopwatch clock;
  data::write_synthetic_store(out, cli.force(), cli.get<bool>("shards"), invocation.mpi.world(), config,
                              cli.command_line(invocation), cli.resolved_config());
  log::info("wrote ", out, ": ", with_commas(config.rows), " rows × d=", config.d, " (", config.features,
            " true features) in ", human_duration(clock.seconds()));
  return 0;
}

}  // namespace coact::app
