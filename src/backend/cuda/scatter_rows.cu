#include "coact/backend/ops/sparse_encode.h"
#include "cuda/cuda_backend.h"
#include "cuda/launch.cuh"

namespace coact::backend::cuda {

void CudaBackend::scatter_rows(std::int64_t rows, std::int64_t cols, SparseRows codes, float* dense) {
  for_each_index(stream_, rows, ops::ScatterRows{cols, codes.offsets, codes.index, codes.value, dense});
}

}  // namespace coact::backend::cuda
