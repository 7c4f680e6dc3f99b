#include <gtest/gtest.h>

#include "coact/backend/cuda_check.h"
#include "coact/dist/nccl_check.h"

namespace coact {
namespace {

template <class ErrorType, class F>
std::string message_of(F&& f) {
  try {
    f();
  } catch (const ErrorType& e) {
    return e.what();
  }
  return "(no exception)";
}

TEST(CudaChecks, FailuresThrowTypedErrorsNamingCallFileAndLine) {
  const std::string cuda = message_of<CudaError>([] { COACT_CUDA_CHECK(cudaErrorInvalidValue); });
  EXPECT_NE(cuda.find("CUDA call cudaErrorInvalidValue failed at tests/backend/cuda_checks_test.cpp:"),
            std::string::npos) << cuda;
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
