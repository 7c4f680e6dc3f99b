// coact stats: the seed study's descriptive table (../shared/seed/analysis.md) for one or more
// graph files, one column per graph, as Markdown or JSON. Everything is recomputed from the CSR,
// and the stored node datasets are checked against the recomputation, so stats also checks a
// file.
#include <cmath>
#include <filesystem>
#include <iostream>
#include <sstream>

#include "coact/core/errors.h"
#include "coact/core/log.h"
#include "coact/core/timer.h"
#include "coact/graph/graph_file.h"
#include "coact/graph/graph_statistics.h"
#include "coact/graph/summary_table.h"
#include "coact/core/json.h"
#include "coact/io/atomic_output.h"
#include "commands.h"

namespace coact::app {
namespace {

struct Column {
  std::string name;  // the file's stem, e.g. graph_52
  std::string path;
  graph::GraphSummary summary;
};

std::string json_document(const std::vector<Column>& columns) {
  JsonWriter json;
  json.begin_object().key("graphs").begin_array();
  for (const auto& column : columns) {
    const auto& s = column.summary;
    json.begin_object().field("name", column.name).field("file", column.path).field("nodes", s.nodes).field("edges", s.edges);
    json.field("average_degree", s.average_degree).field("density", s.density);
    json.field("connected_components", s.components).field("largest_component_size", s.largest_component);
    json.key("component_sizes").begin_array();
    for (const auto size : s.component_sizes) json.value(size);
    json.end_array();
    json.field("average_clustering", s.average_clustering).field("pearson_degree_frequency", s.pearson_degree_frequency);
    json.end_object();
  }
  json.end_array().end_object();
  return json.str() + "\n";
}

Column analyse(const std::string& path) {
  Stopwatch clock;
  const graph::GraphFile file = graph::read_graph_file(path);
  const double read_seconds = clock.seconds();
  graph::GraphStatistics statistics(file.graph, file.nodes.frequency);
  statistics.run();
  const double statistics_seconds = clock.seconds() - read_seconds;
  graph::verify_node_data(file, graph::compute_node_data(statistics, file.nodes.frequency, file.nodes.topk_count));
  log::debug(path, ": read and validated in ", read_seconds * 1e3, " ms, statistics in ", statistics_seconds * 1e3,
             " ms, node data checked in ", (clock.seconds() - read_seconds - statistics_seconds) * 1e3, " ms");
  return {std::filesystem::path(path).stem().string(), path, statistics.summary()};
}

}  // namespace

int run_stats(const Invocation& invocation) {
  CommandLine cli("stats", "GRAPH.h5 [GRAPH.h5 ...] [--json] [--out FILE [--force]]",
                  "Prints the seed study's descriptive table for co-activation graph files, one column per\n"
                  "graph (headed by the file's stem): nodes, edges, average degree, density, connected\n"
                  "components, largest component size, unique component sizes, average clustering and\n"
                  "Pearson(degree, frequency). Every number is recomputed from the CSR with networkx's\n"
                  "definitions, and the file's stored node datasets are checked against the recomputation.");
  auto add = cli.options().add_options();
  add("graphs", po::value<std::vector<std::string>>()->multitoken()->value_name("FILE..."),
      "graph files (also given as positional arguments)");
  add("json", po::bool_switch(), "print full-precision JSON instead of the Markdown table");
  cli.positional("graphs");
  cli.add_output_flags("write the table to this file (atomically) instead of standard output");
  if (!cli.parse(invocation)) return 0;
  if (!cli.has("graphs")) throw UsageError("no graph files given (see coact stats --help)");
  std::vector<io::LabelledPath> inputs;
  for (const auto& path : cli.get<std::vector<std::string>>("graphs")) inputs.push_back({"GRAPH", path});
  std::vector<io::OutputSpec> outputs;
  if (!cli.out().empty()) outputs.push_back(io::OutputSpec::file("--out", cli.out()));
  const auto guard = cli.protect(invocation, inputs, outputs);
  // The work is small and serial in the file: the root does it, other ranks have nothing to add.
  if (!invocation.mpi.is_root()) return 0;

  std::vector<Column> columns;
  for (const auto& path : cli.get<std::vector<std::string>>("graphs")) columns.push_back(analyse(path));
  std::vector<std::string> names;
  std::vector<graph::GraphSummary> summaries;
  for (const auto& column : columns) {
    names.push_back(column.name);
    summaries.push_back(column.summary);
  }
  const std::string text = cli.get<bool>("json") ? json_document(columns) : graph::seed_table_markdown(names, summaries);

  if (cli.out().empty()) {
    std::cout << text << std::flush;
    return 0;
  }
  io::write_text_file(cli.out(), text, cli.force());
  log::info("wrote ", cli.out());
  return 0;
}

}  // namespace coact::app
