#include "coact/graph/graph_statistics.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>

#include "coact/core/errors.h"
#include "coact/graph/graph_file.h"

namespace coact::graph {

GraphStatistics::GraphStatistics(const CsrGraph& graph, std::span<const double> frequency)
    : graph_(graph), frequency_(frequency), components_(graph), clustering_(graph), nodes_(graph) {
  if (!frequency.empty() && static_cast<std::int64_t>(frequency.size()) != graph.num_nodes())
    throw InputError(str("graph statistics: ", frequency.size(), " frequencies for ", graph.num_nodes(), " nodes"));
}

void GraphStatistics::run() {
  components_.run();
  clustering_.run();
  nodes_.run();
  GraphSummary s;
  s.nodes = graph_.num_nodes();
  s.edges = graph_.num_edges();
  s.average_degree = s.nodes > 0 ? static_cast<double>(2 * s.edges) / static_cast<double>(s.nodes) : 0.0;
  s.density = density(s.nodes, s.edges);
  s.components = components_.num_components();
  s.largest_component = components_.largest_size();
  s.component_sizes = components_.distinct_sizes();
  s.average_clustering = clustering_.average();
  if (frequency_.empty()) {
    s.pearson_degree_frequency = std::numeric_limits<double>::quiet_NaN();
  } else {
    const auto& degree = nodes_.degree();
    const std::vector<double> degree_as_double(degree.begin(), degree.end());
    s.pearson_degree_frequency = pearson_correlation(degree_as_double, frequency_);
  }
  summary_ = std::move(s);
  mark_finished();
}

const GraphSummary& GraphStatistics::summary() const {
  assure_finished("GraphStatistics");
  return summary_;
}

const ConnectedComponents& GraphStatistics::components() const {
  assure_finished("GraphStatistics");
  return components_;
}

const LocalClustering& GraphStatistics::clustering() const {
  assure_finished("GraphStatistics");
  return clustering_;
}

const NodeStatistics& GraphStatistics::nodes() const {
  assure_finished("GraphStatistics");
  return nodes_;
}

double pearson_correlation(std::span<const double> x, std::span<const double> y) {
  if (x.size() != y.size())
    throw InputError(str("pearson_correlation: series of ", x.size(), " and ", y.size(), " values"));
  const std::size_t n = x.size();
  if (n < 2) return std::numeric_limits<double>::quiet_NaN();
  double mean_x = 0.0, mean_y = 0.0;
  for (std::size_t i = 0; i < n; ++i) {
    mean_x += x[i];
    mean_y += y[i];
  }
  mean_x /= static_cast<double>(n);
  mean_y /= static_cast<double>(n);
  double sxy = 0.0, sxx = 0.0, syy = 0.0;
  for (std::size_t i = 0; i < n; ++i) {
    const double dx = x[i] - mean_x, dy = y[i] - mean_y;
    sxy += dx * dy;
    sxx += dx * dx;
    syy += dy * dy;
  }
  if (sxx == 0.0 || syy == 0.0) return std::numeric_limits<double>::quiet_NaN();
  return sxy / std::sqrt(sxx * syy);
}

double density(std::int64_t nodes, std::int64_t edges) {
  if (edges == 0 || nodes <= 1) return 0.0;
  // networkx: m / (n (n - 1)), then doubled (exact) for an undirected graph.
  return static_cast<double>(edges) / static_cast<double>(nodes * (nodes - 1)) * 2.0;
}

GraphSummary summarise_node_data(const CsrGraph& graph, const NodeData& nodes) {
  GraphSummary s;
  s.nodes = graph.num_nodes();
  s.edges = graph.num_edges();
  s.average_degree = s.nodes > 0 ? static_cast<double>(2 * s.edges) / static_cast<double>(s.nodes) : 0.0;
  s.density = density(s.nodes, s.edges);
  std::map<std::int64_t, std::int64_t> sizes;  // component id -> size
  for (const auto c : nodes.component) ++sizes[c];
  s.components = static_cast<std::int64_t>(sizes.size());
  for (const auto& [id, size] : sizes) {
    s.largest_component = std::max(s.largest_component, size);
    s.component_sizes.push_back(size);
  }
  std::sort(s.component_sizes.begin(), s.component_sizes.end());
  s.component_sizes.erase(std::unique(s.component_sizes.begin(), s.component_sizes.end()), s.component_sizes.end());
  // Sequential, in node order: the additions LocalClustering::average makes.
  double sum = 0.0;
  for (const double c : nodes.clustering) sum += c;
  s.average_clustering = s.nodes > 0 ? sum / static_cast<double>(s.nodes) : 0.0;
  if (nodes.frequency.empty()) {
    s.pearson_degree_frequency = std::numeric_limits<double>::quiet_NaN();
  } else {
    const std::vector<double> degree(nodes.degree.begin(), nodes.degree.end());
    s.pearson_degree_frequency = pearson_correlation(degree, nodes.frequency);
  }
  return s;
}

}  // namespace coact::graph
