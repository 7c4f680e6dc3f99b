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

  void require_precision(Precision precision) const override;
  std::string precision_description(Precision precision) const override;

#define COACT_DECLARE_OVERRIDE_OP(result, name, parameters) result name parameters override;
  COACT_BACKEND_OPS(COACT_DECLARE_OVERRIDE_OP)
#undef COACT_DECLARE_OVERRIDE_OP

  void* native_stream() const override { return stream_; }
  int device_index() const override { return device_; }

 private:
  int device_;
  int compute_capability_ = 0;  // major · 10 + minor
  cudaStream_t stream_ = nullptr;
  cublasHandle_t blas_ = nullptr;
};

std::unique_ptr<Backend> make_cuda_backend(int device);
int device_count();
std::vector<ComponentInfo> components();

}  // namespace coact::backend::cuda
