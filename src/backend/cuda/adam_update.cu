#include "coact/backend/ops/optim.h"
#include "cuda/cuda_backend.h"
#include "cuda/launch.cuh"

namespace coact::backend::cuda {

void CudaBackend::adam_update(std::int64_t count, const AdamParams& params, const float* grad, float* param,
                              float* m, float* v) {
  for_each_index(stream_, count, ops::AdamUpdate{params, grad, param, m, v});
}

}  // namespace coact::backend::cuda
