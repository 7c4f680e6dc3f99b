// graph_<seed>.h5: one co-activation graph with its node data and the settings that built it
// (docs/formats.md, "graph_<seed>.h5"). The writer derives the node statistics itself from the
// CSR; the reader validates everything a later stage relies on and fails with one InputError
// line naming the file and the object.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "coact/graph/csr_graph.h"
#include "coact/graph/graph_statistics.h"
#include "coact/io/provenance.h"

namespace coact::graph {

// How the graph was built (root attributes of the file).
struct GraphAttributes {
  std::int64_t k = 0;             // top-k features per token
  std::int64_t batch_tokens = 0;  // B
  std::int64_t num_batches = 0;   // N_b actually used
  std::string zero_policy;        // "positive" or "seed"
  std::int64_t tokens_seen = 0;
  std::string sae_file;
  std::string sae_hash;
};

// The /nodes datasets, each with one entry per node.
struct NodeData {
  // Inputs from the accumulation.
  std::vector<double> frequency;         // fraction of the graph's tokens with z > 0
  std::vector<std::int64_t> topk_count;  // tokens in whose top-k the feature was
  // Derived from the CSR (compute_node_data).
  std::vector<std::int64_t> degree;
  std::vector<double> strength;
  std::vector<double> clustering;
  std::vector<std::int64_t> component;
  std::vector<double> mean_neighbor_degree;
};

struct GraphFile {
  std::string path;
  CsrGraph graph;
  NodeData nodes;
  GraphAttributes attributes;
};

// Node data for `graph`: the given inputs plus degree, strength, clustering, component and mean
// neighbour degree computed from the CSR. Throws InputError when an input's length is not n.
NodeData compute_node_data(const CsrGraph& graph, std::span<const double> frequency,
                           std::span<const std::int64_t> topk_count);
// The same from statistics already run on the graph (no second clustering pass).
NodeData compute_node_data(const GraphStatistics& finished, std::span<const double> frequency,
                           std::span<const std::int64_t> topk_count);

// Writes the file atomically (refusing an existing `path` without `force`), deriving the node
// statistics from the CSR. `provenance.kind` is set to "graph".
void write_graph_file(const std::string& path, bool force, const CsrGraph& graph, std::span<const double> frequency,
                      std::span<const std::int64_t> topk_count, const GraphAttributes& attributes,
                      io::Provenance provenance = {});

// Reads and validates a graph file: coact_kind, required attributes and their types, dataset
// shapes and dtypes, a well-formed symmetric CSR (see CsrGraph), n_nodes / n_edges matching it,
// frequencies in [0, 1], non-negative top-k counts. Does not trust the derived node datasets;
// verify_node_data checks them.
GraphFile read_graph_file(const std::string& path);

// Compares the stored derived node datasets with `recomputed` (compute_node_data on the
// file's CSR): integers exactly, reals to 1e-12 relative. Throws InputError naming the file,
// the dataset and the first node that differs.
void verify_node_data(const GraphFile& file, const NodeData& recomputed);

}  // namespace coact::graph
