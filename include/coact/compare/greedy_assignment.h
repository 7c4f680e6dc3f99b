// Greedy matching: an APPROXIMATION, not a minimum-cost assignment. Repeatedly takes the
// globally cheapest remaining (row, column) pair whose row and column are both still free
// (ties: lower row, then lower column), until every row is matched. Offered as a named option
// for quick looks and for comparison with the exact solve_assignment (assignment.h); its
// total cost can be far above the optimum when rows compete for the same columns.
#pragma once

#include "coact/compare/assignment.h"
#include "coact/core/tensor.h"

namespace coact::compare {

// n1 <= n2 as for solve_assignment; the result has no potentials (row_potential and
// column_potential are empty), so verify_optimality reports it as unproven.
Assignment greedy_assignment(MatrixView<const float> cost);

}  // namespace coact::compare
