// coact export: a graph as GraphML or a weighted edge list, or an SAE as a SAELens directory.
#include "coact/core/errors.h"
#include "coact/core/log.h"
#include "coact/graph/export.h"
#include "coact/graph/graph_file.h"
#include "coact/sae/interchange.h"
#include "commands.h"

namespace coact::app {

int run_export(const Invocation& invocation) {
  CommandLine cli("export", "(--graph FILE --format graphml|edgelist | --sae FILE --format saelens) --out PATH [--force]",
                  "Writes a coact file in an interchange format:\n"
                  "  graphml   (--graph) GraphML 1.0 with node attributes frequency, topk_count, degree,\n"
                  "            strength, clustering, component, mean_neighbor_degree and edge attributes count,\n"
                  "            weight (networkx.read_graphml(path, node_type=int) and Gephi read it)\n"
                  "  edgelist  (--graph) one edge per line, \"i j weight count\" with i < j\n"
                  "  saelens   (--sae) a directory with sae_weights.safetensors and cfg.json, which SAELens'\n"
                  "            SAE.load_from_disk reads and encodes as coact does: standard, topk, jumprelu (also\n"
                  "            for batchtopk and matryoshka, as SAELens saves them) and gated SAEs; a scale or\n"
                  "            center-scale input normalisation is folded into the weights\n"
                  "Reals are written exactly (shortest round-trip form).");
  auto add = cli.options().add_options();
  add("graph", po::value<std::string>()->value_name("FILE"), "graph file (graph_<seed>.h5)");
  add("sae", po::value<std::string>()->value_name("FILE"), "SAE file (sae_<seed>.h5)");
  add("format", po::value<std::string>()->value_name("NAME"), "graphml, edgelist or saelens");
  add("model-name", po::value<std::string>()->default_value(""), "saelens: the model name for cfg.json (default: the store's)");
  add("hook-name", po::value<std::string>()->default_value(""), "saelens: the hook name for cfg.json (default: the store's)");
  cli.add_output_flags("output file (a directory for saelens)");
  if (!cli.parse(invocation)) return 0;
  const std::string format = cli.require("format");
  const std::string out = cli.require("out");
  if (cli.has("graph") == cli.has("sae")) throw UsageError("give exactly one of --graph and --sae (see coact export --help)");
  const bool sae = cli.has("sae");
  const auto guard = cli.protect(
      invocation, {{sae ? "--sae" : "--graph", cli.get<std::string>(sae ? "sae" : "graph")}},
      {sae ? io::OutputSpec::folder("--out", out, {"sae_weights.safetensors", "cfg.json"}) : io::OutputSpec::file("--out", out)});
  run_on_root(invocation, [&] {
    if (cli.has("sae")) {
      sae::export_saelens(cli.get<std::string>("sae"), out,
                          {format, cli.get<std::string>("model-name"), cli.get<std::string>("hook-name"), cli.force()});
      log::info("wrote ", out, "/sae_weights.safetensors and ", out, "/cfg.json");
      return;
    }
    const graph::ExportFormat graph_format = graph::parse_export_format(format);
    const graph::GraphFile file = graph::read_graph_file(cli.get<std::string>("graph"));
    graph::export_graph(file, graph_format, out, cli.force());
    log::info("wrote ", out, " (", file.graph.num_nodes(), " nodes, ", file.graph.num_edges(), " edges)");
  });
  return 0;
}

}  // namespace coact::app
