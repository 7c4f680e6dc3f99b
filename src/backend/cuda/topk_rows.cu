// One thread per row keeps its heap in the row's output slots (simple, not yet tuned: a block
// per row with a shared-memory radix select would be the fast version).
#include "coact/backend/ops/sparse_encode.h"
#include "cuda/cuda_backend.h"
#include "cuda/launch.cuh"

namespace coact::backend::cuda {

void CudaBackend::topk_rows(std::int64_t rows, std::int64_t cols, const float* in, const float* bias,
                            const std::uint8_t* allowed, std::int64_t k, std::int64_t* counts, std::int32_t* index,
                            float* value) {
  for_each_index(stream_, rows, ops::TopkRows{cols, in, bias, allowed, k, counts, index, value});
}

}  // namespace coact::backend::cuda
