#include "coact/graph/centrality_analysis.h"

#include <algorithm>
#include <iomanip>
#include <numeric>
#include <sstream>

#include "coact/core/errors.h"
#include "coact/core/json.h"
#include "coact/core/strings.h"
#include "coact/core/timer.h"
#include "coact/graph/core_decomposition.h"

namespace coact::graph {

using options::Value;

const options::Table<CentralityOptions>& centrality_table() {
  static const options::Table<CentralityOptions> table = [] {
    using namespace options;
    using O = CentralityOptions;
    Table<O> t;
    t.add(text("measures", "comma-separated list of cores, pagerank, betweenness")
              .validated_by([](const Value& v) {
                for (const auto& m : list_items(std::get<std::string>(v)))
                  if (m != "cores" && m != "pagerank" && m != "betweenness")
                    throw UsageError(str("'", m, "' is not cores, pagerank or betweenness"));
              }),
          [](const O& o) {
            std::vector<std::string> names;
            if (o.cores) names.push_back("cores");
            if (o.pagerank) names.push_back("pagerank");
            if (o.betweenness) names.push_back("betweenness");
            return Value(list_text(names));
          },
          [](O& o, const Value& v) {
            const auto items = list_items(std::get<std::string>(v));
            auto has = [&](const char* m) { return std::find(items.begin(), items.end(), m) != items.end(); };
            o.cores = has("cores");
            o.pagerank = has("pagerank");
            o.betweenness = has("betweenness");
          });
    t.add(real("damping", "PageRank damping factor alpha").at_least(0).below(1),
          [](const O& o) { return Value(o.pagerank_options.damping); },
          [](O& o, const Value& v) { o.pagerank_options.damping = std::get<double>(v); });
    t.add(real("tolerance", "PageRank tolerance (per node, L1, as networkx)").above(0).at_most(1),
          [](const O& o) { return Value(o.pagerank_options.tolerance); },
          [](O& o, const Value& v) { o.pagerank_options.tolerance = std::get<double>(v); });
    t.add(integer("max-iterations", "PageRank iteration limit").at_least(1).at_most(1e6, "a million sweeps of the graph"),
          [](const O& o) { return Value(o.pagerank_options.max_iterations); },
          [](O& o, const Value& v) { o.pagerank_options.max_iterations = std::get<std::int64_t>(v); });
    t.add(text("weight", "PageRank edge value").one_of({"weight", "count", "unit"}),
          [](const O& o) { return Value(std::string(to_string(o.pagerank_options.weighting))); },
          [](O& o, const Value& v) { o.pagerank_options.weighting = parse_edge_weighting(std::get<std::string>(v)); });
    t.add(integer("samples", "betweenness sources (0: exact)").at_least(0).at_most(1e9)
              .derived_from(str("exact up to ", kAutoExactNodes, " connected nodes, else ", kAutoSamples, " samples")),
          &O::samples);
    t.add(flag("weighted-betweenness", "betweenness on path lengths 1 - weight instead of hops"), &O::weighted_betweenness);
    t.add(integer("seed", "seed of the betweenness samples").at_least(0), &O::seed);
    return t;
  }();
  return table;
}

std::vector<NodeId> top_nodes(const std::vector<double>& score, int count) {
  std::vector<NodeId> order(score.size());
  std::iota(order.begin(), order.end(), 0);
  const auto keep = std::min<std::size_t>(order.size(), static_cast<std::size_t>(std::max(count, 0)));
  std::partial_sort(order.begin(), order.begin() + static_cast<std::ptrdiff_t>(keep), order.end(), [&score](NodeId a, NodeId b) {
    const double sa = score[static_cast<std::size_t>(a)], sb = score[static_cast<std::size_t>(b)];
    return sa != sb ? sa > sb : a < b;
  });
  order.resize(keep);
  return order;
}

CentralityResults compute_centralities(const CsrGraph& g, const CentralityOptions& o, const std::string& command_line) {
  CentralityResults r;
  r.nodes = g.num_nodes();
  r.edges = g.num_edges();
  if (o.cores) {
    Stopwatch clock;
    CoreDecomposition decomposition(g);
    decomposition.run();
    CentralityResults::Measure m;
    m.name = "cores";
    m.seconds = clock.seconds();
    m.core_sizes = decomposition.core_sizes();
    m.scores.assign(decomposition.core_number().begin(), decomposition.core_number().end());
    m.headline = str("k-cores: degeneracy ", decomposition.max_core(), ", innermost core ", with_commas(m.core_sizes.back()),
                     " features");
    m.numbers = {{"max_core", static_cast<double>(decomposition.max_core())},
                 {"innermost_size", static_cast<double>(m.core_sizes.back())}};
    r.analytics.core_number = {true, decomposition.core_number(),
                               {{"algorithm", "k-core decomposition (Batagelj-Zaversnik)"}, {"command_line", command_line}},
                               {{"max_core", static_cast<double>(decomposition.max_core())}}};
    r.measures.push_back(std::move(m));
  }
  if (o.pagerank) {
    Stopwatch clock;
    PageRank rank(g, o.pagerank_options);
    rank.run();
    CentralityResults::Measure m;
    m.name = "pagerank";
    m.seconds = clock.seconds();
    m.scores = rank.scores();
    m.headline = str("PageRank: damping ", o.pagerank_options.damping, ", ", to_string(o.pagerank_options.weighting), " edges, ",
                     rank.iterations(), " iterations");
    m.numbers = {{"iterations", static_cast<double>(rank.iterations())}};
    r.analytics.pagerank = {true, rank.scores(),
                            {{"algorithm", "PageRank (networkx.pagerank iteration)"}, {"command_line", command_line},
                             {"weighting", to_string(o.pagerank_options.weighting)}},
                            {{"damping", o.pagerank_options.damping}, {"tolerance", o.pagerank_options.tolerance},
                             {"iterations", static_cast<double>(rank.iterations())}}};
    r.measures.push_back(std::move(m));
  }
  if (o.betweenness) {
    std::int64_t connected = 0;
    for (NodeId v = 0; v < g.num_nodes(); ++v) connected += g.degree(v) > 0;
    BetweennessOptions bc_options;
    bc_options.seed = o.seed;
    bc_options.metric = o.weighted_betweenness ? PathMetric::Weighted : PathMetric::Hops;
    bc_options.samples = o.samples ? *o.samples : (connected <= kAutoExactNodes ? 0 : kAutoSamples);
    Stopwatch clock;
    Betweenness bc(g, bc_options);
    bc.run();
    CentralityResults::Measure m;
    m.name = "betweenness";
    m.seconds = clock.seconds();
    m.scores = bc.scores();
    m.headline = str("betweenness: ", bc.exact() ? "exact" : "sampled", " over ", with_commas(bc.sources()), " sources (",
                     to_string(bc_options.metric), ")");
    m.numbers = {{"exact", bc.exact() ? 1.0 : 0.0}, {"sources", static_cast<double>(bc.sources())}};
    r.analytics.betweenness = {true, bc.scores(),
                               {{"algorithm", bc.exact() ? "betweenness (Brandes), exact" : "betweenness (Brandes), sampled sources"},
                                {"command_line", command_line}, {"metric", to_string(bc_options.metric)}},
                               {{"sources", static_cast<double>(bc.sources())}, {"exact", bc.exact() ? 1.0 : 0.0},
                                {"seed", static_cast<double>(bc_options.seed)}}};
    r.measures.push_back(std::move(m));
  }
  return r;
}

std::string centrality_text(const CentralityResults& r, const std::string& path, int top) {
  std::ostringstream out;
  out << path << ": " << with_commas(r.nodes) << " nodes, " << with_commas(r.edges) << " edges\n";
  for (const auto& m : r.measures) {
    out << m.headline << "; " << human_duration(m.seconds) << "\n  top:";
    for (const auto v : top_nodes(m.scores, top)) {
      const double score = m.scores[static_cast<std::size_t>(v)];
      out << " " << v << " (";
      if (m.name == "cores") out << static_cast<std::int64_t>(score);  // an integer of any size
      else out << std::setprecision(4) << score;
      out << ")";
    }
    out << "\n";
  }
  return out.str();
}

std::string centrality_json(const CentralityResults& r, const std::string& path, int top, bool stored) {
  JsonWriter j;
  j.begin_object().field("graph", path).field("nodes", r.nodes).field("edges", r.edges).field("stored", stored);
  for (const auto& m : r.measures) {
    j.key(m.name).begin_object();
    for (const auto& [name, value] : m.numbers) {
      if (name == "exact") j.field(name, value != 0);
      else j.field(name, static_cast<std::int64_t>(value));
    }
    j.field("seconds", m.seconds);
    if (!m.core_sizes.empty()) {
      j.key("core_sizes").begin_array();
      for (const auto s : m.core_sizes) j.value(s);
      j.end_array();
    }
    j.key("top").begin_array();
    for (const auto v : top_nodes(m.scores, top)) {
      j.begin_object().field("feature", static_cast<std::int64_t>(v));
      const double score = m.scores[static_cast<std::size_t>(v)];
      if (m.name == "cores") j.field("score", static_cast<std::int64_t>(score));
      else j.field("score", score);
      j.end_object();
    }
    j.end_array().end_object();
  }
  j.end_object();
  return j.str();
}

}  // namespace coact::graph
