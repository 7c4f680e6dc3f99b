// coact path: the shortest chain(s) of co-activations between two features
// (compare/path_report.h). Exit 1 when the features are not connected.
#include <iostream>

#include "coact/compare/path_report.h"
#include "commands.h"

namespace coact::app {

int run_path(const Invocation& invocation) {
  CommandLine cli("path", "--graph graph_52.h5 --from F1 --to F2 [--weighted] [--k N] [--json]",
                  "Prints the shortest path between two features of a co-activation graph: fewest hops, or with\n"
                  "--weighted the smallest sum of 1 - weight over its edges (strongly co-activating features are\n"
                  "close; Dijkstra). --k N lists the N shortest simple paths in order (Yen's algorithm). Each\n"
                  "feature on a path is shown with its degree and frequency, each edge with its weight and count,\n"
                  "and with --activations STORE its top-activating tokens (one pass over the first --scan-tokens\n"
                  "rows; decoded with --tokenizer when the store has /tokens). When the two features are not\n"
                  "connected it says so and exits with 1.");
  cli.add_compute_flags();
  auto opt = cli.options().add_options();
  opt("graph", po::value<std::string>()->value_name("FILE"), "graph file (graph_<seed>.h5)");
  opt("activations", po::value<std::string>()->value_name("STORE"), "store to find each feature's top tokens in");
  opt("tokenizer", po::value<std::string>()->value_name("FILE"), "tokenizer.json to decode the top tokens");
  opt("sae", po::value<std::string>()->value_name("FILE"), "the graph's SAE (default: the file the graph names)");
  opt("json", po::bool_switch(), "print JSON for scripts");
  cli.add_table(compare::path_table());
  if (!cli.parse(invocation)) return 0;
  compare::PathRequest request;
  request.graph = cli.require("graph");
  compare::path_table().apply(cli.given(compare::path_table()), request.options, options::flag_labels());
  if (cli.has("activations")) request.activations = cli.get<std::string>("activations");
  if (cli.has("tokenizer")) request.tokenizer = cli.get<std::string>("tokenizer");
  if (cli.has("sae")) request.sae = cli.get<std::string>("sae");
  request.device = backend::parse_device_request(cli.device());
  bool found = true;
  run_on_root(invocation, [&] {
    const compare::PathReport report = compare::find_paths(request);
    found = !report.paths.empty();
    std::cout << (cli.get<bool>("json") ? report.json() : report.text()) << std::flush;
  });
  return invocation.mpi.world().broadcast_value<std::uint8_t>(found ? 1 : 0, 0) ? 0 : 1;
}

}  // namespace coact::app
