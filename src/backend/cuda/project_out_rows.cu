#include "coact/backend/ops/optim.h"
#include "cuda/cuda_backend.h"
#include "cuda/launch.cuh"

namespace coact::backend::cuda {

void CudaBackend::project_out_rows(std::int64_t rows, std::int64_t cols, const float* w, float* g) {
  for_each_index(stream_, rows, ops::ProjectOutRows{cols, w, g});
}

}  // namespace coact::backend::cuda
