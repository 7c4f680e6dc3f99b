// What `coact compare` (and a study's compare stage) will hold on its busiest rank and send,
// from the options, the shapes of the SAEs and graphs and the job's layout, before any work.
#pragma once

#include <cstdint>
#include <vector>

#include "coact/compare/comparison.h"
#include "coact/core/resources.h"

namespace coact::compare {

// The comparison reads decoders by rows and encoders by blocks (SaeSide), so only the shape of
// W_dec and W_enc sizes it.
struct SaeShape {
  std::int64_t d = 0;  // d_in
  std::int64_t n = 0;  // n_features
};

struct GraphShape {
  std::int64_t nodes = 0;  // = the SAE's n
  std::int64_t edges = 0;  // undirected, each counted once (CsrGraph::num_edges)
};

struct ComparisonShape {
  std::vector<SaeShape> saes;      // in the order of ComparisonOptions::saes (two or more)
  std::vector<GraphShape> graphs;  // one per SAE; empty when not known yet: nodes = n, no edges counted
  std::int64_t truth_features = 0; // rows of /ground_truth/directions the root loads (0: none)
  int threads = 1;                 // OpenMP threads per rank (the candidate pass keeps lists per thread)
};

// The busiest rank of `ranks` running run_comparison: the root, which holds every graph, takes
// part with its share of the decoders in each pair's matching and the stability's null pass,
// and runs the pairs' analyses and the stability's counts alone. The memory lines are those of
// the root's largest phase (a pair's matching, null pass, encoder cosines, Q1 baseline, the
// dense activation matching, or the stability);
// the notes give the others. Throws UsageError for fewer than two SAEs, graphs that are not one
// per SAE, or ranks < 1.
StageResources comparison_resources(const ComparisonOptions& options, const ComparisonShape& shape, int ranks);

}  // namespace coact::compare
