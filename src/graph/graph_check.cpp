#include "coact/graph/graph_check.h"

#include <cmath>
#include <limits>

#include "coact/core/errors.h"
#include "coact/io/h5.h"
#include "coact/io/provenance.h"

namespace coact::graph {
namespace {

[[noreturn]] void bad_attribute(const io::File& file, const std::string& name, const std::string& what) {
  throw InputError(str(file.path(), ":/: attribute '", name, "' ", what));
}

constexpr const char* kAnalytics[] = {"community_label_propagation", "community_louvain", "core_number", "pagerank",
                                      "betweenness"};

bool is_analytics(const std::string& name) {
  for (const char* known : kAnalytics)
    if (name == known) return true;
  return false;
}

// Weights are mean cosines: within [-1, 1] up to rounding.
constexpr double kWeightSlack = 1e-9;

}  // namespace

void require_consistent_graph_attributes(const io::File& file) {
  const auto a = file.attributes();
  const std::int64_t n = a.get_int("n_nodes"), edges = a.get_int("n_edges");
  if (n < 0) bad_attribute(file, "n_nodes", str("is ", n, ", expected at least 0"));
  if (n > std::numeric_limits<NodeId>::max())
    bad_attribute(file, "n_nodes", str("is ", n, ", more than the ", std::numeric_limits<NodeId>::max(), " nodes coact represents"));
  if (edges < 0) bad_attribute(file, "n_edges", str("is ", edges, ", expected at least 0"));
  const double most = 0.5 * static_cast<double>(n) * static_cast<double>(n > 0 ? n - 1 : 0);
  if (static_cast<double>(edges) > most)
    bad_attribute(file, "n_edges", str("is ", edges, ", more than a simple graph on ", n, " nodes can have (", most, ")"));
  const std::int64_t k = a.get_int("k"), batch_tokens = a.get_int("batch_tokens");
  const std::int64_t batches = a.get_int("num_batches"), tokens = a.get_int("tokens_seen");
  if (k < 1) bad_attribute(file, "k", str("is ", k, ", expected at least 1"));
  if (batch_tokens < 1) bad_attribute(file, "batch_tokens", str("is ", batch_tokens, ", expected at least 1"));
  if (batches < 0) bad_attribute(file, "num_batches", str("is ", batches, ", expected at least 0"));
  if (tokens < 0 || static_cast<double>(tokens) > static_cast<double>(batch_tokens) * static_cast<double>(batches))
    bad_attribute(file, "tokens_seen", str("is ", tokens, ", expected between 0 and batch_tokens x num_batches = ",
                                           batch_tokens * batches));
  const std::string policy = a.get_string("zero_policy");
  if (policy != "positive" && policy != "seed")
    bad_attribute(file, "zero_policy", str("is '", policy, "', expected positive or seed"));
}

GraphFileSummary describe_graph_file(const std::string& path) {
  const io::File file = io::File::open(path);
  io::require_kind(file, "graph");
  require_consistent_graph_attributes(file);
  const auto a = file.attributes();
  GraphFileSummary s;
  s.path = path;
  s.nodes = a.get_int("n_nodes");
  s.edges = a.get_int("n_edges");
  s.attributes.k = a.get_int("k");
  s.attributes.batch_tokens = a.get_int("batch_tokens");
  s.attributes.num_batches = a.get_int("num_batches");
  s.attributes.zero_policy = a.get_string("zero_policy");
  s.attributes.tokens_seen = a.get_int("tokens_seen");
  s.attributes.sae_file = a.get_string("sae_file");
  s.attributes.sae_hash = a.get_string("sae_hash");
  const auto require_length = [&](const std::string& name, std::int64_t length) {
    const io::Dataset dataset = file.dataset(name);
    if (dataset.shape() != io::Shape{length})
      throw InputError(str(dataset.where(), ": shape ", io::shape_string(dataset.shape()), ", expected [", length,
                           "] (from the root attributes n_nodes and n_edges)"));
  };
  require_length("/csr/indptr", s.nodes + 1);
  for (const char* name : {"/csr/indices", "/csr/count", "/csr/weight"}) require_length(name, 2 * s.edges);
  for (const auto& name : file.list("/nodes")) {
    require_length("/nodes/" + name, s.nodes);
    s.node_datasets.push_back(name);
    if (is_analytics(name)) s.analytics.push_back(name);
  }
  const std::vector<std::int64_t> indptr = file.dataset("/csr/indptr").read_all<std::int64_t>();
  for (std::int64_t u = 0; u < s.nodes; ++u)
    if (indptr[static_cast<std::size_t>(u + 1)] == indptr[static_cast<std::size_t>(u)]) ++s.isolated_nodes;
  return s;
}

GraphCheckReport check_graph_file(const std::string& path) {
  const GraphFileSummary summary = describe_graph_file(path);
  const GraphFile file = read_graph_file(path);
  const auto& weights = file.graph.weights();
  for (std::size_t e = 0; e < weights.size(); ++e)
    if (!(std::fabs(weights[e]) <= 1.0 + kWeightSlack))
      throw InputError(str(path, ":/csr/weight: entry ", e, " is ", weights[e],
                           ", expected a mean cosine in [-1, 1]"));
  double topk_total = 0;
  for (const std::int64_t c : file.nodes.topk_count) topk_total += static_cast<double>(c);
  const double topk_most = static_cast<double>(file.attributes.k) * static_cast<double>(file.attributes.tokens_seen);
  if (topk_total > topk_most)
    throw InputError(str(path, ":/nodes/topk_count: sums to ", topk_total, ", more than k x tokens_seen = ", topk_most));
  verify_node_data(file, compute_node_data(file.graph, file.nodes.frequency, file.nodes.topk_count));
  GraphCheckReport report;
  report.nodes = file.graph.num_nodes();
  report.edges = file.graph.num_edges();
  report.node_values = report.nodes * static_cast<std::int64_t>(summary.node_datasets.size());
  return report;
}

void require_node_data_matches_csr(const GraphFile& file) {
  const CsrGraph& g = file.graph;
  const NodeData& nodes = file.nodes;
  for (NodeId v = 0; v < g.num_nodes(); ++v) {
    const auto u = static_cast<std::size_t>(v);
    if (nodes.degree[u] != g.degree(v))
      throw InputError(str(file.path, ":/nodes/degree: node ", v, " has ", nodes.degree[u], ", the CSR ", g.degree(v)));
    if (!(nodes.clustering[u] >= 0.0 && nodes.clustering[u] <= 1.0))
      throw InputError(str(file.path, ":/nodes/clustering: node ", v, " has ", nodes.clustering[u], ", expected [0, 1]"));
    if (!std::isfinite(nodes.strength[u]))
      throw InputError(str(file.path, ":/nodes/strength: node ", v, " is not finite"));
    for (const NodeId w : g.neighbors(v))
      if (nodes.component[u] != nodes.component[static_cast<std::size_t>(w)])
        throw InputError(str(file.path, ":/nodes/component: nodes ", v, " and ", w, " share an edge but not a component"));
  }
}

}  // namespace coact::graph
