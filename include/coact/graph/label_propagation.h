// Label propagation communities (the seed study's choice), in the semi-synchronous form of
// Cordasco & Gargano (2010) that networkx.algorithms.community.label_propagation_communities
// implements, so the partition equals networkx's exactly:
//   1. colour the graph greedily, largest degree first (ties: lower id first), each node taking
//      the smallest colour none of its coloured neighbours has (networkx.greedy_color's
//      "largest_first");
//   2. every node starts with its own id as label;
//   3. colour class by colour class in increasing colour order, every node of the class takes
//      the label most frequent among its neighbours; on a tie it keeps its label when that is
//      among the most frequent, else takes the largest of them;
//   4. repeat 3 until every node with neighbours holds one of its most frequent labels.
// Nodes of one colour are never adjacent, so their updates are independent: the order inside a
// class does not matter (which makes the result deterministic without any seed) and a class is
// updated in parallel. Isolated nodes keep their own label.
#pragma once

#include <cstdint>
#include <vector>

#include "coact/graph/algorithm.h"
#include "coact/graph/csr_graph.h"

namespace coact::graph {

class LabelPropagation final : public Algorithm {
 public:
  // max_rounds bounds step 3's sweeps (the semi-synchronous rule converges; the bound guards
  // against a bug rather than a real graph); UsageError when below 1.
  explicit LabelPropagation(const CsrGraph& graph, std::int64_t max_rounds = 10000);
  void run() override;

  // Community id of every node: 0, 1, ... in order of each community's smallest node.
  const std::vector<std::int64_t>& community_of() const;
  std::int64_t num_communities() const;
  // Sweeps over all colour classes until stable, and colours used.
  std::int64_t rounds() const;
  std::int64_t colors() const;

 private:
  const CsrGraph& graph_;
  std::int64_t max_rounds_;
  std::vector<std::int64_t> community_;
  std::int64_t communities_ = 0, rounds_ = 0, colors_ = 0;
};

// Greedy colouring, largest degree first (networkx.greedy_color(G, "largest_first")).
std::vector<std::int32_t> greedy_coloring_largest_first(const CsrGraph& graph);

// Relabels arbitrary labels to 0, 1, ... in order of first appearance over nodes 0..n-1 (i.e.
// each community's smallest node); returns the number of communities.
std::int64_t renumber_by_first_node(std::vector<std::int64_t>& labels);

}  // namespace coact::graph
