#include "coact/compare/cosine_cost.h"

#include <cmath>
#include <cstdint>
#include <span>

#include "coact/backend/buffer.h"
#include "coact/core/errors.h"
#include "coact/core/memory.h"

namespace coact::compare {
namespace {

// Writes the rows of `m` scaled to unit norm (norm in double; zero rows stay zero) into
// `out` (rows × cols, contiguous, host memory).
void normalise_rows(MatrixView<const float> m, const char* name, float* out) {
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
  COACT_REQUIRE(first_bad_row == m.rows, InputError, "cosine_cost: row ", first_bad_row, " of ", name,
                " has a NaN/Inf entry (or overflows)");
}

// A backend buffer holding the normalised rows of `m`.
backend::Buffer<float> normalised_copy(backend::Backend& backend, MatrixView<const float> m, const char* name) {
  backend::Buffer<float> buffer(backend, static_cast<std::size_t>(m.rows * m.cols));
  if (backend.kind() == backend::DeviceKind::Cpu) {
    normalise_rows(m, name, buffer.data());  // cpu buffers are host memory: no staging copy
  } else {
    std::vector<float> host(static_cast<std::size_t>(m.rows * m.cols));
    normalise_rows(m, name, host.data());
    buffer.copy_from_host(host);
  }
  return buffer;
}

// cost ← 1, then cost ← 1 − A·Bᵀ by the GEMM's beta = 1.
void fill_ones_then_gemm(backend::Backend& backend, backend::Precision precision, const float* a, const float* b,
                         std::int64_t n1, std::int64_t n2, std::int64_t d, float* cost, std::int64_t stride) {
  if (stride == n2) {
    backend.fill(n1 * n2, 1.0f, cost);
  } else {
    for (std::int64_t i = 0; i < n1; ++i) backend.fill(n2, 1.0f, cost + i * stride);
  }
  backend.gemm_mixed(precision, backend::Transpose::No, backend::Transpose::Yes, n1, n2, d, -1.0f, a, d, b, d, 1.0f, cost,
                     stride);
}

}  // namespace

void cosine_cost(backend::Backend& backend, MatrixView<const float> a, MatrixView<const float> b,
                 MatrixView<float> cost, backend::Precision precision) {
  COACT_REQUIRE(a.cols == b.cols, InputError, "cosine_cost: rows of width ", a.cols, " and ", b.cols,
                " cannot be compared (the two SAEs have different d)");
  COACT_REQUIRE(cost.rows == a.rows && cost.cols == b.rows && cost.stride >= cost.cols, InputError,
                "cosine_cost: output is ", cost.rows, "x", cost.cols, ", expected ", a.rows, "x", b.rows);
  backend.require_precision(precision);
  if (a.rows == 0 || b.rows == 0) return;
  const backend::Buffer<float> a_unit = normalised_copy(backend, a, "the first matrix");
  const backend::Buffer<float> b_unit = normalised_copy(backend, b, "the second matrix");
  if (backend.kind() == backend::DeviceKind::Cpu) {
    fill_ones_then_gemm(backend, precision, a_unit.data(), b_unit.data(), a.rows, b.rows, a.cols, cost.data,
                        cost.stride);
    return;
  }
  backend::Buffer<float> device_cost(backend, static_cast<std::size_t>(a.rows * b.rows));
  fill_ones_then_gemm(backend, precision, a_unit.data(), b_unit.data(), a.rows, b.rows, a.cols, device_cost.data(),
                      b.rows);
  backend.synchronize();
  if (cost.stride == cost.cols) {
    device_cost.copy_to_host(std::span<float>(cost.data, static_cast<std::size_t>(cost.rows * cost.cols)));
  } else {
    for (std::int64_t i = 0; i < cost.rows; ++i) {
      backend.copy_bytes(cost.row(i), device_cost.data() + i * cost.cols,
                         static_cast<std::size_t>(cost.cols) * sizeof(float), backend::CopyKind::DeviceToHost);
    }
  }
}

std::vector<float> cosine_cost(backend::Backend& backend, MatrixView<const float> a, MatrixView<const float> b,
                               backend::Precision precision) {
  std::vector<float> cost =
      allocate_vector<float>({"the decoder cosine cost matrix (n1 x n2)"}, static_cast<std::size_t>(a.rows * b.rows));
  cosine_cost(backend, a, b, MatrixView<float>(cost.data(), a.rows, b.rows), precision);
  return cost;
}

}  // namespace coact::compare
