// coact centrality: k-core numbers, PageRank and betweenness of every feature, stored in the
// graph file as node datasets (extra node statistics for the Q2 search of `coact compare`).
#include <iostream>

#include "coact/graph/centrality_analysis.h"
#include "coact/graph/graph_file.h"
#include "commands.h"

namespace coact::app {

int run_centrality(const Invocation& invocation) {
  CommandLine cli("centrality", "--graph graph_52.h5 [--measures cores,pagerank,betweenness] [options]",
                  "Computes per-feature centralities and stores them in the graph file (rewritten atomically):\n"
                  "/nodes/core_number (k-core decomposition, networkx.core_number), /nodes/pagerank\n"
                  "(networkx.pagerank's iteration: --damping, --tolerance, --weight) and /nodes/betweenness\n"
                  "(Brandes; exact on small graphs, --samples sources drawn with --seed on large ones, scaled to\n"
                  "estimate the exact value; normalized as networkx). `coact compare` adds them to its node-\n"
                  "statistic search (Q2) when both graphs carry them.");
  cli.add_threads_flag();
  auto opt = cli.options().add_options();
  opt("graph", po::value<std::string>()->value_name("FILE"), "graph file (graph_<seed>.h5)");
  opt("no-store", po::bool_switch(), "do not write the results into the graph file");
  opt("top", po::value<int>()->default_value(10), "top features listed per measure");
  opt("json", po::bool_switch(), "print JSON for scripts");
  cli.add_table(graph::centrality_table());
  if (!cli.parse(invocation)) return 0;
  const std::string path = cli.require("graph");
  graph::CentralityOptions o;
  graph::centrality_table().apply(cli.given(graph::centrality_table()), o, options::flag_labels());
  const bool store = !cli.get<bool>("no-store");
  const int top = cli.get<int>("top");
  if (top < 0 || top > 100000) throw UsageError(str("--top = ", top, ": expected >= 0 and <= 100000"));
  std::vector<io::OutputSpec> outputs;  // the graph file is updated in place
  if (store) outputs.push_back(io::OutputSpec::file("--graph", path, io::ExistingOutput::CommandDecides));
  const auto guard = cli.protect(invocation, {}, outputs);
  run_on_root(invocation, [&] {
    const graph::GraphFile file = graph::read_graph_file(path);
    const graph::CentralityResults r = graph::compute_centralities(file.graph, o, cli.command_line(invocation));
    std::string text = cli.get<bool>("json") ? graph::centrality_json(r, path, top, store) + "\n" : graph::centrality_text(r, path, top);
    if (store && !r.measures.empty()) {
      graph::update_node_analytics(path, r.analytics);
      if (!cli.get<bool>("json")) {
        text += "stored";
        for (const auto& m : r.measures) text += m.name == "cores" ? " /nodes/core_number" : " /nodes/" + m.name;
        text += " in " + path + "\n";
      }
    }
    std::cout << text << std::flush;
  });
  return 0;
}

}  // namespace coact::app
