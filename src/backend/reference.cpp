#include "coact/backend/reference.h"

#include <vector>

#include "coact/backend/ops/bf16.h"

namespace coact::backend::reference {

void gemm(Transpose transpose_a, Transpose transpose_b, std::int64_t m, std::int64_t n, std::int64_t k, float alpha,
          const float* a, std::int64_t lda, const float* b, std::int64_t ldb, float beta, float* c, std::int64_t ldc) {
  for (std::int64_t i = 0; i < m; ++i) {
    for (std::int64_t j = 0; j < n; ++j) {
      double sum = 0.0;  // double so the reference is more exact than what it checks
      for (std::int64_t p = 0; p < k; ++p) {
        const float av = transpose_a == Transpose::No ? a[i * lda + p] : a[p * lda + i];
        const float bv = transpose_b == Transpose::No ? b[p * ldb + j] : b[j * ldb + p];
        sum += static_cast<double>(av) * bv;
      }
      const double prior = beta == 0.0f ? 0.0 : static_cast<double>(beta) * c[i * ldc + j];
      c[i * ldc + j] = static_cast<float>(alpha * sum + prior);
    }
  }
}

void gemm_mixed(Precision precision, Transpose transpose_a, Transpose transpose_b, std::int64_t m, std::int64_t n,
                std::int64_t k, float alpha, const float* a, std::int64_t lda, const float* b, std::int64_t ldb,
                float beta, float* c, std::int64_t ldc) {
  const auto rounded = [precision](const float* x, std::int64_t rows, std::int64_t cols, std::int64_t ld) {
    std::vector<float> out(static_cast<std::size_t>(rows * ld));
    for (std::int64_t r = 0; r < rows; ++r)
      for (std::int64_t col = 0; col < cols; ++col) {
        const float v = x[r * ld + col];
        out[static_cast<std::size_t>(r * ld + col)] = precision == Precision::Bf16   ? ops::round_to_bf16(v)
                                                      : precision == Precision::Tf32 ? ops::round_to_tf32(v)
                                                                                     : v;
      }
    return out;
  };
  const auto ra = rounded(a, transpose_a == Transpose::No ? m : k, transpose_a == Transpose::No ? k : m, lda);
  const auto rb = rounded(b, transpose_b == Transpose::No ? k : n, transpose_b == Transpose::No ? n : k, ldb);
  gemm(transpose_a, transpose_b, m, n, k, alpha, ra.data(), lda, rb.data(), ldb, beta, c, ldc);
}

void axpy(std::int64_t n, float alpha, const float* x, float* y) {
  for (std::int64_t i = 0; i < n; ++i) y[i] += alpha * x[i];
}

void fill(std::int64_t n, float value, float* x) {
  for (std::int64_t i = 0; i < n; ++i) x[i] = value;
}

void bias_relu(std::int64_t rows, std::int64_t cols, const float* bias, const float* in, float* out) {
  for (std::int64_t r = 0; r < rows; ++r) {
    for (std::int64_t c = 0; c < cols; ++c) {
      const float v = in[r * cols + c] + bias[c];
      out[r * cols + c] = v > 0.0f ? v : 0.0f;
    }
  }
}

}  // namespace coact::backend::reference
