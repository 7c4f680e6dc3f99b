// Row-major GEMM on cuBLAS (column-major): C = op(A)op(B) is computed as Cᵀ = op(B)ᵀop(A)ᵀ,
// because a row-major matrix with leading dimension ld is its transpose in column-major.
#include "coact/backend/cuda_check.h"
#include "cuda/cuda_backend.h"

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

}  // namespace coact::backend::cuda
