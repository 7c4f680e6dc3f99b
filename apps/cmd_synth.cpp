// coact synth: the ground-truth synthetic activation store (the embedded default data set).
#include "coact/core/errors.h"
#include "coact/core/log.h"
#include "coact/core/strings.h"
#include "coact/core/timer.h"
#include "coact/data/synth.h"
#include "commands.h"

namespace coact::app {

int run_synth(const Invocation& invocation) {
  CommandLine cli("synth", "--out acts.h5 [options]",
                  "Writes activations built as a superposition of known sparse features (Zipf firing\n"
                  "probabilities, correlated groups, non-negative magnitudes, optional noise and offset), with\n"
                  "the truth in /ground_truth, so SAE recovery and graph structure can be scored. Every rank\n"
                  "generates its share; the file is identical for any number of ranks.");
  cli.add_output_flags("activation store to write (a file; a directory with --shards)");
  cli.add_threads_flag();
  cli.add_table(data::synth_table());
  cli.options().add_options()("shards", po::bool_switch(), "write one shard file per rank into the --out directory");
  if (!cli.parse(invocation)) return 0;

  data::SynthConfig config;
  data::synth_table().apply(cli.given(data::synth_table()), config, options::flag_labels());
  data::check_synth_combination(config, options::flag_labels());
  const std::string out = cli.require("out");
  const bool shards = cli.get<bool>("shards");
  io::require_free_space("--rows", out, data::synth_store_bytes(config), data::synth_store_size_text(config));
  const auto guard = cli.protect(invocation, {},
                                 {shards ? io::OutputSpec::folder("--out", out, shard_files(invocation.mpi.size()))
                                         : io::OutputSpec::file("--out", out)});

  Stopwatch clock;
  data::write_synthetic_store(out, cli.force(), cli.get<bool>("shards"), invocation.mpi.world(), config,
                              cli.command_line(invocation), data::synth_table().ini(config, false));
  log::info("wrote ", out, ": ", with_commas(config.rows), " rows × d=", config.d, " (", config.features,
            " true features) in ", human_duration(clock.seconds()));
  return 0;
}

}  // namespace coact::app
