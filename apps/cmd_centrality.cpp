// coact centrality: k-core numbers, PageRank and betweenness of every feature, stored in the
// graph file as node datasets (extra node statistics for the Q2 search of `coact compare`).
#include <algorithm>
#include <iomanip>
#include <iostream>
#include <numeric>
#include <sstream>

#include "coact/core/errors.h"
#include "coact/core/json.h"
#include "coact/core/strings.h"
#include "coact/core/timer.h"
#include "coact/graph/betweenness.h"
#include "coact/graph/core_decomposition.h"
#include "coact/graph/graph_file.h"
#include "coact/graph/pagerank.h"
#include "commands.h"

namespace coact::app {

namespace {

// Betweenness sources when --samples is "auto": exact up to this many nodes with neighbours,
// this many sampled sources beyond (a few seconds at seed scale on two cores).
constexpr std::int64_t kAutoExactNodes = 2048;
constexpr std::int64_t kAutoSamples = 1024;

template <class T>
std::vector<graph::NodeId> top_nodes(const std::vector<T>& score, int count) {
  std::vector<graph::NodeId> order(score.size());
  std::iota(order.begin(), order.end(), 0);
  const auto keep = std::min<std::size_t>(order.size(), static_cast<std::size_t>(std::max(count, 0)));
  std::partial_sort(order.begin(), order.begin() + static_cast<std::ptrdiff_t>(keep), order.end(),
                    [&score](graph::NodeId a, graph::NodeId b) {
                      return score[static_cast<std::size_t>(a)] != score[static_cast<std::size_t>(b)]
                                 ? score[static_cast<std::size_t>(a)] > score[static_cast<std::size_t>(b)]
                                 : a < b;
                    });
  order.resize(keep);
  return order;
}

template <class T>
void print_top(std::ostringstream& out, const std::vector<T>& score, int count) {
  out << "  top:";
  for (const auto v : top_nodes(score, count)) out << " " << v << " (" << std::setprecision(4) << score[static_cast<std::size_t>(v)] << ")";
  out << "\n";
}

template <class T>
void json_top(JsonWriter& j, const std::vector<T>& score, int count) {
  j.key("top").begin_array();
  for (const auto v : top_nodes(score, count))
    j.begin_object().field("feature", static_cast<std::int64_t>(v)).field("score", static_cast<double>(score[static_cast<std::size_t>(v)])).end_object();
  j.end_array();
}

}  // namespace

int run_centrality(const Invocation& invocation) {
  CommandLine cli("centrality", "--graph graph_52.h5 [--measures cores,pagerank,betweenness] [options]",
                  "Computes per-feature centralities and stores them in the graph file (rewritten atomically):\n"
                  "/nodes/core_number (k-core decomposition, networkx.core_number), /nodes/pagerank\n"
                  "(networkx.pagerank's iteration: --damping, --tolerance, --weight) and /nodes/betweenness\n"
                  "(Brandes; exact on small graphs, --samples sources drawn with --seed on large ones, scaled to\n"
                  "estimate the exact value; normalized as networkx). `coact compare` adds them to its node-\n"
                  "statistic search (Q2) when both graphs carry them.");
  cli.add_threads_flag();
  cli.add_seed_flag(0);
  auto opt = cli.options().add_options();
  opt("graph", po::value<std::string>()->value_name("FILE"), "graph file (graph_<seed>.h5)");
  opt("measures", po::value<std::string>()->default_value("cores,pagerank,betweenness"), "comma-separated list");
  opt("damping", po::value<double>()->default_value(0.85), "PageRank damping factor alpha");
  opt("tolerance", po::value<double>()->default_value(1e-6), "PageRank tolerance (per node, L1, as networkx)");
  opt("max-iterations", po::value<std::int64_t>()->default_value(100), "PageRank iteration limit");
  opt("weight", po::value<std::string>()->default_value("weight"), "PageRank edge value: weight, count or unit");
  opt("samples", po::value<std::string>()->default_value("auto"),
      "betweenness sources: auto (exact up to 2,048 connected nodes, else 1,024 samples), 0 = exact, or a count");
  opt("weighted-betweenness", po::bool_switch(), "betweenness on path lengths 1 - weight instead of hops");
  opt("no-store", po::bool_switch(), "do not write the results into the graph file");
  opt("top", po::value<int>()->default_value(10), "top features listed per measure");
  opt("json", po::bool_switch(), "print JSON for scripts");
  if (!cli.parse(invocation)) return 0;
  const std::string path = cli.require("graph");
  bool cores = false, pagerank = false, betweenness = false;
  for (const auto& item : split(cli.get<std::string>("measures"), ',')) {
    const std::string m = trim(item);
    if (m == "cores") cores = true;
    else if (m == "pagerank") pagerank = true;
    else if (m == "betweenness") betweenness = true;
    else throw UsageError(str("--measures: '", m, "' is not cores, pagerank or betweenness"));
  }
  graph::PageRankOptions pr_options;
  pr_options.damping = cli.get<double>("damping");
  pr_options.tolerance = cli.get<double>("tolerance");
  pr_options.max_iterations = cli.get<std::int64_t>("max-iterations");
  pr_options.weighting = graph::parse_edge_weighting(cli.get<std::string>("weight"));
  const std::string samples_text = cli.get<std::string>("samples");
  std::int64_t samples = -1;  // auto
  if (samples_text != "auto") {
    try {
      std::size_t used = 0;
      samples = std::stoll(samples_text, &used);
      if (used != samples_text.size() || samples < 0) throw std::invalid_argument("bad");
    } catch (const std::exception&) {
      throw UsageError(str("--samples: '", samples_text, "' is not auto or a count >= 0"));
    }
  }
  graph::BetweennessOptions bc_options;
  bc_options.seed = static_cast<std::uint64_t>(cli.seed());
  bc_options.metric = cli.get<bool>("weighted-betweenness") ? graph::PathMetric::Weighted : graph::PathMetric::Hops;
  const bool store = !cli.get<bool>("no-store");
  const int top = cli.get<int>("top");
  const bool json = cli.get<bool>("json");
  const std::string command_line = cli.command_line(invocation);

  run_on_root(invocation, [&] {
    const graph::GraphFile file = graph::read_graph_file(path);
    const graph::CsrGraph& g = file.graph;
    graph::NodeAnalytics update;
    std::ostringstream out;
    JsonWriter j;
    j.begin_object().field("graph", path).field("nodes", g.num_nodes()).field("edges", g.num_edges()).field("stored", store);
    out << path << ": " << with_commas(g.num_nodes()) << " nodes, " << with_commas(g.num_edges()) << " edges\n";
    if (cores) {
      Stopwatch clock;
      graph::CoreDecomposition decomposition(g);
      decomposition.run();
      const double seconds = clock.seconds();
      const auto sizes = decomposition.core_sizes();
      update.core_number = {true, decomposition.core_number(), {{"algorithm", "k-core decomposition (Batagelj-Zaversnik)"}, {"command_line", command_line}},
                            {{"max_core", static_cast<double>(decomposition.max_core())}}};
      out << "k-cores: degeneracy " << decomposition.max_core() << ", innermost core " << with_commas(sizes.back())
          << " features; " << human_duration(seconds) << "\n";
      print_top(out, decomposition.core_number(), top);
      j.key("cores").begin_object().field("max_core", decomposition.max_core()).field("innermost_size", sizes.back()).field("seconds", seconds);
      j.key("core_sizes").begin_array();
      for (const auto s : sizes) j.value(s);
      j.end_array();
      json_top(j, decomposition.core_number(), top);
      j.end_object();
    }
    if (pagerank) {
      Stopwatch clock;
      graph::PageRank rank(g, pr_options);
      rank.run();
      const double seconds = clock.seconds();
      update.pagerank = {true, rank.scores(),
                         {{"algorithm", "PageRank (networkx.pagerank iteration)"}, {"command_line", command_line},
                          {"weighting", graph::to_string(pr_options.weighting)}},
                         {{"damping", pr_options.damping}, {"tolerance", pr_options.tolerance},
                          {"iterations", static_cast<double>(rank.iterations())}}};
      out << "PageRank: damping " << pr_options.damping << ", " << graph::to_string(pr_options.weighting) << " edges, "
          << rank.iterations() << " iterations; " << human_duration(seconds) << "\n";
      print_top(out, rank.scores(), top);
      j.key("pagerank").begin_object().field("iterations", rank.iterations()).field("seconds", seconds);
      json_top(j, rank.scores(), top);
      j.end_object();
    }
    if (betweenness) {
      std::int64_t connected = 0;
      for (graph::NodeId v = 0; v < g.num_nodes(); ++v) connected += g.degree(v) > 0;
      bc_options.samples = samples >= 0 ? samples : (connected <= kAutoExactNodes ? 0 : kAutoSamples);
      Stopwatch clock;
      graph::Betweenness bc(g, bc_options);
      bc.run();
      const double seconds = clock.seconds();
      update.betweenness = {true, bc.scores(),
                            {{"algorithm", bc.exact() ? "betweenness (Brandes), exact" : "betweenness (Brandes), sampled sources"},
                             {"command_line", command_line}, {"metric", graph::to_string(bc_options.metric)}},
                            {{"sources", static_cast<double>(bc.sources())}, {"exact", bc.exact() ? 1.0 : 0.0},
                             {"seed", static_cast<double>(bc_options.seed)}}};
      out << "betweenness: " << (bc.exact() ? "exact" : "sampled") << " over " << with_commas(bc.sources()) << " sources ("
          << graph::to_string(bc_options.metric) << "); " << human_duration(seconds) << "\n";
      print_top(out, bc.scores(), top);
      j.key("betweenness").begin_object().field("exact", bc.exact()).field("sources", bc.sources()).field("seconds", seconds);
      json_top(j, bc.scores(), top);
      j.end_object();
    }
    if (store && (cores || pagerank || betweenness)) {
      graph::update_node_analytics(path, update);
      out << "stored" << (cores ? " /nodes/core_number" : "") << (pagerank ? " /nodes/pagerank" : "")
          << (betweenness ? " /nodes/betweenness" : "") << " in " << path << "\n";
    }
    j.end_object();
    std::cout << (json ? j.str() + "\n" : out.str()) << std::flush;
  });
  return 0;
}

}  // namespace coact::app
