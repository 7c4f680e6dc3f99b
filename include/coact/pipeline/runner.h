// Executes a planned study stage by stage on every rank (`coact run` and `coact demo` both run
// here), and records each output in the manifest as it completes; run_study() is the whole of
// it: plan on the root, run, record.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "coact/pipeline/manifest.h"
#include "coact/pipeline/plan.h"
#include "coact/pipeline/study.h"

namespace coact::dist {
class MpiRuntime;
}

namespace coact::pipeline {

class Runner {
 public:
  // `manifest` is used on the root only (null elsewhere).
  Runner(dist::MpiRuntime& mpi, const Study& study, const StagePlan& plan, Manifest* manifest);

  // Every stage in order. Between stages a signal (SIGTERM/SIGUSR1 from Slurm) stops the run
  // with InterruptedError; during training the trainer checkpoints and stops by itself.
  void run_all();
  // Root: the table printed at the end.
  std::string summary() const;

 private:
  void data_stage();
  void train_stage();
  void graph_stage();
  void compare_and_report_stages();
  void stop_if_signalled(const char* after);
  // Root: records a finished (or skipped) output.
  void record(const char* stage, std::int64_t seed, Action action, const std::string& fingerprint_text, double seconds,
              const std::vector<std::pair<std::string, std::string>>& inputs,
              const std::vector<std::pair<std::string, std::string>>& outputs);
  void record_planned();

  dist::MpiRuntime& mpi_;
  const Study& study_;
  const StagePlan& plan_;
  Manifest* manifest_;
  std::vector<std::string> lines_;  // summary rows
};

struct StudyOutcome {
  StagePlan plan;
  std::string summary;  // root: one line per output and what happened to it
};

// The whole study: the plan (made on the root from the outputs' own provenance and the previous
// manifest, and shared), every stage, manifest.json (status running, then complete,
// interrupted or failed). Collective over the world communicator. `versions` go into the
// manifest beside the library's own.
StudyOutcome run_study(dist::MpiRuntime& mpi, const Study& study,
                       const std::vector<std::pair<std::string, std::string>>& versions);

}  // namespace coact::pipeline
