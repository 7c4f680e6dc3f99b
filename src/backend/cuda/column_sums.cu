// One thread per column, rows in order: coalesced across the warp and deterministic.
#include "coact/backend/ops/reduce.h"
#include "cuda/cuda_backend.h"
#include "cuda/launch.cuh"

namespace coact::backend::cuda {

void CudaBackend::column_sums(std::int64_t rows, std::int64_t cols, const float* in, bool accumulate, float* out) {
  for_each_index(stream_, cols, ops::ColumnSums<1>{rows, cols, in, accumulate, out});
}

}  // namespace coact::backend::cuda
