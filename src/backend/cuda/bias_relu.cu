#include "coact/backend/ops/elementwise.h"
#include "cuda/cuda_backend.h"
#include "cuda/launch.cuh"

namespace coact::backend::cuda {

void CudaBackend::bias_relu(std::int64_t rows, std::int64_t cols, const float* bias, const float* in, float* out) {
  for_each_index(stream_, rows * cols, ops::BiasRelu{cols, bias, in, out});
}

}  // namespace coact::backend::cuda
