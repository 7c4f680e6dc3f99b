// Betweenness centrality (Brandes 2001), networkx.betweenness_centrality's definition: for
// every node v, the sum over source–target pairs s ≠ v ≠ t of the share of shortest s–t paths
// through v; hop counts, or lengths 1 − weight (as ShortestPath). Features with high
// betweenness bridge groups of co-activating features.
//
// Exact: every node is a source, O(n E) — minutes at seed scale. Sampled: `samples` sources
// drawn without replacement (seeded) among the nodes that have neighbours (isolated sources
// add nothing) and the sums scaled by (nodes with neighbours) / samples: an unbiased estimate,
// exact when samples reaches that count. Scaling as networkx: normalized divides by
// (n − 1)(n − 2) (n > 2); unnormalized halves the sums (each undirected pair is seen from both
// ends). Sources are split over threads, each with its own arrays; the per-thread sums are
// added in thread order, so results repeat exactly for the same thread count.
#pragma once

#include <cstdint>
#include <vector>

#include "coact/graph/algorithm.h"
#include "coact/graph/csr_graph.h"
#include "coact/graph/shortest_path.h"

namespace coact::graph {

struct BetweennessOptions {
  std::int64_t samples = 0;  // 0: exact; else the number of sampled sources
  std::uint64_t seed = 0;
  bool normalized = true;
  PathMetric metric = PathMetric::Hops;
};

class Betweenness final : public Algorithm {
 public:
  // UsageError for negative samples; InputError for weights above 1 with the weighted metric.
  Betweenness(const CsrGraph& graph, const BetweennessOptions& options = {});
  void run() override;

  const std::vector<double>& scores() const;
  // Sources actually used (all nodes with neighbours when exact or when samples reach them).
  std::int64_t sources() const;
  bool exact() const;

 private:
  const CsrGraph& graph_;
  BetweennessOptions options_;
  std::vector<double> scores_;
  std::int64_t sources_ = 0;
  bool exact_ = true;
};

}  // namespace coact::graph
