// What `coact describe` says about a graph file (graph_<seed>.h5), what `describe --check`
// verifies, and the cheap consistency checks every reader of the file makes when it opens it.
//
//   - require_consistent_graph_attributes: root attributes only (read_graph_file calls it):
//     counts not negative, n_edges at most n(n−1)/2, node ids representable (n < 2^31), k and
//     batch_tokens at least 1, tokens_seen at most batch_tokens · num_batches, a known
//     zero_policy.
//   - describe_graph_file: those checks plus the datasets' shapes and /csr/indptr (n + 1
//     integers, for the isolated-node count); no edge data is read.
//   - check_graph_file: everything read_graph_file validates (a well-formed symmetric CSR,
//     indices in range, counts >= 1, finite weights, node datasets of length n, analytics in
//     range) plus weights in [−1, 1], top-k counts summing to at most k · tokens_seen, and the
//     stored degree, strength, clustering, component and mean neighbour degree equal to what
//     the CSR gives (verify_node_data).
// Each failure is one InputError naming the file and the attribute or dataset.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "coact/graph/graph_file.h"

namespace coact::io {
class File;
}

namespace coact::graph {

struct GraphFileSummary {
  std::string path;
  std::int64_t nodes = 0;
  std::int64_t edges = 0;
  std::int64_t isolated_nodes = 0;  // degree 0 (they appear in no edge)
  GraphAttributes attributes;       // k, batch_tokens, num_batches, zero_policy, tokens_seen, SAE
  // The datasets under /nodes, in file order: frequency, topk_count, degree, ... and the
  // analytics datasets (community_louvain, pagerank, ...) when present.
  std::vector<std::string> node_datasets;
  // The analytics among them (added by `coact communities` / `coact centrality`).
  std::vector<std::string> analytics;
};

struct GraphCheckReport {
  std::int64_t nodes = 0;
  std::int64_t edges = 0;
  std::int64_t node_values = 0;  // values of the /nodes datasets checked
};

// Root-attribute consistency of an open graph file (see above); InputError "<file>:/:
// attribute '<name>' ...". The coact_kind is checked by the caller.
void require_consistent_graph_attributes(const io::File& file);

// The node datasets a reader is about to reuse agree with the CSR where that costs one pass over
// the edges: degrees equal the CSR's, both ends of every edge are in one component, clustering
// lies in [0, 1] and strengths are finite. (describe --check recomputes everything.)
// InputError naming the file and the dataset.
void require_node_data_matches_csr(const GraphFile& file);

// The summary of `path` (kind "graph"), after the cheap checks.
GraphFileSummary describe_graph_file(const std::string& path);

// The full scan (see above); InputError naming the first bad object.
GraphCheckReport check_graph_file(const std::string& path);

}  // namespace coact::graph
