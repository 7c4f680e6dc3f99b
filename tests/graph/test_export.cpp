// Exports: the edge list line by line, GraphML structure and exact reals, atomic output.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "coact/core/errors.h"
#include "coact/graph/export.h"

namespace coact::graph {
namespace {

GraphFile small_file() {
  GraphFile file;
  file.path = "small.h5";
  const std::vector<WeightedEdge> edges{{1, 0, 3, 0.1}, {2, 1, 1, 1.0 / 3.0}, {0, 2, 2, 1e-300}};
  file.graph = CsrGraph::from_weighted_edges(4, edges);
  file.nodes =
      compute_node_data(file.graph, std::vector<double>{0.5, 0.25, 0.125, 0.0}, std::vector<std::int64_t>{7, 5, 3, 0});
  return file;
}

TEST(Export, EdgeListHasOneLinePerEdgeWithExactRealsAndKeepsIsolatedNodes) {
  std::ostringstream out;
  write_edge_list(out, small_file().graph);
  EXPECT_EQ(out.str(),
            "# coact edge list: 4 nodes (ids 0 to 3), 3 edges, 1 isolated nodes\n"
            "# one edge per line: \"i j weight count\" with i < j; each isolated node as \"# node i\"\n"
            "# node 3\n"
            "0 1 0.1 3\n0 2 1e-300 2\n1 2 0.3333333333333333 1\n");
  std::ostringstream empty;
  write_edge_list(empty, CsrGraph());
  EXPECT_EQ(empty.str().substr(0, 50), "# coact edge list: 0 nodes, 0 edges, 0 isolated no");
}

TEST(Export, GraphMLCarriesTheAnalyticsDatasetsPresent) {
  GraphFile file = small_file();
  file.analytics.community_louvain.present = true;
  file.analytics.community_louvain.values = {0, 0, 0, 1};
  file.analytics.pagerank.present = true;
  file.analytics.pagerank.values = {0.3, 0.3, 0.3, 0.1};
  std::ostringstream out;
  write_graphml(out, file);
  const std::string xml = out.str();
  EXPECT_NE(xml.find("<key id=\"d7\" for=\"node\" attr.name=\"community_louvain\" attr.type=\"long\"/>"), std::string::npos);
  EXPECT_NE(xml.find("<key id=\"d8\" for=\"node\" attr.name=\"pagerank\" attr.type=\"double\"/>"), std::string::npos);
  EXPECT_NE(xml.find("<key id=\"d9\" for=\"edge\" attr.name=\"count\""), std::string::npos);
  EXPECT_EQ(xml.find("core_number"), std::string::npos) << "absent datasets are not declared";
  EXPECT_NE(xml.find("<data key=\"d7\">1</data><data key=\"d8\">0.1</data></node>"), std::string::npos) << xml;
  file.analytics.pagerank.values.pop_back();
  std::ostringstream bad;
  EXPECT_THROW(write_graphml(bad, file), Error);
}

TEST(Export, GraphMLDeclaresKeysNodesAndEdges) {
  std::ostringstream out;
  write_graphml(out, small_file());
  const std::string xml = out.str();
  EXPECT_EQ(xml.rfind("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<graphml", 0), 0u);
  EXPECT_NE(xml.find("<key id=\"d0\" for=\"node\" attr.name=\"frequency\" attr.type=\"double\"/>"), std::string::npos);
  EXPECT_NE(xml.find("attr.name=\"component\" attr.type=\"long\""), std::string::npos);
  EXPECT_NE(xml.find("<key id=\"d7\" for=\"edge\" attr.name=\"count\" attr.type=\"long\"/>"), std::string::npos);
  EXPECT_NE(xml.find("<key id=\"d8\" for=\"edge\" attr.name=\"weight\" attr.type=\"double\"/>"), std::string::npos);
  EXPECT_NE(xml.find("<graph id=\"G\" edgedefault=\"undirected\">"), std::string::npos);
  // Node 0: frequency 0.5, top-k 7, degree 2, strength mean(0.1, 1e-300), clustering 1, component 0.
  EXPECT_NE(xml.find("<node id=\"0\"><data key=\"d0\">0.5</data><data key=\"d1\">7</data><data key=\"d2\">2</data>"
                     "<data key=\"d3\">0.05</data><data key=\"d4\">1</data><data key=\"d5\">0</data>"),
            std::string::npos)
      << xml;
  EXPECT_NE(xml.find("<node id=\"3\">"), std::string::npos);
  EXPECT_NE(
      xml.find(
          "<edge source=\"1\" target=\"2\"><data key=\"d7\">1</data><data key=\"d8\">0.3333333333333333</data></edge>"),
      std::string::npos);
  std::size_t edges = 0;
  for (auto at = xml.find("<edge "); at != std::string::npos; at = xml.find("<edge ", at + 1)) ++edges;
  EXPECT_EQ(edges, 3u);
  EXPECT_EQ(xml.substr(xml.size() - 22), "  </graph>\n</graphml>\n");
}

TEST(Export, WritesAtomicallyAndRefusesToOverwrite) {
  const auto dir = std::filesystem::temp_directory_path() / ("coact_export_" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  const std::string out = (dir / "g.txt").string();
  export_graph(small_file(), ExportFormat::EdgeList, out, false);
  std::ifstream in(out);
  std::string first;
  std::getline(in, first);
  EXPECT_EQ(first, "# coact edge list: 4 nodes (ids 0 to 3), 3 edges, 1 isolated nodes");
  EXPECT_THROW(export_graph(small_file(), ExportFormat::GraphML, out, false), OutputExistsError);
  EXPECT_NO_THROW(export_graph(small_file(), ExportFormat::GraphML, out, true));
  std::filesystem::remove_all(dir);
}

TEST(Export, ParsesFormatNames) {
  EXPECT_EQ(parse_export_format("graphml"), ExportFormat::GraphML);
  EXPECT_EQ(parse_export_format("edgelist"), ExportFormat::EdgeList);
  EXPECT_THROW(parse_export_format("gexf"), UsageError);
}

}  // namespace
}  // namespace coact::graph
