// Graph interchange for networkx, igraph and Gephi: GraphML (node and edge attributes) and a
// plain weighted edge list. Reals are written in the shortest form that reads back to the same
// double, so a round trip through either format is exact.
#pragma once

#include <iosfwd>
#include <string>

#include "coact/graph/graph_file.h"

namespace coact::graph {

enum class ExportFormat { GraphML, EdgeList };

// "graphml" or "edgelist"; throws UsageError otherwise.
ExportFormat parse_export_format(const std::string& name);

// GraphML 1.0, undirected: node ids are the feature indices ("0".."n-1"); node attributes
// frequency, topk_count, degree, strength, clustering, component, mean_neighbor_degree (as
// stored in the file); edge attributes count and weight. Each edge once, source < target.
void write_graphml(std::ostream& out, const GraphFile& file);

// One edge per line, "i j weight count", i < j, in row order; no header.
void write_edge_list(std::ostream& out, const CsrGraph& graph);

// Writes `file` in `format` to `path` atomically (refusing an existing path without `force`).
void export_graph(const GraphFile& file, ExportFormat format, const std::string& path, bool force);

}  // namespace coact::graph
