// One thread per rotated pair (ops::RotaryHeads, the cpu's arithmetic).
#include "coact/backend/ops/rotary.h"
#include "cuda/cuda_backend.h"
#include "cuda/launch.cuh"

namespace coact::backend::cuda {

void CudaBackend::rotary(std::int64_t rows, std::int64_t seq_len, std::int64_t heads, std::int64_t head_dim,
                         std::int64_t rotary_dim, std::int64_t ld, const float* cos, const float* sin, float* x) {
  for_each_index(stream_, rows * heads * (rotary_dim / 2),
                 ops::RotaryHeads{seq_len, heads, head_dim, rotary_dim, ld, cos, sin, x});
}

}  // namespace coact::backend::cuda
