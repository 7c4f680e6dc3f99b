#include "coact/graph/export.h"

#include <charconv>
#include <fstream>
#include <ostream>

#include "coact/core/errors.h"
#include "coact/io/atomic_output.h"

namespace coact::graph {
namespace {

// Appends the shortest text that parses back to exactly `value`.
void append(std::string& out, double value) {
  char buffer[32];
  const auto result = std::to_chars(buffer, buffer + sizeof buffer, value);
  out.append(buffer, result.ptr);
}

void append(std::string& out, std::int64_t value) {
  char buffer[24];
  const auto result = std::to_chars(buffer, buffer + sizeof buffer, value);
  out.append(buffer, result.ptr);
}

// Text is built in chunks of about this size and streamed, so a large graph never sits in
// memory as one string.
constexpr std::size_t kFlushBytes = std::size_t{1} << 20;

void flush_if_full(std::ostream& out, std::string& buffer) {
  if (buffer.size() < kFlushBytes) return;
  out.write(buffer.data(), static_cast<std::streamsize>(buffer.size()));
  buffer.clear();
}

struct NodeKey {
  const char* name;
  const char* type;  // GraphML attr.type
};
constexpr NodeKey kNodeKeys[] = {{"frequency", "double"},
                                 {"topk_count", "long"},
                                 {"degree", "long"},
                                 {"strength", "double"},
                                 {"clustering", "double"},
                                 {"component", "long"},
                                 {"mean_neighbor_degree", "double"}};

void append_data(std::string& out, int key, double value) {
  out += "<data key=\"d";
  append(out, std::int64_t{key});
  out += "\">";
  append(out, value);
  out += "</data>";
}

void append_data(std::string& out, int key, std::int64_t value) {
  out += "<data key=\"d";
  append(out, std::int64_t{key});
  out += "\">";
  append(out, value);
  out += "</data>";
}

}  // namespace

ExportFormat parse_export_format(const std::string& name) {
  if (name == "graphml") return ExportFormat::GraphML;
  if (name == "edgelist") return ExportFormat::EdgeList;
  throw UsageError(str("--format must be graphml or edgelist (got '", name, "')"));
}

void write_graphml(std::ostream& out, const GraphFile& file) {
  const CsrGraph& graph = file.graph;
  const NodeData& nodes = file.nodes;
  std::string buffer =
      "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
      "<graphml xmlns=\"http://graphml.graphdrawing.org/xmlns\" "
      "xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\" "
      "xsi:schemaLocation=\"http://graphml.graphdrawing.org/xmlns "
      "http://graphml.graphdrawing.org/xmlns/1.0/graphml.xsd\">\n";
  int key = 0;
  for (const auto& node_key : kNodeKeys)
    buffer += str("  <key id=\"d", key++, "\" for=\"node\" attr.name=\"", node_key.name, "\" attr.type=\"",
                  node_key.type, "\"/>\n");
  const int count_key = key++;
  const int weight_key = key++;
  buffer += str("  <key id=\"d", count_key, "\" for=\"edge\" attr.name=\"count\" attr.type=\"long\"/>\n");
  buffer += str("  <key id=\"d", weight_key, "\" for=\"edge\" attr.name=\"weight\" attr.type=\"double\"/>\n");
  buffer += "  <graph id=\"G\" edgedefault=\"undirected\">\n";

  const std::int64_t n = graph.num_nodes();
  for (std::int64_t u = 0; u < n; ++u) {
    buffer += "    <node id=\"";
    append(buffer, u);
    buffer += "\">";
    append_data(buffer, 0, nodes.frequency[u]);
    append_data(buffer, 1, nodes.topk_count[u]);
    append_data(buffer, 2, nodes.degree[u]);
    append_data(buffer, 3, nodes.strength[u]);
    append_data(buffer, 4, nodes.clustering[u]);
    append_data(buffer, 5, nodes.component[u]);
    append_data(buffer, 6, nodes.mean_neighbor_degree[u]);
    buffer += "</node>\n";
    flush_if_full(out, buffer);
  }
  for (std::int64_t u = 0; u < n; ++u) {
    const auto node = static_cast<NodeId>(u);
    const auto neighbors = graph.neighbors(node);
    const auto counts = graph.edge_counts(node);
    const auto weights = graph.edge_weights(node);
    for (std::size_t e = 0; e < neighbors.size(); ++e) {
      if (neighbors[e] < node) continue;
      buffer += "    <edge source=\"";
      append(buffer, u);
      buffer += "\" target=\"";
      append(buffer, std::int64_t{neighbors[e]});
      buffer += "\">";
      append_data(buffer, count_key, counts[e]);
      append_data(buffer, weight_key, weights[e]);
      buffer += "</edge>\n";
    }
    flush_if_full(out, buffer);
  }
  buffer += "  </graph>\n</graphml>\n";
  out.write(buffer.data(), static_cast<std::streamsize>(buffer.size()));
}

void write_edge_list(std::ostream& out, const CsrGraph& graph) {
  std::string buffer;
  for (std::int64_t u = 0; u < graph.num_nodes(); ++u) {
    const auto node = static_cast<NodeId>(u);
    const auto neighbors = graph.neighbors(node);
    const auto counts = graph.edge_counts(node);
    const auto weights = graph.edge_weights(node);
    for (std::size_t e = 0; e < neighbors.size(); ++e) {
      if (neighbors[e] < node) continue;
      append(buffer, u);
      buffer += ' ';
      append(buffer, std::int64_t{neighbors[e]});
      buffer += ' ';
      append(buffer, weights[e]);
      buffer += ' ';
      append(buffer, counts[e]);
      buffer += '\n';
    }
    flush_if_full(out, buffer);
  }
  out.write(buffer.data(), static_cast<std::streamsize>(buffer.size()));
}

void export_graph(const GraphFile& file, ExportFormat format, const std::string& path, bool force) {
  io::AtomicOutput output(path, force);
  {
    std::ofstream stream(output.temporary_path(), std::ios::binary);
    if (!stream) throw IoError(str(path, ": cannot create the output"));
    if (format == ExportFormat::GraphML)
      write_graphml(stream, file);
    else
      write_edge_list(stream, file.graph);
    stream.close();
    if (!stream) throw IoError(str(path, ": writing failed (disk full?)"));
  }
  output.commit();
}

}  // namespace coact::graph
