#include "coact/backend/ops/loss.h"
#include "cuda/cuda_backend.h"
#include "cuda/launch.cuh"

namespace coact::backend::cuda {

void CudaBackend::residual(std::int64_t rows, std::int64_t cols, const float* xhat, const float* x, const float* xc,
                           float scale, float* grad, float* row_stats) {
  for_each_index(stream_, rows, ops::Residual{cols, xhat, x, xc, scale, grad, row_stats});
}

}  // namespace coact::backend::cuda
