// The root's side of the blocked exact matching: the restricted problem (the candidate entries
// every rank found), its duals and matching, solved by the SparsePricing machinery
// (lap/augmenting_row_reduction.h, lap/sparse_shortest_path.h) with no access to the dense
// cost. A rectangular problem is squared by virtual rows of one constant cost, which the root
// prices exactly itself. Internal to the compare module.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "blocked/tile_scans.h"
#include "coact/compare/assignment.h"
#include "lap/candidate_graph.h"
#include "lap/lap_state.h"
#include "lap/match_progress.h"
#include "lap/sparse_shortest_path.h"

namespace coact::compare::blocked {

class RestrictedProblem {
 public:
  // real_rows <= columns; rows real_rows .. columns − 1 are virtual, each entry `virtual_cost`.
  RestrictedProblem(std::int64_t real_rows, std::int64_t columns, float virtual_cost, double tolerance,
                    const std::string& label, std::int64_t progress_min_rows);
  RestrictedProblem(const RestrictedProblem&) = delete;
  RestrictedProblem& operator=(const RestrictedProblem&) = delete;

  std::int64_t real_rows() const { return real_rows_; }
  std::int64_t columns() const { return columns_; }
  // An entry of a real row (kept once per column).
  void add(std::int32_t row, std::int32_t column, float cost) { graph_.add(row, column, cost); }
  // The start: v = 0, u = the row minima; a real row takes its cheapest column when still
  // free (rows in order), and the real rows left are matched by shortest paths while every
  // virtual row is still free, so that free columns abound and keep v = 0. Then each virtual
  // row takes one of the columns left (tight at u = L), and holds `virtual_entries` − 1 more
  // spread over all columns and its (t, t). Every entry is feasible; the floor of a real
  // row's unlisted entries is its largest listed cost, as v only falls from 0.
  void start(const std::vector<float>& row_minimum, const std::vector<std::int32_t>& cheapest_column,
             int virtual_entries);

  // Matches every free row inside the restricted problem (sparse shortest paths; the diagonal
  // entries every row holds guarantee a free column is reachable).
  void solve();

  // A pricing report for a real row: its entries of reduced cost below u_i − tolerance have
  // been added; `minimum` is the smallest of them. Lowers u_i to it and frees the row when its
  // matched entry stops being tight.
  void reprice(std::int32_t row, double minimum);
  // Virtual rows whose u exceeds their minimum reduced cost L − max v by more than the
  // tolerance (computed from u and v alone).
  std::int64_t virtual_violations() const;
  // Prices those rows: each gets `k` columns of the largest v (different ones per row, as every
  // virtual row is alike), u lowered to its minimum, the row freed if no longer tight.
  void price_virtual_rows(int k);

  const lap::LapState& state() const { return state_; }
  // min over the real rows' entries held of c_ij − u_i − v_j.
  double minimum_real_reduced_cost() const;
  // The cost of an entry the restricted problem holds (InputError-free: internal use).
  float entry_cost(std::int32_t row, std::int32_t column) const;
  float virtual_cost() const { return virtual_cost_; }
  std::int64_t candidate_entries() const { return graph_.edge_count(); }
  std::int64_t augmentations() const { return augmentations_; }
  std::int64_t bytes() const;
  void finish_progress();

 private:
  void free_row(std::int32_t row);

  std::int64_t real_rows_, columns_;
  float virtual_cost_;
  double tolerance_;
  std::string label_;
  lap::CandidateGraph graph_;
  lap::LapState state_;
  std::unique_ptr<lap::SparseShortestPath> search_;
  std::vector<std::int32_t> free_rows_;
  std::int64_t augmentations_ = 0;
  std::int64_t matched_ = 0;
  lap::MatchProgress progress_;
};

}  // namespace coact::compare::blocked
