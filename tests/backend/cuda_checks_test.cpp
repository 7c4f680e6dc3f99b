#include <gtest/gtest.h>

#include "cuda_check.h"
#include "nccl_check.h"

namespace coact {
namespace {

template <class ErrorType, class F>
std::string message_of(F&& f) {
  try {
    f();
  } catch (const ErrorType& e) {
    // The user's line, then (after " | ") the debug context with the source location.
    return std::string(e.what()) + " | " + e.debug_context();
  }
  return "(no exception)";
}

TEST(CudaChecks, FailuresThrowTypedErrorsNamingCallFileAndLine) {
  const std::string cuda = message_of<CudaError>([] { COACT_CUDA_CHECK(cudaErrorInvalidValue); });
  EXPECT_NE(cuda.find("CUDA call cudaErrorInvalidValue failed at tests/backend/cuda_checks_test.cpp:"),
            std::string::npos) << cuda;
  EXPECT_LT(cuda.find("invalid argument"), cuda.find(" | ")) << "the user's line says what failed: " << cuda;
  EXPECT_GT(cuda.find("cuda_checks_test.cpp"), cuda.find(" | ")) << "file:line only in the debug context: " << cuda;
  EXPECT_NE(cuda.find("invalid argument"), std::string::npos) << cuda;

  const std::string blas = message_of<CublasError>([] { COACT_CUBLAS_CHECK(CUBLAS_STATUS_INVALID_VALUE); });
  EXPECT_NE(blas.find("CUBLAS_STATUS_INVALID_VALUE"), std::string::npos) << blas;
  EXPECT_NE(blas.find("cuda_checks_test.cpp:"), std::string::npos) << blas;

  const std::string nccl = message_of<NcclError>([] { COACT_NCCL_CHECK(ncclInvalidArgument); });
  EXPECT_NE(nccl.find("NCCL call ncclInvalidArgument failed"), std::string::npos) << nccl;

  EXPECT_NO_THROW(COACT_CUDA_CHECK(cudaSuccess));
  EXPECT_NO_THROW(COACT_CUBLAS_CHECK(CUBLAS_STATUS_SUCCESS));
  EXPECT_NO_THROW(COACT_NCCL_CHECK(ncclSuccess));
}

}  // namespace
}  // namespace coact
