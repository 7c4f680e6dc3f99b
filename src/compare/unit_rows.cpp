#include "unit_rows.h"

#include <algorithm>
#include <cmath>

namespace coact::compare {

std::int64_t normalise_rows(MatrixView<const float> m, float* out) {
  std::int64_t first_bad_row = m.rows;
#pragma omp parallel for schedule(static) reduction(min : first_bad_row) if (m.rows * m.cols >= (1 << 18))
  for (std::int64_t i = 0; i < m.rows; ++i) {
    const float* row = m.row(i);
    double squares = 0;
    for (std::int64_t k = 0; k < m.cols; ++k) squares += static_cast<double>(row[k]) * row[k];
    if (!std::isfinite(squares)) first_bad_row = std::min(first_bad_row, i);
    const double norm = std::sqrt(squares);
    const float scale = norm > 0 ? static_cast<float>(1.0 / norm) : 0.0f;
    float* target = out + i * m.cols;
    for (std::int64_t k = 0; k < m.cols; ++k) target[k] = row[k] * scale;
  }
  return first_bad_row;
}

void one_minus_dot_products(backend::Backend& backend, const float* a, const float* b, std::int64_t n1,
                            std::int64_t n2, std::int64_t d, float* cost, std::int64_t stride,
                            backend::Precision precision) {
  if (stride == n2) {
    backend.fill(n1 * n2, 1.0f, cost);
  } else {
    for (std::int64_t i = 0; i < n1; ++i) backend.fill(n2, 1.0f, cost + i * stride);
  }
  backend.gemm_mixed(precision, backend::Transpose::No, backend::Transpose::Yes, n1, n2, d, -1.0f, a, d, b, d, 1.0f, cost,
                     stride);
}

}  // namespace coact::compare
