// One block per row of logits (a row is the whole vocabulary: tens of thousands of values):
// threads stride the row, and the block combines its max, then its Σ e^(x − max), through
// warp shuffles and shared memory. The exponential and the final formula are the cpu's
// (ops/cross_entropy.h); only the summation order differs.
#include <cfloat>

#include "coact/backend/ops/cross_entropy.h"
#include "cuda/cuda_backend.h"
#include "cuda/launch.cuh"

namespace coact::backend::cuda {
namespace {

constexpr int kWarp = 32;
constexpr int kThreads = 256;

template <bool Max>
__device__ float warp_reduce(float value) {
  for (int offset = kWarp / 2; offset > 0; offset /= 2) {
    const float other = __shfl_xor_sync(0xffffffffu, value, offset);
    value = Max ? fmaxf(value, other) : value + other;
  }
  return value;
}

// The block's max or sum, returned to every thread.
template <bool Max>
__device__ float block_reduce(float value, float* shared) {
  const int lane = static_cast<int>(threadIdx.x % kWarp), warp = static_cast<int>(threadIdx.x / kWarp);
  value = warp_reduce<Max>(value);
  if (lane == 0) shared[warp] = value;
  __syncthreads();
  value = lane < kThreads / kWarp ? shared[lane] : (Max ? -FLT_MAX : 0.0f);
  value = warp_reduce<Max>(value);
  __syncthreads();  // shared[] is reused by the next reduction
  return value;
}

__global__ void cross_entropy_block_per_row(std::int64_t vocab, std::int64_t ld, const float* logits,
                                            const std::int32_t* targets, float* losses) {
  __shared__ float partial[kThreads / kWarp];
  const std::int64_t r = blockIdx.x;
  const std::int32_t target = targets[r];
  if (target < 0) {  // the whole block takes this branch: no barrier is skipped by only some
    if (threadIdx.x == 0) losses[r] = 0.0f;
    return;
  }
  const float* row = logits + r * ld;
  float top = -FLT_MAX;
  for (std::int64_t j = threadIdx.x; j < vocab; j += kThreads) top = fmaxf(top, row[j]);
  top = block_reduce<true>(top, partial);
  float sum = 0.0f;
  for (std::int64_t j = threadIdx.x; j < vocab; j += kThreads) sum += ops::exp_approx(row[j] - top);
  sum = block_reduce<false>(sum, partial);
  if (threadIdx.x == 0) losses[r] = ops::cross_entropy_from(top, sum, row[target]);
}

}  // namespace

void CudaBackend::cross_entropy_rows(std::int64_t rows, std::int64_t vocab, const float* logits, std::int64_t ld,
                                     const std::int32_t* targets, float* losses) {
  if (rows <= 0) return;
  // gridDim.x allows 2^31 − 1 blocks: far more rows than a logits buffer holds.
  cross_entropy_block_per_row<<<static_cast<unsigned>(rows), kThreads, 0, stream_>>>(vocab, ld, logits, targets,
                                                                                      losses);
  COACT_CUDA_CHECK(cudaGetLastError());
}

}  // namespace coact::backend::cuda
