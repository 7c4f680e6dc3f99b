#include "coact/backend/ops/sparse_encode.h"
#include "cuda/cuda_backend.h"
#include "cuda/launch.cuh"

namespace coact::backend::cuda {

void CudaBackend::compact_rows(std::int64_t rows, std::int64_t stride, const std::int64_t* offsets,
                               const std::int32_t* in_index, const float* in_value, std::int32_t* index, float* value) {
  for_each_index(stream_, rows * stride, ops::CompactRows{stride, offsets, in_index, in_value, index, value});
}

}  // namespace coact::backend::cuda
