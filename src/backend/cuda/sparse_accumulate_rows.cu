// One thread per output element (feature, column), entries in row order: no atomics.
#include "coact/backend/ops/sparse_codes.h"
#include "cuda/cuda_backend.h"
#include "cuda/launch.cuh"

namespace coact::backend::cuda {

void CudaBackend::sparse_accumulate_rows(std::int64_t n, std::int64_t cols, SparseColumns columns,
                                         const float* coef_a, const float* a, float* out_a, const float* coef_b,
                                         const float* b, float* out_b, bool accumulate) {
  for_each_index(stream_, n * cols,
                 ops::SparseAccumulateRows{cols, 1, columns, coef_a, a, out_a, coef_b, b, out_b, accumulate});
}

}  // namespace coact::backend::cuda
