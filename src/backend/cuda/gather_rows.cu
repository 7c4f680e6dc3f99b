// One thread per output element: consecutive threads read consecutive columns of the same
// embedding rows (coalesced).
#include "coact/backend/ops/embedding.h"
#include "cuda/cuda_backend.h"
#include "cuda/launch.cuh"

namespace coact::backend::cuda {

void CudaBackend::gather_rows(std::int64_t rows, std::int64_t cols, const std::int32_t* tokens, const float* table,
                              float scale, float* out) {
  for_each_index(stream_, rows * cols, ops::GatherRows{cols, scale, tokens, table, out});
}

}  // namespace coact::backend::cuda
