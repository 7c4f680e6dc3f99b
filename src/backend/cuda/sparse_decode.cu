// One thread per output element: a warp reads 32 adjacent columns of each weight row.
#include "coact/backend/ops/sparse_codes.h"
#include "cuda/cuda_backend.h"
#include "cuda/launch.cuh"

namespace coact::backend::cuda {

void CudaBackend::sparse_decode(std::int64_t rows, std::int64_t cols, SparseRows codes, const float* weights,
                                const float* bias, float* out) {
  for_each_index(stream_, rows * cols, ops::SparseDecode{cols, 1, codes, weights, bias, out});
}

}  // namespace coact::backend::cuda
