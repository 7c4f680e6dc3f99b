#include "coact/graph/core_decomposition.h"

#include <algorithm>

namespace coact::graph {

void CoreDecomposition::run() {
  const std::int64_t n = graph_.num_nodes();
  // Nodes sorted by current degree in `order`, with bucket starts per degree: taking nodes in
  // order and decrementing the degree of their not-yet-taken neighbours (moving each to the
  // front of its bucket) leaves every node's degree at its core number when it is taken.
  std::vector<std::int64_t> degree(static_cast<std::size_t>(n));
  std::int64_t max_degree = 0;
  for (std::int64_t v = 0; v < n; ++v) {
    degree[static_cast<std::size_t>(v)] = graph_.degree(static_cast<NodeId>(v));
    max_degree = std::max(max_degree, degree[static_cast<std::size_t>(v)]);
  }
  std::vector<std::int64_t> bucket(static_cast<std::size_t>(max_degree) + 2, 0);
  for (const auto d : degree) ++bucket[static_cast<std::size_t>(d) + 1];
  for (std::size_t d = 1; d < bucket.size(); ++d) bucket[d] += bucket[d - 1];  // bucket[d]: first position of degree d
  std::vector<NodeId> order(static_cast<std::size_t>(n));
  std::vector<std::int64_t> position(static_cast<std::size_t>(n));
  {
    std::vector<std::int64_t> next(bucket.begin(), bucket.end() - 1);
    for (std::int64_t v = 0; v < n; ++v) {
      const std::int64_t p = next[static_cast<std::size_t>(degree[static_cast<std::size_t>(v)])]++;
      order[static_cast<std::size_t>(p)] = static_cast<NodeId>(v);
      position[static_cast<std::size_t>(v)] = p;
    }
  }
  for (std::int64_t i = 0; i < n; ++i) {
    const NodeId v = order[static_cast<std::size_t>(i)];
    const std::int64_t dv = degree[static_cast<std::size_t>(v)];
    for (const NodeId u : graph_.neighbors(v)) {
      std::int64_t& du = degree[static_cast<std::size_t>(u)];
      if (du <= dv) continue;
      // Swap u with the first node of its bucket, then shrink that bucket from the front.
      const std::int64_t pu = position[static_cast<std::size_t>(u)];
      const std::int64_t pw = bucket[static_cast<std::size_t>(du)];
      const NodeId w = order[static_cast<std::size_t>(pw)];
      if (u != w) {
        order[static_cast<std::size_t>(pu)] = w;
        position[static_cast<std::size_t>(w)] = pu;
        order[static_cast<std::size_t>(pw)] = u;
        position[static_cast<std::size_t>(u)] = pw;
      }
      ++bucket[static_cast<std::size_t>(du)];
      --du;
    }
  }
  core_ = std::move(degree);
  max_core_ = core_.empty() ? 0 : *std::max_element(core_.begin(), core_.end());
  mark_finished();
}

const std::vector<std::int64_t>& CoreDecomposition::core_number() const {
  assure_finished("CoreDecomposition");
  return core_;
}

std::int64_t CoreDecomposition::max_core() const {
  assure_finished("CoreDecomposition");
  return max_core_;
}

std::vector<std::int64_t> CoreDecomposition::core_sizes() const {
  assure_finished("CoreDecomposition");
  std::vector<std::int64_t> sizes(static_cast<std::size_t>(max_core_) + 1, 0);
  for (const auto c : core_) ++sizes[static_cast<std::size_t>(c)];
  for (std::int64_t k = max_core_ - 1; k >= 0; --k) sizes[static_cast<std::size_t>(k)] += sizes[static_cast<std::size_t>(k) + 1];
  return sizes;
}

}  // namespace coact::graph
