// Time of each stage of `coact stats` on one graph file (median of --repeat runs): reading the
// datasets, validating the CSR, components, clustering, node statistics. Verifies that the
// stages reproduce the file's stored node data, so a fast wrong answer is not reported.
//
//   bench_graph_stages GRAPH.h5 [repeat]
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "coact/core/timer.h"
#include "coact/graph/connected_components.h"
#include "coact/graph/graph_file.h"
#include "coact/graph/local_clustering.h"
#include "coact/graph/node_statistics.h"
#include "coact/io/h5.h"
#include "bench_driver.h"

using namespace coact;

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: bench_graph_stages GRAPH.h5 [repeat]\n");
    return 2;
  }
  const std::string path = argv[1];
  const int repeat = argc > 2 ? std::max(1, std::atoi(argv[2])) : 5;
  // Each run times its stages one after another (a stage needs the previous one's output), so
  // the stages are separate samples of the same runs rather than separately timed runs.
  bench::Samples read_s, validate_s, whole_read_s, components_s, clustering_s, nodes_s;
  graph::GraphFile reference = graph::read_graph_file(path);
  bench::Verification verification;
  for (int r = 0; r < repeat; ++r) {
    Stopwatch clock;
    const io::File file = io::File::open(path);
    auto indptr = file.dataset("/csr/indptr").read_all<std::int64_t>();
    auto indices = file.dataset("/csr/indices").read_all<std::int32_t>();
    auto counts = file.dataset("/csr/count").read_all<std::int64_t>();
    auto weights = file.dataset("/csr/weight").read_all<double>();
    read_s.add(clock.seconds());
    clock.restart();
    const graph::CsrGraph g(std::move(indptr), std::move(indices), std::move(counts), std::move(weights));
    validate_s.add(clock.seconds());
    clock.restart();
    const graph::GraphFile whole = graph::read_graph_file(path);
    whole_read_s.add(clock.seconds());

    clock.restart();
    graph::ConnectedComponents components(g);
    components.run();
    components_s.add(clock.seconds());
    clock.restart();
    graph::LocalClustering clustering(g);
    clustering.run();
    clustering_s.add(clock.seconds());
    clock.restart();
    graph::NodeStatistics nodes(g);
    nodes.run();
    nodes_s.add(clock.seconds());
    verification.check(components.component_of() == reference.nodes.component);
    verification.check(clustering.clustering() == reference.nodes.clustering);
    verification.check(nodes.degree() == reference.nodes.degree);
  }
  std::printf("%s: %lld nodes, %lld edges, median of %d runs\n", path.c_str(),
              static_cast<long long>(reference.graph.num_nodes()), static_cast<long long>(reference.graph.num_edges()),
              repeat);
  std::printf("  read CSR datasets      %8.2f ms\n", read_s.median() * 1e3);
  std::printf("  validate CSR           %8.2f ms\n", validate_s.median() * 1e3);
  std::printf("  read_graph_file (all)  %8.2f ms\n", whole_read_s.median() * 1e3);
  std::printf("  connected components   %8.2f ms\n", components_s.median() * 1e3);
  std::printf("  local clustering       %8.2f ms\n", clustering_s.median() * 1e3);
  std::printf("  node statistics        %8.2f ms\n", nodes_s.median() * 1e3);
  // Three checks a run (components, clustering, degrees against the file's node data).
  verification.print(stdout);
  return verification.exit_code();
}
