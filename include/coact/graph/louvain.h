// Louvain modularity communities (Blondel et al. 2008), the algorithm of
// networkx.community.louvain_communities with the same parameters (resolution γ, threshold,
// seed), written for speed:
//   level: every node starts alone; nodes are visited in a seeded random order, each moving to
//     the neighbouring community with the largest modularity gain
//       ΔQ(u → c) ∝ w(u, c) − γ · tot(c) · k(u) / 2m      (tot(c) without u)
//     if that beats staying; a node whose neighbourhood changed is queued again (the
//     "pruning" of Ozaki et al. 2016: only nodes next to a move are revisited, instead of
//     sweeping all nodes until a sweep moves none — same fixed point, a fraction of the work);
//   then communities become the nodes of a smaller graph (internal weight as self loops) and
//   the next level runs on it, until a level moves nothing or raises modularity by no more than
//   `threshold` (networkx's stopping rule);
//   then refinement rounds restart the levels from the partition found, and the best of
//   `trials` seeded orders is kept (networkx runs one order without refinement, so its result
//   is one draw of what the first trial starts from).
// Deterministic for a given seed (the moving phase is sequential; aggregation and modularity
// run in parallel). Edge values follow an EdgeWeighting; they must be non-negative.
#pragma once

#include <cstdint>
#include <vector>

#include "coact/graph/algorithm.h"
#include "coact/graph/csr_graph.h"
#include "coact/graph/edge_weighting.h"

namespace coact::graph {

struct LouvainOptions {
  double resolution = 1.0;      // γ (networkx's default)
  double threshold = 1e-7;      // minimum modularity gain of a level (networkx's default)
  std::uint64_t seed = 0;       // node order of every level
  EdgeWeighting weighting = EdgeWeighting::Weight;
  std::int64_t max_levels = 100;
  // Refinement rounds: the levels run again starting from the partition found, until a round
  // moves no node (each round can only raise modularity).
  std::int64_t refinement_rounds = 4;
  // Independent orders (the first from `seed`, the others from seeds derived from it); the
  // partition of highest modularity is kept. 0 = by size: as many as fit a budget of about
  // 4M adjacency entries plus nodes, at least 2 and at most 32 (32 on small graphs, where one
  // order is a noisy draw; 2 at seed scale). trials = 1 with refinement_rounds = 0 is
  // networkx's algorithm.
  std::int64_t trials = 0;
};

class Louvain final : public Algorithm {
 public:
  // UsageError for a resolution <= 0, a negative threshold or max_levels < 1; InputError for a
  // negative edge weight.
  Louvain(const CsrGraph& graph, const LouvainOptions& options = {});
  void run() override;

  // Community of every node: 0, 1, ... in order of each community's smallest node.
  const std::vector<std::int64_t>& community_of() const;
  std::int64_t num_communities() const;
  // Modularity of the result on the input graph (modularity() of modularity.h).
  double modularity() const;
  // Levels (with refinement rounds) of the kept trial, and node moves made in all trials.
  std::int64_t levels() const;
  std::int64_t moves() const;
  // Trials run (options.trials, or the number chosen by size).
  std::int64_t trials() const;

 private:
  const CsrGraph& graph_;
  LouvainOptions options_;
  std::vector<std::int64_t> community_;
  std::int64_t communities_ = 0, levels_ = 0, moves_ = 0, trials_ = 0;
  double modularity_ = 0.0;
};

}  // namespace coact::graph
