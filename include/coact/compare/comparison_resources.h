// What `coact compare` (and a study's compare stage) will hold on its busiest rank and send,
// from the options, the shapes of the SAEs and graphs and the job's layout, before any work.
#pragma once

#include <cstdint>
#include <vector>

#include "coact/compare/comparison.h"
#include "coact/core/resources.h"

namespace coact::compare {

struct SaeShape {
  std::int64_t d = 0;  // d_in
  std::int64_t n = 0;  // n_features
  // [n] tensors besides b_enc: threshold (jumprelu, batchtopk, matryoshka), r_mag and b_mag
  // (gated); and whether it stores input_mean [d] (center-scale normalisation).
  int extra_feature_vectors = 0;
  bool input_mean = false;
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

// The busiest rank of `ranks` running run_comparison: the root, which holds every SAE and graph,
// takes part in each pair's decoder matching with its share and runs the pairs' analyses and
// the feature stability alone. The memory lines are those of the root's largest phase (loading,
// a pair's matching, a pair's Q1 baseline, the dense activation matching, or the stability);
// the notes give the others. Throws UsageError for fewer than two SAEs, graphs that are not one
// per SAE, or ranks < 1.
StageResources comparison_resources(const ComparisonOptions& options, const ComparisonShape& shape, int ranks);

}  // namespace coact::compare
