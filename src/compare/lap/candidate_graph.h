// The restricted problem of the SparsePricing method: for each row, the entries the sparse
// search may use. A row marked dense uses its whole row of the cost matrix instead (rows
// whose restricted edges could not reach a free column). Internal to the compare module.
#pragma once

#include <cstdint>
#include <vector>

#include "lap/cost_rows.h"

namespace coact::compare::lap {

struct CandidateEdge {
  std::int32_t column;
  float cost;
};

struct CandidateGraph {
  std::vector<std::vector<CandidateEdge>> edges;  // per row, unique columns
  std::vector<std::uint8_t> dense;                // per row: use the full row of the matrix

  std::int64_t edge_count() const;
  std::int64_t dense_count() const;
  // Adds (row, column) unless present.
  void add(std::int32_t row, std::int32_t column, float cost);
};

// Column minima found while building the graph: they are the start potentials v_j.
struct ColumnMinima {
  std::vector<double> value;
  std::vector<std::int32_t> row;  // lowest row attaining the minimum
};

// One parallel pass over the matrix: each row's `row_candidates` cheapest entries (ties
// resolved by a per-row rotation of the scan start, so a constant matrix still yields a
// perfect matching among the candidates), each column's `column_candidates` cheapest
// entries, and each column's minimum.
CandidateGraph select_candidates(const CostRows& cost, int row_candidates, int column_candidates,
                                 ColumnMinima& minima);

}  // namespace coact::compare::lap
