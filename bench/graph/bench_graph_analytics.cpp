// Time of each graph analysis on one graph file (median of `repeat` runs, the graph already in
// memory, as the peers are timed): label propagation, Louvain, PageRank, k-cores, sampled
// betweenness, shortest paths. Prints one JSON object for bench/graph/analytics_bench.py,
// with the results the peers are checked against (modularity, PageRank values).
//
//   bench_graph_analytics GRAPH.h5 [repeat] [weight|unit|count] [pagerank-out.bin]
#include <omp.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>
#include <tuple>

#include "coact/core/json.h"
#include "coact/graph/betweenness.h"
#include "coact/graph/core_decomposition.h"
#include "coact/graph/graph_file.h"
#include "coact/graph/k_shortest_paths.h"
#include "coact/graph/label_propagation.h"
#include "coact/graph/louvain.h"
#include "coact/graph/modularity.h"
#include "coact/graph/pagerank.h"
#include "bench_driver.h"

using namespace coact;

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: bench_graph_analytics GRAPH.h5 [repeat] [weight|unit|count] [pagerank-out.bin]\n");
    return 2;
  }
  const std::string path = argv[1];
  const int repeat = argc > 2 ? std::max(1, std::atoi(argv[2])) : 5;
  const graph::EdgeWeighting weighting = graph::parse_edge_weighting(argc > 3 ? argv[3] : "weight");
  const graph::GraphFile file = graph::read_graph_file(path);
  const graph::CsrGraph& g = file.graph;

  JsonWriter j;
  j.begin_object().field("threads", omp_get_max_threads()).field("nodes", g.num_nodes()).field("edges", g.num_edges());
  j.field("weighting", graph::to_string(weighting));

  // Louvain as the peers run it (one order, no refinement: networkx's algorithm), and with
  // coact's defaults (refinement rounds, best of the trials chosen by size).
  for (const auto& [name, trials, rounds] : {std::tuple{"louvain", std::int64_t{1}, std::int64_t{0}},
                                             std::tuple{"louvain_default", std::int64_t{0}, std::int64_t{4}}}) {
    graph::Louvain louvain(g, {.seed = 0, .weighting = weighting, .refinement_rounds = rounds, .trials = trials});
    const double seconds = bench::time_runs(0, repeat, [&] { louvain.run(); }).median();
    j.key(name).begin_object().field("seconds", seconds).field("modularity", louvain.modularity()).field("trials", louvain.trials());
    j.field("communities", louvain.num_communities()).field("levels", louvain.levels()).field("moves", louvain.moves()).end_object();
  }
  {
    graph::LabelPropagation lpa(g);
    const double seconds = bench::time_runs(0, repeat, [&] { lpa.run(); }).median();
    j.key("label_propagation").begin_object().field("seconds", seconds).field("communities", lpa.num_communities());
    j.field("rounds", lpa.rounds()).field("modularity", graph::modularity(g, lpa.community_of(), weighting)).end_object();
  }
  {
    graph::PageRank pagerank(g, {.weighting = weighting});
    const double seconds = bench::time_runs(0, repeat, [&] { pagerank.run(); }).median();
    j.key("pagerank").begin_object().field("seconds", seconds).field("iterations", pagerank.iterations()).end_object();
    // Tight-tolerance values for checking the peers (which stop by other rules).
    graph::PageRank tight(g, {.tolerance = 1e-13, .max_iterations = 1000, .weighting = weighting});
    tight.run();
    if (argc > 4) {
      std::ofstream out(argv[4], std::ios::binary);
      out.write(reinterpret_cast<const char*>(tight.scores().data()), static_cast<std::streamsize>(tight.scores().size() * sizeof(double)));
    }
  }
  {
    graph::CoreDecomposition cores(g);
    const double seconds = bench::time_runs(0, repeat, [&] { cores.run(); }).median();
    j.key("cores").begin_object().field("seconds", seconds).field("max_core", cores.max_core()).end_object();
  }
  {
    graph::Betweenness bc(g, {.samples = 256, .seed = 1});
    const double seconds = bench::time_runs(0, std::min(repeat, 3), [&] { bc.run(); }).median();
    j.key("betweenness_256").begin_object().field("seconds", seconds).field("sources", bc.sources()).end_object();
  }
  {
    // Ten weighted shortest paths between the two highest-degree nodes.
    graph::NodeId a = 0, b = 1;
    for (graph::NodeId v = 0; v < g.num_nodes(); ++v) {
      if (g.degree(v) > g.degree(a)) {
        b = a;
        a = v;
      } else if (v != a && g.degree(v) > g.degree(b)) {
        b = v;
      }
    }
    graph::KShortestPaths yen(g, a, b, 10, graph::PathMetric::Weighted);
    const double seconds = bench::time_runs(0, repeat, [&] { yen.run(); }).median();
    j.key("yen_10_weighted").begin_object().field("seconds", seconds).field("paths", static_cast<std::int64_t>(yen.paths().size())).end_object();
  }
  j.end_object();
  std::printf("%s\n", j.str().c_str());
  return 0;
}
