// coact path: the shortest chain(s) of co-activations between two features.
#include <algorithm>
#include <iomanip>
#include <map>
#include <iostream>
#include <sstream>

#include "coact/backend/backend.h"
#include "coact/compare/feature_card.h"
#include "coact/core/errors.h"
#include "coact/core/json.h"
#include "coact/core/strings.h"
#include "coact/graph/graph_file.h"
#include "coact/graph/k_shortest_paths.h"
#include "commands.h"

namespace coact::app {

namespace {

// Top tokens of the features on the paths (empty when no store was given).
using TopTokens = std::map<graph::NodeId, std::vector<compare::TopToken>>;

std::string tokens_text(const std::vector<compare::TopToken>& tokens) {
  std::ostringstream out;
  for (const auto& t : tokens) {
    out << (&t == tokens.data() ? "" : ", ");
    if (!t.text.empty()) out << "'" << t.text << "'";
    else if (t.token >= 0) out << "token " << t.token;
    else out << "row " << t.row;
    out << " (" << std::setprecision(3) << t.activation << ")";
  }
  return out.str();
}

// The edge (u, v)'s weight and count (u and v adjacent).
std::pair<double, std::int64_t> edge_of(const graph::CsrGraph& g, graph::NodeId u, graph::NodeId v) {
  const auto row = g.neighbors(u);
  const auto at = static_cast<std::size_t>(std::lower_bound(row.begin(), row.end(), v) - row.begin());
  return {g.edge_weights(u)[at], g.edge_counts(u)[at]};
}

std::string paths_text(const graph::GraphFile& file, const std::vector<graph::Path>& paths, graph::NodeId from,
                       graph::NodeId to, graph::PathMetric metric, const TopTokens& top) {
  std::ostringstream out;
  const auto& g = file.graph;
  if (paths.empty()) {
    out << "no path from feature " << from << " to feature " << to << " in " << file.path
        << " (they are in different components: " << file.nodes.component[static_cast<std::size_t>(from)] << " and "
        << file.nodes.component[static_cast<std::size_t>(to)] << ")\n";
    return out.str();
  }
  for (std::size_t p = 0; p < paths.size(); ++p) {
    const auto& path = paths[p];
    out << (paths.size() > 1 ? str("path ", p + 1, ": ") : std::string("path: ")) << path.nodes.size() - 1 << " hops";
    if (metric == graph::PathMetric::Weighted) out << ", length " << std::setprecision(6) << path.length << " (sum of 1 - weight)";
    out << "\n";
    for (std::size_t i = 0; i < path.nodes.size(); ++i) {
      const auto v = path.nodes[i];
      out << "  feature " << std::setw(7) << v << "  degree " << std::setw(6) << g.degree(v) << "  frequency "
          << std::setprecision(4) << std::scientific << file.nodes.frequency[static_cast<std::size_t>(v)] << std::defaultfloat;
      if (i + 1 < path.nodes.size()) {
        const auto [weight, count] = edge_of(g, v, path.nodes[i + 1]);
        out << "  --(weight " << std::setprecision(4) << weight << ", count " << count << ")-->";
      }
      out << "\n";
      if (const auto it = top.find(v); it != top.end())
        out << "      top tokens: " << (it->second.empty() ? std::string("(never active in the scanned tokens)") : tokens_text(it->second)) << "\n";
    }
  }
  return out.str();
}

std::string paths_json(const graph::GraphFile& file, const std::vector<graph::Path>& paths, graph::NodeId from,
                       graph::NodeId to, graph::PathMetric metric, const TopTokens& top) {
  JsonWriter j;
  j.begin_object().field("graph", file.path).field("from", static_cast<std::int64_t>(from)).field("to", static_cast<std::int64_t>(to));
  j.field("metric", graph::to_string(metric));
  j.key("paths").begin_array();
  for (const auto& path : paths) {
    j.begin_object().field("length", path.length).field("hops", static_cast<std::int64_t>(path.nodes.size()) - 1);
    j.key("features").begin_array();
    for (const auto v : path.nodes) {
      j.begin_object().field("feature", static_cast<std::int64_t>(v)).field("degree", file.graph.degree(v));
      j.field("frequency", file.nodes.frequency[static_cast<std::size_t>(v)]);
      if (const auto it = top.find(v); it != top.end()) {
        j.key("top_tokens").begin_array();
        for (const auto& t : it->second)
          j.begin_object().field("row", t.row).field("activation", t.activation).field("token", static_cast<std::int64_t>(t.token))
              .field("text", t.text).end_object();
        j.end_array();
      }
      j.end_object();
    }
    j.end_array().key("edges").begin_array();
    for (std::size_t i = 0; i + 1 < path.nodes.size(); ++i) {
      const auto [weight, count] = edge_of(file.graph, path.nodes[i], path.nodes[i + 1]);
      j.begin_object().field("weight", weight).field("count", count).end_object();
    }
    j.end_array().end_object();
  }
  j.end_array().end_object();
  return j.str() + "\n";
}

}  // namespace

int run_path(const Invocation& invocation) {
  CommandLine cli("path", "--graph graph_52.h5 --from F1 --to F2 [--weighted] [--k N] [--json]",
                  "Prints the shortest path between two features of a co-activation graph: fewest hops, or with\n"
                  "--weighted the smallest sum of 1 - weight over its edges (strongly co-activating features are\n"
                  "close; Dijkstra). --k N lists the N shortest simple paths in order (Yen's algorithm). Each\n"
                  "feature on a path is shown with its degree and frequency, each edge with its weight and count,\n"
                  "and with --activations STORE its top-activating tokens (one pass over the first --scan-tokens\n"
                  "rows; decoded with --tokenizer when the store has /tokens).");
  cli.add_compute_flags();
  auto opt = cli.options().add_options();
  opt("graph", po::value<std::string>()->value_name("FILE"), "graph file (graph_<seed>.h5)");
  opt("from", po::value<std::int64_t>()->value_name("F1"), "first feature");
  opt("to", po::value<std::int64_t>()->value_name("F2"), "last feature");
  opt("weighted", po::bool_switch(), "edge length 1 - weight instead of one hop per edge");
  opt("k", po::value<std::int64_t>()->default_value(1), "number of shortest simple paths (Yen)");
  opt("activations", po::value<std::string>()->value_name("STORE"), "store to find each feature's top tokens in");
  opt("tokenizer", po::value<std::string>()->value_name("FILE"), "tokenizer.json to decode the top tokens");
  opt("sae", po::value<std::string>()->value_name("FILE"), "the graph's SAE (default: the file the graph names)");
  opt("top", po::value<int>()->default_value(5), "top tokens per feature");
  opt("scan-tokens", po::value<std::int64_t>()->default_value(std::int64_t{1} << 20), "store rows scanned for top tokens");
  opt("json", po::bool_switch(), "print JSON for scripts");
  if (!cli.parse(invocation)) return 0;
  const std::string path = cli.require("graph");
  if (!cli.has("from") || !cli.has("to")) throw UsageError("give both --from and --to (see coact path --help)");
  const std::int64_t from = cli.get<std::int64_t>("from"), to = cli.get<std::int64_t>("to");
  const std::int64_t k = cli.get<std::int64_t>("k");
  if (k < 1) throw UsageError(str("--k must be at least 1 (got ", k, ")"));
  const graph::PathMetric metric = cli.get<bool>("weighted") ? graph::PathMetric::Weighted : graph::PathMetric::Hops;
  const bool json = cli.get<bool>("json");
  run_on_root(invocation, [&] {
    const graph::GraphFile file = graph::read_graph_file(path);
    graph::require_node(file.graph, from, str(path, ": --from").c_str());
    graph::require_node(file.graph, to, str(path, ": --to").c_str());
    graph::KShortestPaths search(file.graph, static_cast<graph::NodeId>(from), static_cast<graph::NodeId>(to), k, metric);
    search.run();
    const auto& paths = search.paths();
    TopTokens top;
    if (cli.has("activations") && !paths.empty()) {
      compare::CardOptions o;
      o.activations = cli.get<std::string>("activations");
      if (cli.has("tokenizer")) o.tokenizer = cli.get<std::string>("tokenizer");
      o.top = cli.get<int>("top");
      o.scan_tokens = cli.get<std::int64_t>("scan-tokens");
      if (o.top < 1 || o.scan_tokens < 1) throw UsageError("--top and --scan-tokens must be at least 1");
      std::vector<std::int64_t> features;
      for (const auto& p : paths) features.insert(features.end(), p.nodes.begin(), p.nodes.end());
      std::sort(features.begin(), features.end());
      features.erase(std::unique(features.begin(), features.end()), features.end());
      const std::string sae = cli.has("sae") ? cli.get<std::string>("sae") : compare::resolve_sae_of_graph(file.attributes.sae_file, path);
      const auto compute = backend::make_backend(backend::parse_device_request(cli.device()), 0);
      std::int64_t scanned = 0;
      const auto lists = compare::top_tokens(*compute, sae, file.graph.num_nodes(), features, o, &scanned);
      for (std::size_t i = 0; i < features.size(); ++i) top[static_cast<graph::NodeId>(features[i])] = lists[i];
    }
    std::cout << (json ? paths_json(file, paths, static_cast<graph::NodeId>(from), static_cast<graph::NodeId>(to), metric, top)
                       : paths_text(file, paths, static_cast<graph::NodeId>(from), static_cast<graph::NodeId>(to), metric, top))
              << std::flush;
  });
  return 0;
}

}  // namespace coact::app
