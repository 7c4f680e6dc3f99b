#include "coact/backend/ops/sparse_codes.h"
#include "cuda/cuda_backend.h"
#include "cuda/launch.cuh"

namespace coact::backend::cuda {

void CudaBackend::sparse_row_dots(std::int64_t nnz, std::int64_t cols, SparseRows codes,
                                  const std::int32_t* entry_rows, const float* g, const float* weights, float add,
                                  float* out) {
  for_each_index(stream_, nnz, ops::SparseRowDots{cols, codes, entry_rows, g, weights, add, out});
}

}  // namespace coact::backend::cuda
