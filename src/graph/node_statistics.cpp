#include "coact/graph/node_statistics.h"

namespace coact::graph {

void NodeStatistics::run() {
  const std::int64_t n = graph_.num_nodes();
  degree_.resize(static_cast<std::size_t>(n));
  strength_.resize(static_cast<std::size_t>(n));
  mean_neighbor_degree_.resize(static_cast<std::size_t>(n));
#pragma omp parallel for schedule(static)
  for (std::int64_t u = 0; u < n; ++u) degree_[u] = graph_.degree(static_cast<NodeId>(u));
#pragma omp parallel for schedule(dynamic, 256)
  for (std::int64_t u = 0; u < n; ++u) {
    const auto node = static_cast<NodeId>(u);
    const std::int64_t degree = degree_[u];
    if (degree == 0) {
      strength_[u] = 0.0;
      mean_neighbor_degree_[u] = 0.0;
      continue;
    }
    // Weights summed in row (ascending neighbour) order; neighbour degrees summed exactly as
    // integers, so the mean is one rounding like networkx's int / int.
    double weight_sum = 0.0;
    for (const double w : graph_.edge_weights(node)) weight_sum += w;
    std::int64_t neighbor_degrees = 0;
    for (const NodeId v : graph_.neighbors(node)) neighbor_degrees += degree_[v];
    strength_[u] = weight_sum / static_cast<double>(degree);
    mean_neighbor_degree_[u] = static_cast<double>(neighbor_degrees) / static_cast<double>(degree);
  }
  mark_finished();
}

const std::vector<std::int64_t>& NodeStatistics::degree() const {
  assure_finished("NodeStatistics");
  return degree_;
}

const std::vector<double>& NodeStatistics::strength() const {
  assure_finished("NodeStatistics");
  return strength_;
}

const std::vector<double>& NodeStatistics::mean_neighbor_degree() const {
  assure_finished("NodeStatistics");
  return mean_neighbor_degree_;
}

}  // namespace coact::graph
