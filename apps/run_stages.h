// Executes a planned `coact run` stage by stage on every rank, as `coact demo` chains them
// (same library calls, same options, so the same configuration gives the same files), and
// records each output in the manifest as it completes.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "cli.h"
#include "run_manifest.h"
#include "run_plan.h"
#include "run_study.h"

namespace coact::app::run {

class Runner {
 public:
  // `manifest` is used on the root only (null elsewhere).
  Runner(const Invocation& invocation, const Study& study, const Plan& plan, Manifest* manifest);

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

  const Invocation& invocation_;
  const Study& study_;
  const Plan& plan_;
  Manifest* manifest_;
  std::vector<std::string> lines_;  // summary rows
};

}  // namespace coact::app::run
