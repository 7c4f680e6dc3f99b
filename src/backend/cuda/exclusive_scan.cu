// Row offsets from row counts with CUB's device-wide scan; the total comes back to the host,
// which sizes the code arrays.
#include <cub/device/device_scan.cuh>

#include "cuda/cuda_check.h"
#include "cuda/cuda_backend.h"
#include "cuda/scratch.cuh"

namespace coact::backend::cuda {

std::int64_t CudaBackend::exclusive_scan(std::int64_t count, const std::int64_t* counts, std::int64_t* offsets) {
  COACT_CUDA_CHECK(cudaMemsetAsync(offsets, 0, sizeof(std::int64_t), stream_));
  if (count > 0) {
    std::size_t temp_bytes = 0;
    COACT_CUDA_CHECK(cub::DeviceScan::InclusiveSum(nullptr, temp_bytes, counts, offsets + 1, count, stream_));
    DeviceScratch temp(*this, temp_bytes);
    COACT_CUDA_CHECK(cub::DeviceScan::InclusiveSum(temp.as(), temp_bytes, counts, offsets + 1, count, stream_));
  }
  std::int64_t total = 0;
  COACT_CUDA_CHECK(cudaMemcpyAsync(&total, offsets + count, sizeof total, cudaMemcpyDeviceToHost, stream_));
  COACT_CUDA_CHECK(cudaStreamSynchronize(stream_));
  return total;
}

}  // namespace coact::backend::cuda
