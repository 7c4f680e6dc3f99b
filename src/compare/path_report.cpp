#include "coact/compare/path_report.h"

#include <algorithm>
#include <iomanip>
#include <sstream>

#include "coact/core/errors.h"
#include "coact/core/json.h"
#include "coact/core/strings.h"
#include "coact/graph/k_shortest_paths.h"

namespace coact::compare {

namespace {

using TopTokens = std::map<graph::NodeId, std::vector<TopToken>>;

std::string tokens_text(const std::vector<TopToken>& tokens) {
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

const options::Table<PathOptions>& path_table() {
  static const options::Table<PathOptions> table = [] {
    using namespace options;
    using O = PathOptions;
    Table<O> t;
    t.add(integer("from", "first feature").at_least(0).below(2147483648.0, "feature indices are 32-bit").shown_as("F1")
              .must_be_given(),
          &O::from);
    t.add(integer("to", "last feature").at_least(0).below(2147483648.0, "feature indices are 32-bit").shown_as("F2")
              .must_be_given(),
          &O::to);
    t.add(flag("weighted", "edge length 1 - weight instead of one hop per edge"), &O::weighted);
    t.add(integer("k", "number of shortest simple paths (Yen)").at_least(1).at_most(10000, "each path is one more shortest-path search per node on it"),
          &O::k);
    t.add(integer("top", "top tokens per feature").at_least(1).at_most(100000), &O::top);
    t.add(integer("scan-tokens", "store rows scanned for top tokens").at_least(1).at_most(1e12), &O::scan_tokens);
    return t;
  }();
  return table;
}

PathReport find_paths(const PathRequest& request) {
  const PathOptions& o = request.options;
  PathReport r;
  r.file = graph::read_graph_file(request.graph);
  graph::require_node(r.file.graph, o.from, str(request.graph, ": --from").c_str());
  graph::require_node(r.file.graph, o.to, str(request.graph, ": --to").c_str());
  r.from = static_cast<graph::NodeId>(o.from);
  r.to = static_cast<graph::NodeId>(o.to);
  r.metric = o.weighted ? graph::PathMetric::Weighted : graph::PathMetric::Hops;
  graph::KShortestPaths search(r.file.graph, r.from, r.to, o.k, r.metric);
  search.run();
  r.paths = search.paths();
  if (!request.activations.empty() && !r.paths.empty()) {
    CardOptions card;
    card.activations = request.activations;
    card.tokenizer = request.tokenizer;
    card.top = static_cast<int>(o.top);
    card.scan_tokens = o.scan_tokens;
    std::vector<std::int64_t> features;
    for (const auto& p : r.paths) features.insert(features.end(), p.nodes.begin(), p.nodes.end());
    std::sort(features.begin(), features.end());
    features.erase(std::unique(features.begin(), features.end()), features.end());
    const std::string sae = request.sae.empty() ? resolve_sae_of_graph(r.file.attributes.sae_file, request.graph) : request.sae;
    const auto compute = backend::make_backend(request.device, 0);
    std::int64_t scanned = 0;
    const auto lists = top_tokens(*compute, sae, r.file.graph.num_nodes(), features, card, &scanned);
    for (std::size_t i = 0; i < features.size(); ++i) r.top_tokens[static_cast<graph::NodeId>(features[i])] = lists[i];
  }
  return r;
}

std::string PathReport::text() const { return paths_text(file, paths, from, to, metric, top_tokens); }
std::string PathReport::json() const { return paths_json(file, paths, from, to, metric, top_tokens); }

}  // namespace coact::compare
