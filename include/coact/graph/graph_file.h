// graph_<seed>.h5: one co-activation graph with its node data and the settings that built it
// (docs/formats.md, "graph_<seed>.h5"). The writer derives the node statistics itself from the
// CSR; the reader validates everything a later stage relies on and fails with one InputError
// line naming the file and the object.
#pragma once

#include <cstdint>
#include <map>
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
  std::string encode_precision = "fp32";  // arithmetic of the encoder GEMM (backend::Precision)
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

// A node dataset that an analysis adds after the graph was built (`coact communities`,
// `coact centrality`), with the settings that produced it as attributes of the dataset.
template <class T>
struct NodeColumn {
  bool present = false;
  std::vector<T> values;                      // one per node when present
  std::map<std::string, std::string> texts;   // string attributes (algorithm, weighting, ...)
  std::map<std::string, double> numbers;      // float64 attributes (damping, modularity, ...)
};

// The optional analytics node datasets (docs/formats.md, "graph_<seed>.h5"), each absent until
// an analysis stores it.
struct NodeAnalytics {
  NodeColumn<std::int64_t> community_label_propagation;  // /nodes/community_label_propagation
  NodeColumn<std::int64_t> community_louvain;            // /nodes/community_louvain
  NodeColumn<std::int64_t> core_number;                  // /nodes/core_number
  NodeColumn<double> pagerank;                           // /nodes/pagerank
  NodeColumn<double> betweenness;                        // /nodes/betweenness
};

struct GraphFile {
  std::string path;
  CsrGraph graph;
  NodeData nodes;
  GraphAttributes attributes;
  NodeAnalytics analytics;  // whichever analytics datasets the file holds
};

// Node data for `graph`: the given inputs plus degree, strength, clustering, component and mean
// neighbour degree computed from the CSR. Throws InputError when an input's length is not n.
NodeData compute_node_data(const CsrGraph& graph, std::span<const double> frequency,
                           std::span<const std::int64_t> topk_count);
// The same from statistics already run on the graph (no second clustering pass).
NodeData compute_node_data(const GraphStatistics& finished, std::span<const double> frequency,
                           std::span<const std::int64_t> topk_count);

// Writes the file atomically (refusing an existing `path` without `force`) with node data
// already computed for this CSR (compute_node_data). `provenance.kind` is set to "graph".
void write_graph_file(const std::string& path, bool force, const CsrGraph& graph, const NodeData& nodes,
                      const GraphAttributes& attributes, io::Provenance provenance, const NodeAnalytics& analytics);

// The same, deriving the node statistics from the CSR.
void write_graph_file(const std::string& path, bool force, const CsrGraph& graph, std::span<const double> frequency,
                      std::span<const std::int64_t> topk_count, const GraphAttributes& attributes,
                      io::Provenance provenance = {});

// The same, also writing the analytics datasets that are present in `analytics`.
void write_graph_file(const std::string& path, bool force, const CsrGraph& graph, std::span<const double> frequency,
                      std::span<const std::int64_t> topk_count, const GraphAttributes& attributes,
                      io::Provenance provenance, const NodeAnalytics& analytics);

// Stores analytics datasets in an existing graph file: the columns present in `update` are
// added or replace the stored ones, every other dataset and attribute (provenance included) is
// kept. The file is read and validated, rewritten whole under a temporary name and renamed over
// the original, so a failure leaves the original untouched. InputError when a column's length
// is not n.
void update_node_analytics(const std::string& path, const NodeAnalytics& update);

// Reads and validates a graph file: coact_kind, required attributes, their types and their
// consistency (require_consistent_graph_attributes in graph_check.h), dataset shapes and
// dtypes, a well-formed symmetric CSR (see CsrGraph), n_nodes / n_edges matching it,
// frequencies in [0, 1], non-negative top-k counts; analytics datasets, when present, of the
// right dtype and shape with community ids in [0, n), core numbers in [0, degree], PageRank
// and betweenness finite and >= 0. Does not trust the derived node datasets; verify_node_data
// checks them.
GraphFile read_graph_file(const std::string& path);

// Compares the stored derived node datasets with `recomputed` (compute_node_data on the
// file's CSR): integers exactly, reals to 1e-12 relative. Throws InputError naming the file,
// the dataset and the first node that differs.
void verify_node_data(const GraphFile& file, const NodeData& recomputed);

}  // namespace coact::graph
