// Check macros for CUDA runtime and cuBLAS calls: a failure throws CudaError / CublasError
// naming the call (file and line in its debug context). Include only from CUDA-built sources
// (cuda/ folders).
#pragma once

#include <cublas_v2.h>
#include <cuda_runtime.h>

#include "coact/core/errors.h"

namespace coact::backend {

inline void cuda_check(cudaError_t status, const char* call, const char* file, int line) {
  if (status != cudaSuccess)
    throw CudaError(library_failure("CUDA", call, cudaGetErrorString(status), file, line));
}

inline const char* cublas_status_name(cublasStatus_t status) {
  switch (status) {
    case CUBLAS_STATUS_SUCCESS: return "CUBLAS_STATUS_SUCCESS";
    case CUBLAS_STATUS_NOT_INITIALIZED: return "CUBLAS_STATUS_NOT_INITIALIZED";
    case CUBLAS_STATUS_ALLOC_FAILED: return "CUBLAS_STATUS_ALLOC_FAILED";
    case CUBLAS_STATUS_INVALID_VALUE: return "CUBLAS_STATUS_INVALID_VALUE";
    case CUBLAS_STATUS_ARCH_MISMATCH: return "CUBLAS_STATUS_ARCH_MISMATCH";
    case CUBLAS_STATUS_MAPPING_ERROR: return "CUBLAS_STATUS_MAPPING_ERROR";
    case CUBLAS_STATUS_EXECUTION_FAILED: return "CUBLAS_STATUS_EXECUTION_FAILED";
    case CUBLAS_STATUS_INTERNAL_ERROR: return "CUBLAS_STATUS_INTERNAL_ERROR";
    case CUBLAS_STATUS_NOT_SUPPORTED: return "CUBLAS_STATUS_NOT_SUPPORTED";
    default: return "unknown cuBLAS status";
  }
}

inline void cublas_check(cublasStatus_t status, const char* call, const char* file, int line) {
  if (status != CUBLAS_STATUS_SUCCESS)
    throw CublasError(library_failure("cuBLAS", call, cublas_status_name(status), file, line));
}

}  // namespace coact::backend

#define COACT_CUDA_CHECK(call) ::coact::backend::cuda_check((call), #call, __FILE__, __LINE__)
#define COACT_CUBLAS_CHECK(call) ::coact::backend::cublas_check((call), #call, __FILE__, __LINE__)
