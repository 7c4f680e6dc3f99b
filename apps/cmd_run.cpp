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
      ("out,o", po::value<std::string>()->value_name("DIR"), "output directory (overrides `out` in the configuration file)")
      ("force", po::bool_switch(), "replace outputs made with another configuration (and what depends on them)");
  cli.add_compute_flags();
  cli.config_is_study();
  for (const auto& section : pipeline::study_sections())
    if (!section.name.empty()) cli.add_fields(section.fields, section.name + ".", section.caption);
  if (!cli.parse(invocation)) return 0;
  if (!cli.has("config")) throw UsageError("coact run needs --config FILE describing the study (see jobs/configs/demo.ini)");

  // The command line wins over the file: --out, --device, --threads and every --section.key.
  pipeline::StudyTexts overrides;
  if (cli.has("out")) overrides[""]["out"] = cli.out();
  if (cli.given("device")) overrides[""]["device"] = cli.device();
  if (cli.has("threads")) overrides[""]["threads"] = std::to_string(cli.get<int>("threads"));
  for (const auto& section : pipeline::study_sections())
    for (const auto& field : section.fields)
      if (!section.name.empty() && cli.has(section.name + "." + field.spec.name))
        overrides[section.name][field.spec.name] = cli.get<std::string>(section.name + "." + field.spec.name);

  Stopwatch clock;
  pipeline::Study study =
      pipeline::load_study(cli.get<std::string>("config"), overrides, cli.command_line(invocation));
  study.force = cli.force();
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
