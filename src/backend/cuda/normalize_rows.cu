#include "coact/backend/ops/optim.h"
#include "cuda/cuda_backend.h"
#include "cuda/launch.cuh"

namespace coact::backend::cuda {

void CudaBackend::normalize_rows(std::int64_t count, std::int64_t cols, const std::int32_t* row_list, float eps,
                                 float* w) {
  for_each_index(stream_, count, ops::NormalizeRows{cols, row_list, eps, w});
}

}  // namespace coact::backend::cuda
