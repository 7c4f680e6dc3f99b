#include "coact/graph/graph_file.h"

#include <algorithm>
#include <cmath>
#include <sstream>

#include "coact/core/errors.h"
#include "coact/graph/graph_check.h"
#include "coact/io/atomic_output.h"
#include "coact/io/h5.h"

namespace coact::graph {
namespace {

void require_length(std::size_t size, std::int64_t n, const char* what) {
  if (static_cast<std::int64_t>(size) != n)
    throw InputError(str("graph node data: ", what, " has ", size, " entries for ", n, " nodes"));
}

// A 1-D dataset of exactly type T and, when expected >= 0, that many entries.
template <class T>
std::vector<T> read_vector(const io::File& file, const std::string& name, std::int64_t expected) {
  const io::Dataset dataset = file.dataset(name);
  const io::ElementType stored = dataset.element_type();
  if (stored != io::element_type_of<T>())
    throw InputError(str(dataset.where(), ": dtype ", io::to_string(stored), ", expected ",
                         io::to_string(io::element_type_of<T>())));
  const io::Shape shape = dataset.shape();
  if (shape.size() != 1 || (expected >= 0 && shape[0] != expected))
    throw InputError(str(dataset.where(), ": shape ", io::shape_string(shape), ", expected [",
                         expected >= 0 ? std::to_string(expected) : std::string("n"), "]"));
  if (shape[0] == 0) return {};
  return dataset.read_all<T>();
}

bool reals_agree(double stored, double recomputed) {
  if (stored == recomputed) return true;
  return std::fabs(stored - recomputed) <= 1e-12 * std::max(std::fabs(stored), std::fabs(recomputed));
}

template <class T, class Agree>
void verify_dataset(const std::string& path, const char* name, const std::vector<T>& stored,
                    const std::vector<T>& recomputed, const Agree& agree) {
  for (std::size_t u = 0; u < stored.size(); ++u) {
    if (!agree(stored[u], recomputed[u])) {
      std::ostringstream message;
      message.precision(17);
      message << path << ":" << name << ": node " << u << " holds " << stored[u] << " but the CSR gives "
              << recomputed[u];
      throw InputError(message.str());
    }
  }
}

template <class T>
void write_column(io::File& file, const std::string& name, const NodeColumn<T>& column, std::int64_t n) {
  if (!column.present) return;
  require_length(column.values.size(), n, name.c_str());
  io::Dataset dataset = file.write_dataset<T>(name, column.values, {n});
  auto attributes = dataset.attributes();
  for (const auto& [key, text] : column.texts) attributes.set(key, text);
  for (const auto& [key, number] : column.numbers) attributes.set(key, number);
}

// An optional analytics dataset with its attributes (float64 and string ones; others ignored).
template <class T>
NodeColumn<T> read_column(const io::File& file, const std::string& name, std::int64_t n) {
  NodeColumn<T> column;
  if (!file.has(name)) return column;
  column.present = true;
  column.values = read_vector<T>(file, name, n);
  const io::Dataset dataset = file.dataset(name);  // must outlive its attributes' handle
  const auto attributes = dataset.attributes();
  for (const auto& key : attributes.names()) {
    const io::ElementType type = attributes.type_of(key);
    if (type == io::ElementType::String) column.texts[key] = attributes.get_string(key);
    else if (type == io::ElementType::F64) column.numbers[key] = attributes.get_double(key);
  }
  return column;
}

void check_community(const std::string& path, const NodeColumn<std::int64_t>& column, const char* name, std::int64_t n) {
  for (std::size_t u = 0; u < column.values.size(); ++u)
    if (column.values[u] < 0 || column.values[u] >= n)
      throw InputError(str(path, ":", name, ": node ", u, " has community ", column.values[u], ", expected [0, ", n, ")"));
}

void check_non_negative(const std::string& path, const NodeColumn<double>& column, const char* name) {
  for (std::size_t u = 0; u < column.values.size(); ++u)
    if (!(column.values[u] >= 0.0 && std::isfinite(column.values[u])))
      throw InputError(str(path, ":", name, ": node ", u, " has ", column.values[u], ", expected a finite value >= 0"));
}

}  // namespace

NodeData compute_node_data(const GraphStatistics& finished, std::span<const double> frequency,
                           std::span<const std::int64_t> topk_count) {
  const std::int64_t n = finished.summary().nodes;
  require_length(frequency.size(), n, "frequency");
  require_length(topk_count.size(), n, "topk_count");
  NodeData data;
  data.frequency.assign(frequency.begin(), frequency.end());
  data.topk_count.assign(topk_count.begin(), topk_count.end());
  data.degree = finished.nodes().degree();
  data.strength = finished.nodes().strength();
  data.clustering = finished.clustering().clustering();
  data.component = finished.components().component_of();
  data.mean_neighbor_degree = finished.nodes().mean_neighbor_degree();
  return data;
}

NodeData compute_node_data(const CsrGraph& graph, std::span<const double> frequency,
                           std::span<const std::int64_t> topk_count) {
  require_length(frequency.size(), graph.num_nodes(), "frequency");
  GraphStatistics statistics(graph, frequency);
  statistics.run();
  return compute_node_data(statistics, frequency, topk_count);
}

void write_graph_file(const std::string& path, bool force, const CsrGraph& graph, std::span<const double> frequency,
                      std::span<const std::int64_t> topk_count, const GraphAttributes& attributes,
                      io::Provenance provenance) {
  write_graph_file(path, force, graph, frequency, topk_count, attributes, std::move(provenance), NodeAnalytics{});
}

void write_graph_file(const std::string& path, bool force, const CsrGraph& graph, std::span<const double> frequency,
                      std::span<const std::int64_t> topk_count, const GraphAttributes& attributes,
                      io::Provenance provenance, const NodeAnalytics& analytics) {
  write_graph_file(path, force, graph, compute_node_data(graph, frequency, topk_count), attributes, std::move(provenance),
                   analytics);
}

void write_graph_file(const std::string& path, bool force, const CsrGraph& graph, const NodeData& nodes,
                      const GraphAttributes& attributes, io::Provenance provenance, const NodeAnalytics& analytics) {
  const std::int64_t n = graph.num_nodes();
  const auto entries = static_cast<std::int64_t>(graph.indices().size());

  io::AtomicOutput output(path, force);
  io::File file = io::File::create(output.temporary_path());
  file.write_dataset<std::int64_t>("/csr/indptr", graph.indptr(), {n + 1});
  file.write_dataset<std::int32_t>("/csr/indices", graph.indices(), {entries});
  file.write_dataset<std::int64_t>("/csr/count", graph.counts(), {entries});
  file.write_dataset<double>("/csr/weight", graph.weights(), {entries});
  file.write_dataset<double>("/nodes/frequency", nodes.frequency, {n});
  file.write_dataset<std::int64_t>("/nodes/topk_count", nodes.topk_count, {n});
  file.write_dataset<std::int64_t>("/nodes/degree", nodes.degree, {n});
  file.write_dataset<double>("/nodes/strength", nodes.strength, {n});
  file.write_dataset<double>("/nodes/clustering", nodes.clustering, {n});
  file.write_dataset<std::int64_t>("/nodes/component", nodes.component, {n});
  file.write_dataset<double>("/nodes/mean_neighbor_degree", nodes.mean_neighbor_degree, {n});
  write_column(file, "/nodes/community_label_propagation", analytics.community_label_propagation, n);
  write_column(file, "/nodes/community_louvain", analytics.community_louvain, n);
  write_column(file, "/nodes/core_number", analytics.core_number, n);
  write_column(file, "/nodes/pagerank", analytics.pagerank, n);
  write_column(file, "/nodes/betweenness", analytics.betweenness, n);

  provenance.kind = "graph";
  io::write_provenance(file, provenance);
  auto root = file.attributes();
  root.set("n_nodes", n);
  root.set("n_edges", graph.num_edges());
  root.set("k", attributes.k);
  root.set("batch_tokens", attributes.batch_tokens);
  root.set("num_batches", attributes.num_batches);
  root.set("zero_policy", attributes.zero_policy);
  root.set("tokens_seen", attributes.tokens_seen);
  root.set("sae_file", attributes.sae_file);
  root.set("sae_hash", attributes.sae_hash);
  root.set("encode_precision", attributes.encode_precision);
  file.close();
  output.commit();
}

GraphFile read_graph_file(const std::string& path) {
  const io::File file = io::File::open(path);
  io::require_kind(file, "graph");
  require_consistent_graph_attributes(file);
  const auto root = file.attributes();
  GraphFile out;
  out.path = path;
  const std::int64_t n = root.get_int("n_nodes");
  const std::int64_t edges = root.get_int("n_edges");
  if (n < 0) throw InputError(str(path, ":/: attribute 'n_nodes' is ", n, ", expected at least 0"));
  out.attributes.k = root.get_int("k");
  out.attributes.batch_tokens = root.get_int("batch_tokens");
  out.attributes.num_batches = root.get_int("num_batches");
  out.attributes.zero_policy = root.get_string("zero_policy");
  out.attributes.tokens_seen = root.get_int("tokens_seen");
  out.attributes.sae_file = root.get_string("sae_file");
  out.attributes.sae_hash = root.get_string("sae_hash");
  // Graphs written before the precision was recorded were encoded in fp32.
  out.attributes.encode_precision = root.get_string_or("encode_precision", "fp32");

  auto indptr = read_vector<std::int64_t>(file, "/csr/indptr", n + 1);
  auto indices = read_vector<std::int32_t>(file, "/csr/indices", -1);
  const auto entries = static_cast<std::int64_t>(indices.size());
  if (entries != 2 * edges)
    throw InputError(str(path, ":/csr/indices: ", entries, " entries, expected 2 n_edges = ", 2 * edges));
  auto counts = read_vector<std::int64_t>(file, "/csr/count", entries);
  auto weights = read_vector<double>(file, "/csr/weight", entries);
  out.graph = CsrGraph(std::move(indptr), std::move(indices), std::move(counts), std::move(weights), path + ":/csr/");

  NodeData& nodes = out.nodes;
  nodes.frequency = read_vector<double>(file, "/nodes/frequency", n);
  nodes.topk_count = read_vector<std::int64_t>(file, "/nodes/topk_count", n);
  nodes.degree = read_vector<std::int64_t>(file, "/nodes/degree", n);
  nodes.strength = read_vector<double>(file, "/nodes/strength", n);
  nodes.clustering = read_vector<double>(file, "/nodes/clustering", n);
  nodes.component = read_vector<std::int64_t>(file, "/nodes/component", n);
  nodes.mean_neighbor_degree = read_vector<double>(file, "/nodes/mean_neighbor_degree", n);
  NodeAnalytics& analytics = out.analytics;
  analytics.community_label_propagation = read_column<std::int64_t>(file, "/nodes/community_label_propagation", n);
  analytics.community_louvain = read_column<std::int64_t>(file, "/nodes/community_louvain", n);
  analytics.core_number = read_column<std::int64_t>(file, "/nodes/core_number", n);
  analytics.pagerank = read_column<double>(file, "/nodes/pagerank", n);
  analytics.betweenness = read_column<double>(file, "/nodes/betweenness", n);
  check_community(path, analytics.community_label_propagation, "/nodes/community_label_propagation", n);
  check_community(path, analytics.community_louvain, "/nodes/community_louvain", n);
  for (std::size_t u = 0; u < analytics.core_number.values.size(); ++u) {
    const std::int64_t core = analytics.core_number.values[u];
    if (core < 0 || core > out.graph.degree(static_cast<NodeId>(u)))
      throw InputError(str(path, ":/nodes/core_number: node ", u, " has core number ", core, ", expected [0, degree = ",
                           out.graph.degree(static_cast<NodeId>(u)), "]"));
  }
  check_non_negative(path, analytics.pagerank, "/nodes/pagerank");
  check_non_negative(path, analytics.betweenness, "/nodes/betweenness");
  for (std::int64_t u = 0; u < n; ++u) {
    const double f = nodes.frequency[u];
    if (!(f >= 0.0 && f <= 1.0))
      throw InputError(str(path, ":/nodes/frequency: node ", u, " has frequency ", f, ", expected a value in [0, 1]"));
    if (nodes.topk_count[u] < 0)
      throw InputError(
          str(path, ":/nodes/topk_count: node ", u, " has count ", nodes.topk_count[u], ", expected >= 0"));
  }
  return out;
}

void update_node_analytics(const std::string& path, const NodeAnalytics& update) {
  GraphFile stored = read_graph_file(path);
  io::Provenance provenance;
  {
    const io::File file = io::File::open(path);
    const auto root = file.attributes();
    provenance.command_line = root.get_string_or("command_line", "");
    provenance.config = root.get_string_or("config", "");
    for (const auto& name : root.names())
      if (name.rfind("input_", 0) == 0 && root.type_of(name) == io::ElementType::String)
        provenance.inputs[name.substr(6)] = root.get_string(name);
  }
  NodeAnalytics merged = stored.analytics;
  const auto take = [](auto& into, const auto& from) {
    if (from.present) into = from;
  };
  take(merged.community_label_propagation, update.community_label_propagation);
  take(merged.community_louvain, update.community_louvain);
  take(merged.core_number, update.core_number);
  take(merged.pagerank, update.pagerank);
  take(merged.betweenness, update.betweenness);
  write_graph_file(path, true, stored.graph, stored.nodes.frequency, stored.nodes.topk_count, stored.attributes,
                   std::move(provenance), merged);
}

void verify_node_data(const GraphFile& file, const NodeData& recomputed) {
  const auto exact = [](std::int64_t a, std::int64_t b) { return a == b; };
  verify_dataset(file.path, "/nodes/degree", file.nodes.degree, recomputed.degree, exact);
  verify_dataset(file.path, "/nodes/component", file.nodes.component, recomputed.component, exact);
  verify_dataset(file.path, "/nodes/strength", file.nodes.strength, recomputed.strength, reals_agree);
  verify_dataset(file.path, "/nodes/clustering", file.nodes.clustering, recomputed.clustering, reals_agree);
  verify_dataset(file.path, "/nodes/mean_neighbor_degree", file.nodes.mean_neighbor_degree,
                 recomputed.mean_neighbor_degree, reals_agree);
}

}  // namespace coact::graph
