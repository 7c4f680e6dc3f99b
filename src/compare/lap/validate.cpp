#include "lap/validate.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>

#include "coact/core/errors.h"
#include "lap/parallel.h"

namespace coact::compare::lap {

double check_cost_matrix(MatrixView<const float> cost, const char* who) {
  COACT_REQUIRE(cost.rows >= 0 && cost.cols >= 0 && cost.stride >= cost.cols, InputError, who,
                ": bad cost matrix shape ", cost.rows, "x", cost.cols, " (stride ", cost.stride, ")");
  COACT_REQUIRE(cost.rows <= cost.cols, InputError, who, ": cost matrix has more rows (", cost.rows,
                ") than columns (", cost.cols, "); every row needs its own column, so transpose it");
  COACT_REQUIRE(cost.cols <= std::numeric_limits<std::int32_t>::max(), InputError, who, ": ", cost.cols,
                " columns exceed the 32-bit index range");
  const std::int64_t rows = cost.rows;
  std::int64_t first_bad_row = rows;
  float largest = 0;
#pragma omp parallel for schedule(static) reduction(max : largest) reduction(min : first_bad_row) \
    if (lap::worth_a_team(rows * cost.cols))
  for (std::int64_t i = 0; i < rows; ++i) {
    const float* costs = cost.row(i);
    float row_largest = 0;
    int not_finite = 0;
    // Branch-free so it vectorises: NaN fails every comparison, ±Inf exceeds the largest float.
#pragma omp simd reduction(max : row_largest) reduction(| : not_finite)
    for (std::int64_t j = 0; j < cost.cols; ++j) {
      const float magnitude = std::fabs(costs[j]);
      not_finite |= !(magnitude <= std::numeric_limits<float>::max());
      row_largest = std::max(row_largest, magnitude);
    }
    largest = std::max(largest, row_largest);
    if (not_finite) first_bad_row = std::min(first_bad_row, i);
  }
  if (first_bad_row < rows) {
    const float* costs = cost.row(first_bad_row);
    std::int64_t column = 0;
    while (std::isfinite(costs[column])) ++column;
    throw InputError(str(who, ": cost[", first_bad_row, ", ", column, "] is ", costs[column],
                         "; the assignment needs finite costs"));
  }
  return largest;
}

}  // namespace coact::compare::lap
