// coact run: a whole study from one INI file, in one MPI job — data (synthetic, an existing
// store, or recorded), SAEs per seed, a graph per SAE, the comparison and the report — skipping
// what is already done, so a re-submitted or requeued Slurm job continues where it stopped.
#include <iostream>

#include "coact/backend/backend.h"
#include "coact/core/errors.h"
#include "coact/core/strings.h"
#include "coact/core/timer.h"
#include "coact/pipeline/checks.h"
#include "coact/pipeline/runner.h"
#include "commands.h"
#include "study_cli.h"

namespace coact::app {

int run_run(const Invocation& invocation) {
  CommandLine cli("run", "--config study.ini [--out DIR] [--force] [--<section>.<key> VALUE ...]",
                  "Runs a whole study described by one INI file in one MPI job: the activations ([data] with\n"
                  "[synth] or [record], or an existing store), one SAE per seed ([train]), a co-activation graph\n"
                  "per SAE ([graph]), the comparison ([compare]) and report.md ([report]), into the directory\n"
                  "`out`. Keys are the flags of coact synth/train/graph/compare/report under their section;\n"
                  "`out`, `device` and `threads` go at the top; any key can be overridden on the command line as\n"
                  "--section.key VALUE. Documented examples: jobs/configs/*.ini; the guide: docs/cluster.md.\n"
                  "\n"
                  "Every output carries the configuration it was made with. A stage whose outputs match the\n"
                  "configuration is skipped, an interrupted SAE is resumed from its checkpoint (bit-identical\n"
                  "on the same ranks), and the stages after anything made again run again. An output made with\n"
                  "another configuration is refused, naming the first differing key, unless --force replaces it.\n"
                  "SIGTERM/SIGUSR1 (Slurm preemption, time limits) checkpoint training and stop with exit 130;\n"
                  "the same command then continues. OUT/manifest.json records stages, actions, timings, input\n"
                  "and output hashes, versions and the job. A bad configuration fails before any work (exit 2).");
  cli.options().add_options()
      ("force", po::bool_switch(), "replace outputs made with another configuration (and what depends on them)");
  add_study_flags(cli);
  if (!cli.parse(invocation)) return 0;

  Stopwatch clock;
  pipeline::Study study = load_study_from(cli, invocation);
  study.force = cli.force();
  // The whole run is one writer; what exists is for the plan to skip, resume or replace.
  const auto guard = cli.protect(invocation, pipeline::study_inputs(study),
                                 pipeline::study_outputs(study, io::ExistingOutput::CommandDecides));
  if (study.job.threads && !cli.has("threads")) backend::set_cpu_threads(static_cast<int>(*study.job.threads));
  pipeline::check_study(study, invocation.mpi);
  const pipeline::StudyOutcome outcome = pipeline::run_study(invocation.mpi, study, program_versions());
  if (invocation.mpi.is_root())
    std::cout << str("run finished in ", human_duration(clock.seconds()), ". Outputs in ", study.out(), "/ (manifest.json):\n",
                     outcome.summary)
              << std::flush;
  return 0;
}

}  // namespace coact::app
