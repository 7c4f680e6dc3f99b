// coact export: a graph file as GraphML (networkx.read_graphml, Gephi) or a weighted edge list.
#include "coact/core/errors.h"
#include "coact/core/log.h"
#include "coact/graph/export.h"
#include "coact/graph/graph_file.h"
#include "coact/io/atomic_output.h"
#include "commands.h"

namespace coact::app {

int run_export(const Invocation& invocation) {
  CommandLine cli("export", "--graph FILE --format graphml|edgelist --out FILE [--force]",
                  "Writes a co-activation graph file in an interchange format:\n"
                  "  graphml   GraphML 1.0 with node attributes frequency, topk_count, degree, strength,\n"
                  "            clustering, component, mean_neighbor_degree and edge attributes count,\n"
                  "            weight (networkx.read_graphml(path, node_type=int) and Gephi read it)\n"
                  "  edgelist  one edge per line, \"i j weight count\" with i < j\n"
                  "Reals are written exactly (shortest round-trip form).");
  auto add = cli.options().add_options();
  add("graph", po::value<std::string>()->value_name("FILE"), "graph file (graph_<seed>.h5)");
  add("format", po::value<std::string>()->value_name("NAME"), "graphml or edgelist");
  cli.add_output_flags("output file");
  if (!cli.parse(invocation)) return 0;
  const std::string graph_path = cli.require("graph");
  const graph::ExportFormat format = graph::parse_export_format(cli.require("format"));
  const std::string out = cli.require("out");
  if (!invocation.mpi.is_root()) return 0;
  io::require_writable_output(out, cli.force());  // fail before reading a large file

  const graph::GraphFile file = graph::read_graph_file(graph_path);
  graph::export_graph(file, format, out, cli.force());
  log::info("wrote ", out, " (", file.graph.num_nodes(), " nodes, ", file.graph.num_edges(), " edges)");
  return 0;
}

}  // namespace coact::app
