#include "coact/backend/ops/elementwise.h"
#include "cuda/cuda_backend.h"
#include "cuda/launch.cuh"

namespace coact::backend::cuda {

void CudaBackend::axpy(std::int64_t n, float alpha, const float* x, float* y) {
  for_each_index(stream_, n, ops::Axpy{alpha, x, y});
}

}  // namespace coact::backend::cuda
