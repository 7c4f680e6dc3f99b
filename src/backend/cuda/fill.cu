#include "coact/backend/ops/elementwise.h"
#include "cuda/cuda_backend.h"
#include "cuda/launch.cuh"

namespace coact::backend::cuda {

void CudaBackend::fill(std::int64_t n, float value, float* x) { for_each_index(stream_, n, ops::Fill{value, x}); }

}  // namespace coact::backend::cuda
