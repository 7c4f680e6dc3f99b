// The random baseline of the degree-distribution comparison: an Erdős–Rényi G(n, m) graph
// (exactly m distinct undirected edges among n nodes, no self loops, every such graph equally
// likely), seeded with CounterRng so the same (n, m, seed) gives the same graph on any
// machine and any number of threads.
#pragma once

#include <cstdint>
#include <utility>
#include <vector>

namespace coact::compare {

struct EdgeListGraph {
  std::int64_t nodes = 0;
  std::vector<std::pair<std::int64_t, std::int64_t>> edges;  // (i, j) with i < j, sorted
  std::vector<std::int64_t> degrees;                         // per node
};

// InputError when n < 0, m < 0 or m > n(n−1)/2.
EdgeListGraph erdos_renyi_gnm(std::int64_t nodes, std::int64_t edges, std::uint64_t seed);

}  // namespace coact::compare
