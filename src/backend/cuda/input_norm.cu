// One thread per row (the plain version: an SAE normalises a batch once before its GEMM, which
// dominates).
#include "coact/backend/ops/input_norm.h"
#include "cuda/cuda_backend.h"
#include "cuda/launch.cuh"

namespace coact::backend::cuda {

void CudaBackend::normalize_inputs(std::int64_t rows, std::int64_t cols, const InputNorm& norm, const float* in,
                                   float* out, float* row_stats) {
  for_each_index(stream_, rows, ops::NormalizeInputs{cols, norm, in, out, row_stats});
}

void CudaBackend::denormalize_outputs(std::int64_t rows, std::int64_t cols, const InputNorm& norm,
                                      const float* row_stats, float* inout) {
  for_each_index(stream_, rows, ops::DenormalizeOutputs{cols, norm, row_stats, inout});
}

}  // namespace coact::backend::cuda
