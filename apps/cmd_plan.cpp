// coact plan: what a study will need on each rank of a job of P ranks, before it is submitted
// (pipeline/resources.h): memory by purpose and place, communication per step.
#include <iostream>

#include "coact/core/errors.h"
#include "coact/core/json.h"
#include "coact/core/strings.h"
#include "coact/pipeline/resources.h"
#include "commands.h"
#include "study_cli.h"

namespace coact::app {

int run_plan(const Invocation& invocation) {
  CommandLine cli("plan", "--config study.ini --ranks P [--<section>.<key> VALUE ...]",
                  "Says, before a job is submitted, what each stage of the study will hold on its busiest rank\n"
                  "when the job has P ranks: memory by purpose (parameters, Adam moments, activations, codes,\n"
                  "the data stream, checkpoint copies, edge maps), where it lives (host, device, mapped store\n"
                  "pages) and the sizes that set it, then the bytes each rank sends. It reads the study file as\n"
                  "`coact run` does and the shape of an existing store; it writes nothing. The figures are\n"
                  "estimates of peak resident memory, held within 15% of measured runs by the tests; a graph's\n"
                  "edge lines are bounds (every pair a token contributes counted as a distinct edge).");
  cli.options().add_options()
      ("ranks", po::value<int>()->value_name("P"), "ranks of the job to plan for (default: run.ranks)")
      ("json", po::bool_switch(), "print JSON instead of markdown");
  add_study_flags(cli);
  if (!cli.parse(invocation)) return 0;
  const pipeline::Study study = load_study_from(cli, invocation);
  const int ranks = cli.has("ranks") ? cli.get<int>("ranks") : static_cast<int>(study.job.ranks);
  if (ranks < 1)
    throw UsageError(study.job.ranks > 0 || cli.has("ranks")
                         ? str("--ranks ", ranks, ": a job has at least one rank")
                         : std::string("coact plan needs --ranks P (or run.ranks in the study)"));
  const auto stages = pipeline::plan_resources(study, ranks);
  const bool device_is_host = study.job.device != backend::DeviceRequest::Cuda;
  std::string text;
  if (cli.get<bool>("json")) {
    JsonWriter json;
    json.begin_object().field("config", study.config_path).field("ranks", ranks).field("device_is_host", device_is_host);
    json.key("stages").begin_array();
    for (const auto& stage : stages) write_resources(json, stage, device_is_host);
    json.end_array().end_object();
    text = json.str() + "\n";
  } else {
    text = str("# coact plan: ", study.config_path, " on ", ranks, " rank(s)\n\n");
    if (study.job.device == backend::DeviceRequest::Auto)
      text += "device = auto: planned as cpu (device buffers in host memory); set device = cuda to plan GPU memory\n\n";
    for (const auto& stage : stages) text += format_resources(stage, device_is_host) + "\n";
  }
  if (invocation.mpi.is_root()) std::cout << text << std::flush;
  return 0;
}

}  // namespace coact::app
