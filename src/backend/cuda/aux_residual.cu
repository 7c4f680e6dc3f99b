#include "coact/backend/ops/loss.h"
#include "cuda/cuda_backend.h"
#include "cuda/launch.cuh"

namespace coact::backend::cuda {

void CudaBackend::aux_residual(std::int64_t rows, std::int64_t cols, const float* ehat, const float* x,
                               const float* xhat, float scale, float* grad, float* row_stats) {
  for_each_index(stream_, rows, ops::AuxResidual{cols, ehat, x, xhat, scale, grad, row_stats});
}

}  // namespace coact::backend::cuda
