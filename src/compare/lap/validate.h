// Input checks shared by the assignment solvers. Internal to the compare module.
#pragma once

#include "coact/core/tensor.h"

namespace coact::compare::lap {

// Throws InputError unless 0 <= rows <= cols and every entry is finite; names `who` and the
// first bad entry. Returns max |c_ij| (0 for an empty matrix), which sets the tolerance scale.
double check_cost_matrix(MatrixView<const float> cost, const char* who);

}  // namespace coact::compare::lap
