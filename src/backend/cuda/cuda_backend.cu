#include "cuda/cuda_backend.h"

#include "cuda/cuda_check.h"
#include "coact/core/strings.h"

namespace coact::backend::cuda {

CudaBackend::CudaBackend(int device) : device_(device) {
  COACT_CUDA_CHECK(cudaSetDevice(device_));
  int major = 0, minor = 0;
  COACT_CUDA_CHECK(cudaDeviceGetAttribute(&major, cudaDevAttrComputeCapabilityMajor, device_));
  COACT_CUDA_CHECK(cudaDeviceGetAttribute(&minor, cudaDevAttrComputeCapabilityMinor, device_));
  compute_capability_ = major * 10 + minor;
  COACT_CUDA_CHECK(cudaStreamCreateWithFlags(&stream_, cudaStreamNonBlocking));
  COACT_CUBLAS_CHECK(cublasCreate(&blas_));
  COACT_CUBLAS_CHECK(cublasSetStream(blas_, stream_));
}

CudaBackend::~CudaBackend() {
  if (blas_) cublasDestroy(blas_);
  if (stream_) cudaStreamDestroy(stream_);
}

std::string CudaBackend::name() const { return str("cuda:", device_); }

std::string CudaBackend::description() const {
  cudaDeviceProp prop{};
  if (cudaGetDeviceProperties(&prop, device_) != cudaSuccess) return name();
  return str(name(), ": ", prop.name, ", ", human_bytes(static_cast<double>(prop.totalGlobalMem)), ", sm_", prop.major,
             prop.minor);
}

void* CudaBackend::allocate_bytes(std::size_t bytes) {
  void* p = nullptr;
  COACT_CUDA_CHECK(cudaMallocAsync(&p, bytes == 0 ? 1 : bytes, stream_));
  return p;
}

void CudaBackend::free_bytes(void* pointer) noexcept { cudaFreeAsync(pointer, stream_); }

void CudaBackend::copy_bytes(void* destination, const void* source, std::size_t bytes, CopyKind kind) {
  if (!bytes) return;
  const cudaMemcpyKind direction = kind == CopyKind::HostToDevice   ? cudaMemcpyHostToDevice
                                   : kind == CopyKind::DeviceToHost ? cudaMemcpyDeviceToHost
                                                                    : cudaMemcpyDeviceToDevice;
  COACT_CUDA_CHECK(cudaMemcpyAsync(destination, source, bytes, direction, stream_));
  // Host buffers may be reused as soon as we return: make copies that touch the host synchronous.
  if (kind != CopyKind::DeviceToDevice) COACT_CUDA_CHECK(cudaStreamSynchronize(stream_));
}

void CudaBackend::zero_bytes(void* pointer, std::size_t bytes) {
  if (bytes) COACT_CUDA_CHECK(cudaMemsetAsync(pointer, 0, bytes, stream_));
}

void CudaBackend::synchronize() { COACT_CUDA_CHECK(cudaStreamSynchronize(stream_)); }

std::unique_ptr<Backend> make_cuda_backend(int device) { return std::make_unique<CudaBackend>(device); }

int device_count() {
  int count = 0;
  if (cudaGetDeviceCount(&count) != cudaSuccess) {
    cudaGetLastError();  // clear the sticky "no driver / no device" error
    return 0;
  }
  return count;
}

std::vector<ComponentInfo> components() {
  std::vector<ComponentInfo> out;
  int runtime = 0, driver = 0;
  cudaRuntimeGetVersion(&runtime);
  out.push_back({"CUDA runtime", str(runtime / 1000, ".", (runtime % 1000) / 10)});
  if (cudaDriverGetVersion(&driver) == cudaSuccess && driver > 0)
    out.push_back({"CUDA driver", str(driver / 1000, ".", (driver % 1000) / 10)});
  else
    out.push_back({"CUDA driver", "not installed"});
  int major = 0, minor = 0, patch = 0;
  cublasGetProperty(MAJOR_VERSION, &major);
  cublasGetProperty(MINOR_VERSION, &minor);
  cublasGetProperty(PATCH_LEVEL, &patch);
  out.push_back({"cuBLAS", str(major, ".", minor, ".", patch)});
  const int devices = device_count();
  if (devices == 0) out.push_back({"CUDA devices", "none visible"});
  for (int d = 0; d < devices; ++d) {
    cudaDeviceProp prop{};
    if (cudaGetDeviceProperties(&prop, d) != cudaSuccess) continue;
    out.push_back({str("cuda:", d), str(prop.name, ", ", human_bytes(static_cast<double>(prop.totalGlobalMem)),
                                        ", sm_", prop.major, prop.minor)});
  }
  return out;
}

}  // namespace coact::backend::cuda
