// One thread per element; the GELU arithmetic is the cpu's (ops/gelu.h).
#include "coact/backend/ops/gelu.h"
#include "cuda/cuda_backend.h"
#include "cuda/launch.cuh"

namespace coact::backend::cuda {

void CudaBackend::bias_gelu(std::int64_t rows, std::int64_t cols, GeluKind kind, const float* bias, const float* in,
                            float* out) {
  ops::launch_bias_gelu(kind, cols, bias, in, out, [&](const auto& f) { for_each_index(stream_, rows * cols, f); });
}

}  // namespace coact::backend::cuda
