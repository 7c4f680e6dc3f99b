// One warp per row: lanes read the row in coalesced strides of 32 and combine their sums with
// shuffles, then normalise with the cpu's formula. (ops::LayerNormRows, one thread per row, is
// the plain version: correct on a GPU, but its lanes would read 32 different rows at once.)
#include "cuda/cuda_backend.h"
#include "cuda/launch.cuh"

namespace coact::backend::cuda {
namespace {

constexpr int kWarp = 32;
constexpr int kWarpsPerBlock = 8;

// Every lane ends with the sum over the warp.
__device__ double warp_sum(double value) {
  for (int offset = kWarp / 2; offset > 0; offset /= 2) value += __shfl_xor_sync(0xffffffffu, value, offset);
  return value;
}

__global__ void layernorm_warp_per_row(std::int64_t rows, std::int64_t cols, float eps, const float* in,
                                       const float* weight, const float* bias, float* out) {
  const std::int64_t row = static_cast<std::int64_t>(blockIdx.x) * kWarpsPerBlock + threadIdx.x / kWarp;
  const int lane = static_cast<int>(threadIdx.x % kWarp);
  if (row >= rows) return;  // whole warps leave together: the shuffles below see full warps
  const float* x = in + row * cols;
  float* y = out + row * cols;
  // Moments and centring in double, as the cpu computes them (ops/layernorm.h).
  double sum = 0.0;
  for (std::int64_t c = lane; c < cols; c += kWarp) sum += x[c];
  const double mean = warp_sum(sum) / static_cast<double>(cols);
  double squares = 0.0;
  for (std::int64_t c = lane; c < cols; c += kWarp) {
    const double d = x[c] - mean;
    squares += d * d;
  }
  const double inverse = 1.0 / sqrt(warp_sum(squares) / static_cast<double>(cols) + static_cast<double>(eps));
  for (std::int64_t c = lane; c < cols; c += kWarp) {
    float v = static_cast<float>((x[c] - mean) * inverse);
    if (weight) v *= weight[c];
    if (bias) v += bias[c];
    y[c] = v;
  }
}

}  // namespace

void CudaBackend::layernorm(std::int64_t rows, std::int64_t cols, float eps, const float* in, const float* weight,
                            const float* bias, float* out) {
  if (rows <= 0) return;
  const std::int64_t blocks = (rows + kWarpsPerBlock - 1) / kWarpsPerBlock;
  layernorm_warp_per_row<<<static_cast<unsigned>(blocks), kWarpsPerBlock * kWarp, 0, stream_>>>(rows, cols, eps, in,
                                                                                                weight, bias, out);
  COACT_CUDA_CHECK(cudaGetLastError());
}

}  // namespace coact::backend::cuda
