#include "coact/backend/ops/sparse_encode.h"
#include "cuda/cuda_backend.h"
#include "cuda/launch.cuh"

namespace coact::backend::cuda {

void CudaBackend::count_positive(std::int64_t rows, std::int64_t cols, const float* in, const float* bias,
                                 std::int64_t* counts) {
  for_each_index(stream_, rows, ops::CountPositive{cols, in, bias, counts});
}

}  // namespace coact::backend::cuda
