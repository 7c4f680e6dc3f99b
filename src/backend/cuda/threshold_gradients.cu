#include "coact/backend/ops/code_rules.h"
#include "cuda/cuda_backend.h"
#include "cuda/launch.cuh"

namespace coact::backend::cuda {

void CudaBackend::threshold_gradients(std::int64_t nnz, const std::int32_t* index, const float* g,
                                      const float* threshold, float l0, float bandwidth, float* out) {
  for_each_index(stream_, nnz, ops::ThresholdGradients{index, g, threshold, l0, bandwidth, out});
}

}  // namespace coact::backend::cuda
