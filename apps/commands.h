// The subcommand table: one entry per `coact <command>`, one source file per command.
#pragma once

#include <string>
#include <vector>

#include "cli.h"

namespace coact::app {

struct CommandEntry {
  const char* name;
  const char* summary;
  int (*run)(const Invocation& invocation);
};

const std::vector<CommandEntry>& commands();

// One entry point per command (apps/cmd_<name>.cpp).
int run_info(const Invocation& invocation);
int run_synth(const Invocation& invocation);
int run_describe(const Invocation& invocation);
int run_train(const Invocation& invocation);
int run_graph(const Invocation& invocation);
int run_encode(const Invocation& invocation);
int run_compare(const Invocation& invocation);
int run_report(const Invocation& invocation);
int run_inspect(const Invocation& invocation);
int run_demo(const Invocation& invocation);
int run_stats(const Invocation& invocation);
int run_export(const Invocation& invocation);
int run_import(const Invocation& invocation);
int run_tokenize(const Invocation& invocation);
int run_record(const Invocation& invocation);
int run_evaluate(const Invocation& invocation);
int run_path(const Invocation& invocation);
int run_communities(const Invocation& invocation);
int run_centrality(const Invocation& invocation);
int run_run(const Invocation& invocation);
int run_plan(const Invocation& invocation);

}  // namespace coact::app
