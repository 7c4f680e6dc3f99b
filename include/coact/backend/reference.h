// Plain, obviously-correct CPU implementations of every Backend op: the reference the op tests
// compare each backend against (STYLE.md, ggml's test-backend-ops). Slow on purpose.
#pragma once

#include <cstdint>

#include "coact/backend/backend.h"

namespace coact::backend::reference {

void gemm(Transpose transpose_a, Transpose transpose_b, std::int64_t m, std::int64_t n, std::int64_t k, float alpha,
          const float* a, std::int64_t lda, const float* b, std::int64_t ldb, float beta, float* c, std::int64_t ldc);
void axpy(std::int64_t n, float alpha, const float* x, float* y);
void fill(std::int64_t n, float value, float* x);
void bias_relu(std::int64_t rows, std::int64_t cols, const float* bias, const float* in, float* out);

}  // namespace coact::backend::reference
