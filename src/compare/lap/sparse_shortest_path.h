// Shortest augmenting paths restricted to a CandidateGraph (Dijkstra with a binary heap):
// cost proportional to the part of the graph a search reaches, not to n. Requires reduced
// costs >= 0 on the graph's entries (and on every entry of its dense rows); keeps that true.
// Internal to the compare module.
#pragma once

#include <cstdint>
#include <vector>

#include "lap/candidate_graph.h"
#include "lap/cost_rows.h"
#include "lap/lap_state.h"

namespace coact::compare::lap {

class SparseShortestPath {
 public:
  SparseShortestPath(const CostRows& cost, const CandidateGraph& graph);

  // Augments along a shortest path from free row `start` within the graph. False when no
  // free column is reachable in the graph: nothing is changed, and settled_rows() names the
  // rows the search reached (the caller widens them and tries again).
  bool augment(std::int32_t start, LapState& state);
  const std::vector<std::int32_t>& settled_rows() const { return settled_rows_; }
  // Dense rows scanned by all searches so far: each costs O(n log n) here, more than a step
  // of the dense search, so the caller switches to that when this grows large.
  std::int64_t dense_row_scans() const { return dense_row_scans_; }
  std::int64_t settled_columns() const { return settled_total_; }

 private:
  struct HeapEntry {
    double distance;
    std::int32_t matched;  // 0 for a free column: on equal distance it ends the search sooner
    std::int32_t column;
  };
  struct HeapOrder {
    bool operator()(const HeapEntry& a, const HeapEntry& b) const {  // "a after b" for a min-heap
      if (a.distance != b.distance) return a.distance > b.distance;
      if (a.matched != b.matched) return a.matched > b.matched;
      return a.column > b.column;
    }
  };
  // Per-column search data in one record (one cache line holds what a relaxation touches),
  // valid only where a stamp equals the current search's stamp, so starting a search costs
  // nothing proportional to n.
  struct ColumnRecord {
    double distance;
    std::uint32_t seen_stamp;
    std::uint32_t settled_stamp;
  };
  void relax(std::int32_t column, double through, std::int32_t row, const LapState& state);
  void new_search();

  CostRows cost_;
  const CandidateGraph& graph_;
  std::vector<ColumnRecord> columns_;
  std::vector<std::int32_t> predecessor_row_;  // separate: read only when a path is flipped
  std::uint32_t stamp_ = 0;
  std::int64_t dense_row_scans_ = 0;
  std::int64_t settled_total_ = 0;
  std::vector<HeapEntry> heap_;
  std::vector<std::int32_t> settled_rows_;
  std::vector<std::int32_t> settled_columns_;
};

}  // namespace coact::compare::lap
