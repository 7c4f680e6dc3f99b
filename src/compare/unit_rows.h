// The arithmetic both cost paths share (the dense cosine_cost and the blocked matcher's
// tiles), so that a cost entry is the same float whichever path computed it. Internal to the
// compare module.
#pragma once

#include <cstdint>

#include "coact/backend/backend.h"
#include "coact/core/tensor.h"

namespace coact::compare {

// Writes the rows of `m` scaled to unit norm (norm in double; zero rows stay zero) into `out`
// (rows × cols, contiguous, host memory). Returns the first row holding a NaN/Inf entry (or
// whose squared norm overflows), or m.rows when every row is finite.
std::int64_t normalise_rows(MatrixView<const float> m, float* out);

// cost[i, j] = 1 − ⟨a_i, b_j⟩ for unit rows a (n1×d) and b (n2×d), all backend memory: cost
// is filled with 1, then one GEMM with alpha = −1 and beta = 1 subtracts the dot products
// (bf16/tf32 operands with fp32 sums when `precision` says so).
void one_minus_dot_products(backend::Backend& backend, const float* a, const float* b, std::int64_t n1,
                            std::int64_t n2, std::int64_t d, float* cost, std::int64_t stride,
                            backend::Precision precision = backend::Precision::Fp32);

}  // namespace coact::compare
