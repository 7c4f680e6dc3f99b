// `coact graph`: one SAE's co-activation graph over an activation store, built by all ranks.
// Rank r encodes batches r, r+P, ... on its backend (one batch of activations in memory at a
// time, encoded in sub-batches), accumulates its partial edge map, and the partial maps are
// reduced by edge owner; the root writes graph_<seed>.h5.
#pragma once

#include <cstdint>
#include <string>

#include "coact/backend/backend.h"
#include "coact/core/options.h"
#include "coact/graph/coactivation.h"
#include "coact/graph/graph_statistics.h"

namespace coact::dist {
class MpiRuntime;
}

namespace coact::graph {

struct GraphBuildOptions {
  std::string sae;                   // sae_<seed>.h5
  std::string activations;           // store spec
  std::string out;                   // graph_<seed>.h5
  std::int64_t batch_tokens = 16384; // B
  std::int64_t num_batches = 50;     // N_b (first N_b batches in stored order)
  int k = 4;
  ZeroPolicy zero_policy = ZeroPolicy::Positive;
  bool strict = false;               // fail when the store holds fewer than N_b batches
  std::int64_t encode_rows = 4096;   // rows encoded at once (bounds the dense pre-activations)
  backend::Precision precision = backend::Precision::Fp32;  // the encoder GEMM's arithmetic
  std::int64_t latent_shards = 1;    // ranks the SAE's latents are split over (sae/shard_codes.h)
  bool force = false;
  backend::DeviceRequest device = backend::DeviceRequest::Auto;
  std::string command_line;
  std::string config_text;
};

// The options a user sets (coact graph's flags, a study's [graph] keys), with their ranges.
// Paths, force, device and provenance belong to the caller.
const options::Table<GraphBuildOptions>& graph_build_table();

struct GraphBuildResult {
  std::int64_t nodes = 0, edges = 0, tokens = 0, batches = 0;
  double seconds = 0;
  GraphSummary summary;  // the seed table's numbers (root only)
};

// Collective over the world communicator; returns the result on the root.
GraphBuildResult build_graph(dist::MpiRuntime& mpi, const GraphBuildOptions& options);

}  // namespace coact::graph
