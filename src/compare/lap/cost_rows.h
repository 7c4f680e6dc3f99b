// The cost matrix as the solver's internals see it: the caller's rows, optionally followed by
// copies of one extra row. A rectangular problem (n1 < n2) becomes square by adding n2 − n1
// identical rows of a constant: any optimal matching of the square problem restricted to
// the real rows is optimal for the rectangular one, and its potentials certify it (the
// columns the extra rows take end with the largest v). Nothing is copied. Same members as
// MatrixView (rows, cols, row(i), (i, j)), so code reads alike for both. Internal.
#pragma once

#include <cstdint>

#include "coact/core/tensor.h"

namespace coact::compare::lap {

struct CostRows {
  // Implicit on purpose, like MatrixView<T> → MatrixView<const T>: a plain matrix is the
  // common case.
  CostRows(MatrixView<const float> real) : matrix(real), rows(real.rows), cols(real.cols) {}  // NOLINT
  // `extra_rows` more rows, each equal to `extra_row` (cols entries, kept alive by the caller).
  CostRows(MatrixView<const float> real, std::int64_t extra_rows, const float* extra)
      : matrix(real), extra_row(extra), rows(real.rows + extra_rows), cols(real.cols) {}

  const float* row(std::int64_t i) const { return i < matrix.rows ? matrix.row(i) : extra_row; }
  float operator()(std::int64_t i, std::int64_t j) const { return row(i)[j]; }

  MatrixView<const float> matrix;
  const float* extra_row = nullptr;
  std::int64_t rows = 0;
  std::int64_t cols = 0;
};

}  // namespace coact::compare::lap
