#include "coact/graph/degree_histogram.h"

namespace coact::graph {

void DegreeHistogram::run() {
  counts_.clear();
  for (std::int64_t u = 0; u < graph_.num_nodes(); ++u) {
    const auto degree = static_cast<std::size_t>(graph_.degree(static_cast<NodeId>(u)));
    if (degree >= counts_.size()) counts_.resize(degree + 1, 0);
    ++counts_[degree];
  }
  mark_finished();
}

const std::vector<std::int64_t>& DegreeHistogram::counts() const {
  assure_finished("DegreeHistogram");
  return counts_;
}

std::int64_t DegreeHistogram::max_degree() const {
  assure_finished("DegreeHistogram");
  return static_cast<std::int64_t>(counts_.size()) - 1;
}

}  // namespace coact::graph
