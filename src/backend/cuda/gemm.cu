// Row-major GEMM on cuBLAS (column-major): C = op(A)op(B) is computed as Cᵀ = op(B)ᵀop(A)ᵀ,
// because a row-major matrix with leading dimension ld is its transpose in column-major.
// Reduced precisions run on tensor cores: tf32 by CUBLAS_COMPUTE_32F_FAST_TF32 on the fp32
// operands; bf16 by cublasGemmEx on bf16 copies of the operands, rounded by the shared functor
// (ops/bf16.h) into stream-ordered scratch, with fp32 accumulation (CUBLAS_COMPUTE_32F).
#include "cuda/cuda_check.h"
#include "coact/backend/ops/bf16.h"
#include "coact/core/errors.h"
#include "cuda/cuda_backend.h"
#include "cuda/launch.cuh"
#include "cuda/scratch.cuh"

namespace coact::backend::cuda {

void CudaBackend::gemm(Transpose transpose_a, Transpose transpose_b, std::int64_t m, std::int64_t n, std::int64_t k,
                       float alpha, const float* a, std::int64_t lda, const float* b, std::int64_t ldb, float beta,
                       float* c, std::int64_t ldc) {
  if (m == 0 || n == 0) return;
  const cublasOperation_t op_a = transpose_a == Transpose::No ? CUBLAS_OP_N : CUBLAS_OP_T;
  const cublasOperation_t op_b = transpose_b == Transpose::No ? CUBLAS_OP_N : CUBLAS_OP_T;
  COACT_CUBLAS_CHECK(cublasSgemm(blas_, op_b, op_a, static_cast<int>(n), static_cast<int>(m), static_cast<int>(k),
                                 &alpha, b, static_cast<int>(ldb), a, static_cast<int>(lda), &beta, c,
                                 static_cast<int>(ldc)));
}

void CudaBackend::require_precision(Precision precision) const {
  // bf16 and tf32 tensor-core GEMMs need Ampere (compute capability 8.0) or newer.
  COACT_REQUIRE(precision == Precision::Fp32 || compute_capability_ >= 80, UsageError, "--precision ",
                to_string(precision), ": ", name(), " has compute capability ", compute_capability_ / 10, ".",
                compute_capability_ % 10, "; bf16 and tf32 tensor cores need 8.0 or newer (use fp32)");
}

std::string CudaBackend::precision_description(Precision precision) const {
  switch (precision) {
    case Precision::Fp32: return "fp32: cuBLAS SGEMM";
    case Precision::Bf16: return "bf16: cublasGemmEx, CUDA_R_16BF operands, CUBLAS_COMPUTE_32F";
    case Precision::Tf32: return "tf32: cublasGemmEx, CUBLAS_COMPUTE_32F_FAST_TF32";
  }
  return "?";
}

void CudaBackend::gemm_mixed(Precision precision, Transpose transpose_a, Transpose transpose_b, std::int64_t m,
                             std::int64_t n, std::int64_t k, float alpha, const float* a, std::int64_t lda,
                             const float* b, std::int64_t ldb, float beta, float* c, std::int64_t ldc) {
  if (precision == Precision::Fp32) {
    gemm(transpose_a, transpose_b, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
    return;
  }
  require_precision(precision);
  if (m == 0 || n == 0) return;
  const cublasOperation_t op_a = transpose_a == Transpose::No ? CUBLAS_OP_N : CUBLAS_OP_T;
  const cublasOperation_t op_b = transpose_b == Transpose::No ? CUBLAS_OP_N : CUBLAS_OP_T;
  if (precision == Precision::Tf32) {
    COACT_CUBLAS_CHECK(cublasGemmEx(blas_, op_b, op_a, static_cast<int>(n), static_cast<int>(m), static_cast<int>(k),
                                    &alpha, b, CUDA_R_32F, static_cast<int>(ldb), a, CUDA_R_32F, static_cast<int>(lda),
                                    &beta, c, CUDA_R_32F, static_cast<int>(ldc), CUBLAS_COMPUTE_32F_FAST_TF32,
                                    CUBLAS_GEMM_DEFAULT));
    return;
  }
  // The stored operands (A: m×k or k×m, B: k×n or n×k) rounded into contiguous bf16 copies.
  const std::int64_t a_rows = transpose_a == Transpose::No ? m : k, a_cols = transpose_a == Transpose::No ? k : m;
  const std::int64_t b_rows = transpose_b == Transpose::No ? k : n, b_cols = transpose_b == Transpose::No ? n : k;
  DeviceScratch a16(*this, static_cast<std::size_t>(a_rows * a_cols) * sizeof(std::uint16_t));
  DeviceScratch b16(*this, static_cast<std::size_t>(b_rows * b_cols) * sizeof(std::uint16_t));
  for_each_index(stream_, a_rows * a_cols, ops::RoundToBf16Matrix{a_cols, lda, a, a16.as<std::uint16_t>()});
  for_each_index(stream_, b_rows * b_cols, ops::RoundToBf16Matrix{b_cols, ldb, b, b16.as<std::uint16_t>()});
  COACT_CUBLAS_CHECK(cublasGemmEx(blas_, op_b, op_a, static_cast<int>(n), static_cast<int>(m), static_cast<int>(k),
                                  &alpha, b16.as(), CUDA_R_16BF, static_cast<int>(b_cols > 0 ? b_cols : 1), a16.as(),
                                  CUDA_R_16BF, static_cast<int>(a_cols > 0 ? a_cols : 1), &beta, c, CUDA_R_32F,
                                  static_cast<int>(ldc), CUBLAS_COMPUTE_32F, CUBLAS_GEMM_DEFAULT));
}

}  // namespace coact::backend::cuda
