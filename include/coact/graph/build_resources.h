// What `coact graph` (and a study's graph stage) will hold on its busiest rank, the root, and
// send, from the options, the SAE's shape and the store's, before any work.
#pragma once

#include <cstdint>

#include "coact/core/resources.h"
#include "coact/graph/build.h"
#include "coact/sae/encoder_spec.h"
#include "coact/sae/training_resources.h"

namespace coact::graph {

// The SAE a graph is built from, as far as it is known before it is trained.
struct SaeShape {
  std::int64_t d = 0, n = 0;
  sae::EncoderKind kind = sae::EncoderKind::TopK;
  double l0 = 0;           // active latents per token
  bool l0_assumed = false;  // true when l0 is a stated assumption (relu kinds before training)
};

// The most edges the graph can have: every pair of a token's top-k distinct over the batches the
// store holds, and at most all pairs of latents.
double graph_edge_bound(const GraphBuildOptions& o, std::int64_t n, std::int64_t store_rows);

StageResources graph_resources(const GraphBuildOptions& o, const SaeShape& sae, const sae::StoreShape& store, int ranks);

}  // namespace coact::graph
