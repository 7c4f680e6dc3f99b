// Pricing for the SparsePricing method: a parallel pass over the rows of the dense matrix
// that may have become infeasible, which finds the rows with an entry of negative reduced
// cost, hands those entries to the restricted problem, and repairs the duals so that every
// entry is feasible again. Internal to the compare module.
#pragma once

#include <cstdint>
#include <vector>

#include "lap/candidate_graph.h"
#include "lap/cost_rows.h"
#include "lap/lap_state.h"

namespace coact::compare::lap {

struct PricingOutcome {
  std::int64_t scanned_rows = 0;
  std::int64_t violating_rows = 0;
  std::vector<std::int32_t> freed_rows;  // rows unmatched by the repair, in increasing order
};

// `row_floor[i]` is what pricing knows about row i without reading it again: a lower bound
// on min_j (c_ij − v_j). Every v only ever decreases (shortest-path and row-reduction updates
// lower it; nothing raises it), so a floor stays valid as the solver goes on, and a row whose
// u_i is still <= its floor (+ tolerance) cannot have a negative reduced cost. With v_j = the
// column minima at the start, 0 is a floor for every row.
//
// For every row that is not dense and whose u_i exceeds its floor by more than `tolerance`:
// m_i = min_j (c_ij − v_j) becomes its floor, and where m_i < u_i − tolerance pricing
// adds up to `new_edges_per_row` of the row's most negative entries to the graph, sets
// u_i = m_i (every entry of the row is then feasible), and unmatches the row (its matched
// entry is no longer tight). Afterwards every entry of the matrix has reduced cost
// >= −tolerance, so shortest paths on the dense matrix are valid from this state.
PricingOutcome price_and_repair(const CostRows& cost, CandidateGraph& graph, LapState& state,
                                std::vector<double>& row_floor, double tolerance, int new_edges_per_row);

// Gives rows more entries after a sparse search from them could not reach a free column:
// each row's candidate count doubles (its cheapest entries by c_ij − v_j not yet present),
// and a row that would hold more than a quarter of its entries is marked dense instead.
// u_i is lowered to min_j (c_ij − v_j) where needed, so every entry of a widened row is
// feasible; rows whose matched entry stops being tight are unmatched and appended to
// `freed_rows`.
void widen_rows(const CostRows& cost, const std::vector<std::int32_t>& rows, CandidateGraph& graph,
                LapState& state, std::vector<double>& row_floor, double tolerance,
                std::vector<std::int32_t>& freed_rows);

// min_j (c_ij − v_j) over the whole row, in double (OpenMP SIMD).
double row_reduced_minimum(const float* costs, const double* column_potential, std::int64_t columns);

}  // namespace coact::compare::lap
