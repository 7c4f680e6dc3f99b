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

// One node attribute of the GraphML export: a /nodes dataset, integer or real.
struct NodeAttribute {
  const char* name;
  const std::vector<double>* reals = nullptr;
  const std::vector<std::int64_t>* integers = nullptr;
  const char* type() const { return reals ? "double" : "long"; }  // GraphML attr.type
};

// Every node dataset the file holds: the ones every graph has, then the analytics present.
std::vector<NodeAttribute> node_attributes(const GraphFile& file) {
  const NodeData& n = file.nodes;
  const NodeAnalytics& a = file.analytics;
  std::vector<NodeAttribute> out{{"frequency", &n.frequency},
                                 {"topk_count", nullptr, &n.topk_count},
                                 {"degree", nullptr, &n.degree},
                                 {"strength", &n.strength},
                                 {"clustering", &n.clustering},
                                 {"component", nullptr, &n.component},
                                 {"mean_neighbor_degree", &n.mean_neighbor_degree}};
  if (a.community_label_propagation.present)
    out.push_back({"community_label_propagation", nullptr, &a.community_label_propagation.values});
  if (a.community_louvain.present) out.push_back({"community_louvain", nullptr, &a.community_louvain.values});
  if (a.core_number.present) out.push_back({"core_number", nullptr, &a.core_number.values});
  if (a.pagerank.present) out.push_back({"pagerank", &a.pagerank.values});
  if (a.betweenness.present) out.push_back({"betweenness", &a.betweenness.values});
  return out;
}

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
  const std::vector<NodeAttribute> attributes = node_attributes(file);
  for (const auto& attribute : attributes) {
    const std::size_t size = attribute.reals ? attribute.reals->size() : attribute.integers->size();
    if (static_cast<std::int64_t>(size) != graph.num_nodes())
      throw Error(str(file.path, ": node data '", attribute.name, "' has ", size, " entries for ", graph.num_nodes(), " nodes"));
  }
  std::string buffer =
      "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
      "<graphml xmlns=\"http://graphml.graphdrawing.org/xmlns\" "
      "xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\" "
      "xsi:schemaLocation=\"http://graphml.graphdrawing.org/xmlns "
      "http://graphml.graphdrawing.org/xmlns/1.0/graphml.xsd\">\n";
  int key = 0;
  for (const auto& attribute : attributes)
    buffer += str("  <key id=\"d", key++, "\" for=\"node\" attr.name=\"", attribute.name, "\" attr.type=\"",
                  attribute.type(), "\"/>\n");
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
    for (std::size_t a = 0; a < attributes.size(); ++a) {
      const auto at = static_cast<std::size_t>(u);
      if (attributes[a].reals)
        append_data(buffer, static_cast<int>(a), (*attributes[a].reals)[at]);
      else
        append_data(buffer, static_cast<int>(a), (*attributes[a].integers)[at]);
    }
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
  const std::int64_t n = graph.num_nodes();
  std::int64_t isolated = 0;
  for (std::int64_t u = 0; u < n; ++u) isolated += graph.degree(static_cast<NodeId>(u)) == 0;
  // The header and the isolated nodes are comment lines, which networkx.read_edgelist skips:
  // a reader that wants every node adds those of the "# node i" lines (docs/formats.md).
  std::string buffer = str("# coact edge list: ", n, " nodes", n > 0 ? str(" (ids 0 to ", n - 1, ")") : std::string(),
                           ", ", graph.num_edges(), " edges, ", isolated, " isolated nodes\n",
                           "# one edge per line: \"i j weight count\" with i < j; each isolated node as \"# node i\"\n");
  for (std::int64_t u = 0; u < n; ++u) {
    if (graph.degree(static_cast<NodeId>(u)) != 0) continue;
    buffer += "# node ";
    append(buffer, u);
    buffer += '\n';
    flush_if_full(out, buffer);
  }
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
