// coact communities: label propagation and Louvain communities of a co-activation graph, stored
// in the graph file, summarised, and scored against planted groups on synthetic data.
#include <iostream>

#include "coact/compare/community_report.h"
#include "commands.h"

namespace coact::app {

int run_communities(const Invocation& invocation) {
  CommandLine cli("communities", "--graph graph_52.h5 [--method both|label-propagation|louvain] [options]",
                  "Finds communities of co-activating features and stores them in the graph file\n"
                  "(/nodes/community_label_propagation, /nodes/community_louvain; the file is rewritten atomically).\n"
                  "Label propagation is networkx's semi-synchronous rule (deterministic, no seed); Louvain follows\n"
                  "networkx.community.louvain_communities (--seed, --resolution, --louvain-threshold), plus refinement\n"
                  "rounds and the best of --louvain-trials orders. Prints the\n"
                  "modularity, a size histogram and the largest communities with their internal density and top\n"
                  "features by degree. With --truth (a synthetic store) each SAE feature is mapped to its closest\n"
                  "true feature by decoder cosine and the communities are scored against the planted groups\n"
                  "(adjusted Rand index, NMI).");
  cli.add_threads_flag();
  auto opt = cli.options().add_options();
  opt("graph", po::value<std::string>()->value_name("FILE"), "graph file (graph_<seed>.h5)");
  opt("show", po::value<int>()->default_value(10), "communities listed (largest first)");
  opt("truth", po::value<std::string>()->value_name("STORE"), "synthetic store with /ground_truth to score against");
  opt("sae", po::value<std::string>()->value_name("FILE"), "the graph's SAE for --truth (default: the file the graph names)");
  opt("json", po::bool_switch(), "print JSON for scripts");
  cli.add_table(graph::community_table());
  cli.add_table(compare::community_request_table());
  if (!cli.parse(invocation)) return 0;
  compare::CommunityRequest request;
  request.graph = cli.require("graph");
  graph::community_table().apply(cli.given(graph::community_table()), request.options, options::flag_labels());
  compare::community_request_table().apply(cli.given(compare::community_request_table()), request, options::flag_labels());
  if (cli.has("truth")) request.truth_store = cli.get<std::string>("truth");
  if (cli.has("sae")) request.sae = cli.get<std::string>("sae");
  const int show = cli.get<int>("show");
  if (show < 0) throw UsageError("--show must be >= 0");
  request.command_line = cli.command_line(invocation);
  std::vector<io::LabelledPath> inputs;
  if (!request.truth_store.empty()) inputs = io::store_inputs("--truth", request.truth_store);
  if (!request.sae.empty()) inputs.push_back({"--sae", request.sae});
  std::vector<io::OutputSpec> outputs;  // the graph file is updated in place
  if (request.store) outputs.push_back(io::OutputSpec::file("--graph", request.graph, io::ExistingOutput::CommandDecides));
  const auto guard = cli.protect(invocation, inputs, outputs);
  run_on_root(invocation, [&] {
    const compare::CommunityReport report = compare::analyse_communities(request);
    std::cout << (cli.get<bool>("json") ? report.json(show) + "\n" : report.text(show)) << std::flush;
  });
  return 0;
}

}  // namespace coact::app
