#include "coact/compare/cosine_cost.h"

#include <cstdint>
#include <span>

#include "coact/backend/buffer.h"
#include "coact/core/errors.h"
#include "coact/core/memory.h"
#include "unit_rows.h"

namespace coact::compare {
namespace {

// Writes the rows of `m` scaled to unit norm into `out`; InputError naming the matrix on NaN/Inf.
void normalise_checked(MatrixView<const float> m, const char* name, float* out) {
  const std::int64_t first_bad_row = normalise_rows(m, out);
  COACT_REQUIRE(first_bad_row == m.rows, InputError, "cosine_cost: row ", first_bad_row, " of ", name,
                " has a NaN/Inf entry (or overflows)");
}

// A backend buffer holding the normalised rows of `m`.
backend::Buffer<float> normalised_copy(backend::Backend& backend, MatrixView<const float> m, const char* name) {
  backend::Buffer<float> buffer(backend, static_cast<std::size_t>(m.rows * m.cols));
  if (backend.kind() == backend::DeviceKind::Cpu) {
    normalise_checked(m, name, buffer.data());  // cpu buffers are host memory: no staging copy
  } else {
    std::vector<float> host(static_cast<std::size_t>(m.rows * m.cols));
    normalise_checked(m, name, host.data());
    buffer.copy_from_host(host);
  }
  return buffer;
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
    one_minus_dot_products(backend, a_unit.data(), b_unit.data(), a.rows, b.rows, a.cols, cost.data, cost.stride, precision);
    return;
  }
  backend::Buffer<float> device_cost(backend, static_cast<std::size_t>(a.rows * b.rows));
  one_minus_dot_products(backend, a_unit.data(), b_unit.data(), a.rows, b.rows, a.cols, device_cost.data(), b.rows,
                         precision);
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
