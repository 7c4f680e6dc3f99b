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

// GraphML 1.0, undirected: node ids are the feature indices ("0".."n-1"), every node listed
// (isolated ones too); node attributes: every node dataset of the file, i.e. frequency,
// topk_count, degree, strength, clustering, component, mean_neighbor_degree, then those of
// community_label_propagation, community_louvain, core_number, pagerank, betweenness that the
// file holds; edge attributes count and weight. Each edge once, source < target.
void write_graphml(std::ostream& out, const GraphFile& file);

// A text edge list that networkx.read_edgelist reads and that loses no node: two header
// comment lines ("# coact edge list: N nodes (ids 0 to N-1), E edges, I isolated nodes" and the
// line format), one comment line "# node i" per isolated node (degree 0), then one edge per
// line, "i j weight count", i < j, in row order.
void write_edge_list(std::ostream& out, const CsrGraph& graph);

// Writes `file` in `format` to `path` atomically (refusing an existing path without `force`).
void export_graph(const GraphFile& file, ExportFormat format, const std::string& path, bool force);

}  // namespace coact::graph
