#include "coact/backend/ops/elementwise.h"
#include "cuda/cuda_backend.h"
#include "cuda/launch.cuh"

namespace coact::backend::cuda {

void CudaBackend::relu_backward(std::int64_t count, float l1, const float* dz, float* z_dpre) {
  for_each_index(stream_, count, ops::ReluBackward{l1, dz, z_dpre});
}

}  // namespace coact::backend::cuda
