// One warp per code entry: the 32 lanes read adjacent elements of the two d-wide rows
// (coalesced) and a shuffle-down tree sums their partial dots (ops/radix_topk.h's
// strided_partial_dot and tree_sum_lanes give the cpu tests the same order), instead of one
// thread walking a whole row.
#include "cuda/cuda_check.h"
#include "coact/backend/ops/radix_topk.h"
#include "cuda/cuda_backend.h"

namespace coact::backend::cuda {
namespace {

constexpr int kWarp = 32;
constexpr int kThreads = 256;

__global__ void sparse_row_dots_kernel(std::int64_t nnz, std::int64_t cols, SparseRows codes,
                                       const std::int32_t* entry_rows, const float* g, const float* weights, float add,
                                       float* out) {
  const std::int64_t e = (static_cast<std::int64_t>(blockIdx.x) * blockDim.x + threadIdx.x) / kWarp;
  const int lane = static_cast<int>(threadIdx.x % kWarp);
  if (e >= nnz) return;  // whole warps leave together: nnz is per warp
  const float* gr = g + static_cast<std::int64_t>(entry_rows[e]) * cols;
  const float* w = weights + static_cast<std::int64_t>(codes.index[e]) * cols;
  float s = ops::strided_partial_dot(gr, w, cols, lane, kWarp);
  for (int offset = kWarp / 2; offset > 0; offset /= 2) s += __shfl_down_sync(0xffffffffu, s, offset);
  if (lane == 0) out[e] = s + add;
}

}  // namespace

void CudaBackend::sparse_row_dots(std::int64_t nnz, std::int64_t cols, SparseRows codes,
                                  const std::int32_t* entry_rows, const float* g, const float* weights, float add,
                                  float* out) {
  if (nnz <= 0) return;
  const std::int64_t blocks = (nnz * kWarp + kThreads - 1) / kThreads;
  sparse_row_dots_kernel<<<static_cast<unsigned>(blocks), kThreads, 0, stream_>>>(nnz, cols, codes, entry_rows, g,
                                                                                   weights, add, out);
  COACT_CUDA_CHECK(cudaGetLastError());
}

}  // namespace coact::backend::cuda
