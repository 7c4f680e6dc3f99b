#include "coact/backend/ops/elementwise.h"
#include "cuda/cuda_backend.h"
#include "cuda/launch.cuh"

namespace coact::backend::cuda {

void CudaBackend::add_row_vector(std::int64_t rows, std::int64_t cols, float alpha, const float* v, const float* in,
                                 float* out) {
  for_each_index(stream_, rows * cols, ops::AddRowVector{cols, alpha, v, in, out});
}

}  // namespace coact::backend::cuda
