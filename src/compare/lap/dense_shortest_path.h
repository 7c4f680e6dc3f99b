// Shortest augmenting paths on the dense cost matrix (Dijkstra over columns, O(n2) per
// settled column). Requires reduced costs >= 0 on every entry of the rows it reaches; keeps
// that true. Internal to the compare module.
#pragma once

#include <cstdint>
#include <vector>

#include "lap/cost_rows.h"
#include "lap/lap_state.h"

namespace coact::compare::lap {

class DenseShortestPath {
 public:
  // Each step of a search scans the unsettled columns; with threads > 1 and at least
  // `min_parallel_columns` columns, the scan is split over an OpenMP team that lives for the
  // whole search (one barrier per settled column). The default threshold is high because a
  // barrier per step costs more than it saves on a small or shared machine.
  static constexpr std::int64_t kDefaultMinParallelColumns = std::int64_t{1} << 15;
  DenseShortestPath(const CostRows& cost, int threads,
                    std::int64_t min_parallel_columns = kDefaultMinParallelColumns);

  // Augments the matching along a shortest path from free row `start` to a free column and
  // updates the potentials. Returns the number of columns settled.
  std::int64_t augment(std::int32_t start, LapState& state);

 private:
  // The best remaining column of one slice of `remaining_` after relaxing row `row`.
  struct Candidate {
    double distance;
    std::int64_t position;  // index into remaining_
    bool free;
  };
  Candidate scan_slice(std::int32_t row, double row_distance, const LapState& state, std::int64_t begin,
                       std::int64_t end);
  static bool better(const Candidate& a, const Candidate& b);

  CostRows cost_;
  int threads_;
  std::int64_t min_parallel_columns_;
  std::vector<double> distance_;             // tentative distance of each column
  std::vector<std::int32_t> predecessor_row_;
  std::vector<std::int32_t> remaining_;      // columns not yet settled (order is deterministic)
  std::vector<std::int32_t> settled_rows_;
  std::vector<std::int32_t> settled_columns_;
  std::vector<Candidate> partial_;           // one per thread
};

// Row reduction start for the dense method: u_i = min_j c_ij, v = 0, and each row takes its
// cheapest column when nobody has it yet (rows in order; ties to the lowest column). Every
// reduced cost is then >= 0 and the free columns keep v = 0, as the rectangular case needs.
// Returns the number of rows matched.
std::int64_t row_reduction_start(const CostRows& cost, LapState& state);

}  // namespace coact::compare::lap
