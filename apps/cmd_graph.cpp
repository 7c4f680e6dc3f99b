// coact graph: the co-activation graph of one SAE over an activation store (the seed definition).
#include <iostream>
#include <sstream>

#include "coact/core/errors.h"
#include "coact/core/log.h"
#include "coact/core/strings.h"
#include "coact/graph/build.h"
#include "commands.h"

namespace coact::app {

int run_graph(const Invocation& invocation) {
  CommandLine cli("graph", "--sae sae_52.h5 --activations acts.h5 --out graph_52.h5 [options]",
                  "Builds the co-activation graph exactly as docs/method.md defines it: tokens in stored order, in\n"
                  "batches of B, the first N_b batches; per token the top-k features (ties to the lower index);\n"
                  "each pair among them adds 1 to its count and the batch cosine of the two features' columns\n"
                  "to its weight sum; weight = sum / count. Ranks take batches round-robin and reduce their\n"
                  "partial maps by edge owner; the root writes the graph with its node statistics.");
  cli.add_output_flags("graph file to write (graph_<seed>.h5)");
  cli.add_compute_flags();
  auto opt = cli.options().add_options();
  opt("sae", po::value<std::string>()->value_name("FILE"), "SAE checkpoint (sae_<seed>.h5)");
  opt("activations", po::value<std::string>()->value_name("STORE"), "activation store (file, directory or glob)");
  cli.add_table(graph::graph_build_table());
  if (!cli.parse(invocation)) return 0;

  graph::GraphBuildOptions o;
  o.sae = cli.require("sae");
  o.activations = cli.require("activations");
  o.out = cli.require("out");
  graph::graph_build_table().apply(cli.given(graph::graph_build_table()), o, options::flag_labels());
  o.force = cli.force();
  auto inputs = io::store_inputs("--activations", o.activations);
  inputs.push_back({"--sae", o.sae});
  const auto guard = cli.protect(invocation, inputs, {io::OutputSpec::file("--out", o.out)});
  o.device = backend::parse_device_request(cli.device());
  o.command_line = cli.command_line(invocation);
  o.config_text = graph::graph_build_table().ini(o, false);

  const graph::GraphBuildResult r = graph::build_graph(invocation.mpi, o);
  if (invocation.mpi.is_root()) {
    std::ostringstream out;
    out << o.out << ": " << with_commas(r.nodes) << " nodes, " << with_commas(r.edges) << " edges, "
        << with_commas(r.summary.components) << " components (largest " << with_commas(r.summary.largest_component)
        << "), average clustering " << r.summary.average_clustering << "; " << r.batches << " batches, "
        << with_commas(r.tokens) << " tokens in " << human_duration(r.seconds) << "\n";
    std::cout << out.str() << std::flush;
  }
  return 0;
}

}  // namespace coact::app
