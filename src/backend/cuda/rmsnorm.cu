// One thread per row (ops::RmsNormRows, the cpu's arithmetic). Rows are d_model wide and the
// op runs twice per block, so the plain version costs little beside the GEMMs.
#include "coact/backend/ops/rmsnorm.h"
#include "cuda/cuda_backend.h"
#include "cuda/launch.cuh"

namespace coact::backend::cuda {

void CudaBackend::rmsnorm(std::int64_t rows, std::int64_t cols, float eps, const float* in, const float* weight,
                          float* out) {
  for_each_index(stream_, rows, ops::RmsNormRows{cols, eps, in, weight, out});
}

void CudaBackend::affine_columns(std::int64_t rows, std::int64_t cols, const float* weight, const float* bias,
                                 const float* in, float* out) {
  for_each_index(stream_, rows * cols, ops::AffineColumns{cols, weight, bias, in, out});
}

}  // namespace coact::backend::cuda
