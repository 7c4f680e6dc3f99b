// coact run: a whole study from one INI file, in one MPI job — data (synthetic, an existing
// store, or recorded), SAEs per seed, a graph per SAE, the comparison and the report — skipping
// what is already done, so a re-submitted or requeued Slurm job continues where it stopped.
#include <iostream>

#include "coact/core/errors.h"
#include "coact/core/interrupt.h"
#include "coact/core/log.h"
#include "coact/core/strings.h"
#include "coact/core/timer.h"
#include "coact/dist/mpi.h"
#include "commands.h"
#include "run_manifest.h"
#include "run_plan.h"
#include "run_stages.h"
#include "run_study.h"

namespace coact::app {

namespace {

void log_plan(const run::Study& s, const run::Plan& p) {
  log::info("plan for ", s.out, ": data ", run::to_string(p.data, true));
  for (std::size_t i = 0; i < s.seeds.size(); ++i)
    log::info("  seed ", s.seeds[i], ": train ", run::to_string(p.train[i], true), ", graph ", run::to_string(p.graph[i], true));
  log::info("  compare ", run::to_string(p.compare, true), ", report ", run::to_string(p.report, true));
}

}  // namespace

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
  run::add_study_options(cli.options());
  if (!cli.parse(invocation)) return 0;

  Stopwatch clock;
  auto& mpi = invocation.mpi;
  run::Study study = run::resolve_study(cli, invocation);
  run::check_study(study, invocation);

  // The plan is made on the root, from the files' own provenance, and shared.
  std::optional<run::Manifest> manifest;
  run::Plan plan;
  std::string bytes;
  run_on_root(invocation, [&] {
    manifest.emplace(study, invocation, run::read_previous_manifest(study.manifest_path()));
    plan = run::make_plan(study, manifest->previous());
    bytes = plan.to_bytes();
  });
  bytes.resize(mpi.world().broadcast_value<std::uint64_t>(bytes.size(), 0));
  mpi.world().broadcast(bytes.data(), bytes.size(), 0);
  plan = run::Plan::from_bytes(bytes, study.seeds.size());
  log_plan(study, plan);

  // From here a signal stops the run at the next step or stage boundary with a checkpoint.
  install_interrupt_handlers();
  run::Runner runner(invocation, study, plan, manifest ? &*manifest : nullptr);
  try {
    runner.run_all();
  } catch (const Error& e) {
    if (manifest && e.collective()) {
      try {
        manifest->write(dynamic_cast<const InterruptedError*>(&e) ? "interrupted" : "failed", e.what());
      } catch (const Error& also) {
        log::warn("could not update ", study.manifest_path(), ": ", also.what());
      }
    }
    throw;
  }
  if (manifest) manifest->write("complete");
  if (mpi.is_root())
    std::cout << str("run finished in ", human_duration(clock.seconds()), ". Outputs in ", study.out, "/ (manifest.json):\n",
                     runner.summary())
              << std::flush;
  return 0;
}

}  // namespace coact::app
