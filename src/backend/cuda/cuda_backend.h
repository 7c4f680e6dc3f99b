// The CUDA backend's class, private to src/backend/cuda. Each op is defined in its own .cu
// file; the arithmetic comes from coact/backend/ops (shared with cpu).
#pragma once

#include <cublas_v2.h>
#include <cuda_runtime.h>

#include <memory>

#include "coact/backend/backend.h"

namespace coact::backend::cuda {

class CudaBackend final : public Backend {
 public:
  explicit CudaBackend(int device);
  ~CudaBackend() override;

  DeviceKind kind() const override { return DeviceKind::Cuda; }
  std::string name() const override;
  std::string description() const override;

  void* allocate_bytes(std::size_t bytes) override;
  void free_bytes(void* pointer) noexcept override;
  void copy_bytes(void* destination, const void* source, std::size_t bytes, CopyKind kind) override;
  void zero_bytes(void* pointer, std::size_t bytes) override;
  void synchronize() override;

  void gemm(Transpose transpose_a, Transpose transpose_b, std::int64_t m, std::int64_t n, std::int64_t k, float alpha,
            const float* a, std::int64_t lda, const float* b, std::int64_t ldb, float beta, float* c,
            std::int64_t ldc) override;
  void axpy(std::int64_t n, float alpha, const float* x, float* y) override;
  void fill(std::int64_t n, float value, float* x) override;
  void bias_relu(std::int64_t rows, std::int64_t cols, const float* bias, const float* in, float* out) override;

  void* native_stream() const override { return stream_; }
  int device_index() const override { return device_; }

 private:
  int device_;
  cudaStream_t stream_ = nullptr;
  cublasHandle_t blas_ = nullptr;
};

std::unique_ptr<Backend> make_cuda_backend(int device);
int device_count();
std::vector<ComponentInfo> components();

}  // namespace coact::backend::cuda
