#include "coact/backend/ops/sparse_encode.h"
#include "cuda/cuda_backend.h"
#include "cuda/launch.cuh"

namespace coact::backend::cuda {

void CudaBackend::gather_positive(std::int64_t rows, std::int64_t cols, const float* in, const float* bias,
                                  const std::int64_t* offsets, std::int32_t* index, float* value) {
  for_each_index(stream_, rows, ops::GatherPositive{cols, in, bias, offsets, index, value});
}

}  // namespace coact::backend::cuda
