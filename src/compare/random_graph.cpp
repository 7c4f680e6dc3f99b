#include "coact/compare/random_graph.h"

#include <algorithm>
#include <unordered_set>

#include "coact/core/errors.h"
#include "coact/core/rng.h"

namespace coact::compare {
namespace {

// Tags the generator's stream, so G(n, m) draws never coincide with another use of a seed.
constexpr std::uint64_t kGnmStream = 0x474e4d;  // "GNM"

// Distinct unordered pairs drawn uniformly: an ordered pair (i, j), i != j, is uniform over
// the n(n−1) choices, so its unordered form is uniform over the n(n−1)/2 pairs; repeats are
// rejected. Returns keys i·n + j with i < j, in draw order.
std::vector<std::uint64_t> draw_distinct_pairs(std::int64_t nodes, std::int64_t count, std::uint64_t seed) {
  CounterRng rng(mix_seed(seed, kGnmStream), 0);
  const auto n = static_cast<std::uint64_t>(nodes);
  std::unordered_set<std::uint64_t> seen;
  seen.reserve(static_cast<std::size_t>(count) * 2);
  std::vector<std::uint64_t> keys;
  keys.reserve(static_cast<std::size_t>(count));
  while (static_cast<std::int64_t>(keys.size()) < count) {
    const std::uint64_t a = rng.below(n), b = rng.below(n);
    if (a == b) continue;
    const std::uint64_t key = std::min(a, b) * n + std::max(a, b);
    if (seen.insert(key).second) keys.push_back(key);
  }
  return keys;
}

}  // namespace

EdgeListGraph erdos_renyi_gnm(std::int64_t nodes, std::int64_t edges, std::uint64_t seed) {
  COACT_REQUIRE(nodes >= 0 && edges >= 0, InputError, "erdos_renyi_gnm: n = ", nodes, ", m = ", edges,
                " must not be negative");
  COACT_REQUIRE(nodes < (std::int64_t{1} << 31), InputError, "erdos_renyi_gnm: n = ", nodes, " is too large");
  const std::int64_t possible = nodes * (nodes - 1) / 2;
  COACT_REQUIRE(edges <= possible, InputError, "erdos_renyi_gnm: m = ", edges, " edges do not fit among ", nodes,
                " nodes (at most ", possible, ")");
  EdgeListGraph graph;
  graph.nodes = nodes;
  graph.degrees.assign(static_cast<std::size_t>(nodes), 0);

  // Rejection is fast while at most half the pairs are taken; a denser graph is drawn as
  // the complement of a sparse one (its missing pairs).
  const bool complement = edges > possible / 2;
  std::vector<std::uint64_t> keys = draw_distinct_pairs(nodes, complement ? possible - edges : edges, seed);
  std::sort(keys.begin(), keys.end());
  const auto n = static_cast<std::uint64_t>(nodes);
  auto add = [&](std::uint64_t i, std::uint64_t j) {
    graph.edges.emplace_back(static_cast<std::int64_t>(i), static_cast<std::int64_t>(j));
    ++graph.degrees[static_cast<std::size_t>(i)];
    ++graph.degrees[static_cast<std::size_t>(j)];
  };
  graph.edges.reserve(static_cast<std::size_t>(edges));
  if (!complement) {
    for (std::uint64_t key : keys) add(key / n, key % n);
  } else {
    std::size_t next_missing = 0;
    for (std::uint64_t i = 0; i < n; ++i) {
      for (std::uint64_t j = i + 1; j < n; ++j) {
        if (next_missing < keys.size() && keys[next_missing] == i * n + j) {
          ++next_missing;
          continue;
        }
        add(i, j);
      }
    }
  }
  return graph;
}

}  // namespace coact::compare
