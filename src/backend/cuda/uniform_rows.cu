#include "coact/backend/ops/init.h"
#include "cuda/cuda_backend.h"
#include "cuda/launch.cuh"

namespace coact::backend::cuda {

void CudaBackend::uniform_rows(std::int64_t count, std::int64_t cols, const std::int32_t* row_list,
                               const UniformRowsParams& params, float* out) {
  for_each_index(stream_, count * cols, ops::UniformRows{cols, row_list, params, out});
}

}  // namespace coact::backend::cuda
