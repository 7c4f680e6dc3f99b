// Top-k per row by radix select (ops/radix_topk.h), one block per row: each pass, the block
// builds a 256-bin histogram of the candidate keys in shared memory and one thread picks the
// digit; the final pass over the row takes the chosen entries in column order with two block
// scans (ties, then chosen entries), so the output matches the cpu's. Work per row is
// O(passes · n / threads) instead of one thread scanning all n columns.
#include <cub/block/block_reduce.cuh>
#include <cub/block/block_scan.cuh>

#include "cuda/cuda_check.h"
#include "coact/backend/ops/radix_topk.h"
#include "cuda/cuda_backend.h"

namespace coact::backend::cuda {
namespace {

constexpr int kThreads = 256;
using Select = ops::RadixTopk;

__global__ void topk_rows_kernel(std::int64_t cols, const float* in, const float* bias, const std::uint8_t* allowed,
                                 std::int64_t k, std::int64_t* counts, std::int32_t* index, float* value) {
  using Reduce = cub::BlockReduce<std::uint32_t, kThreads>;
  using Scan = cub::BlockScan<std::uint32_t, kThreads>;
  __shared__ union {
    typename Reduce::TempStorage reduce;
    typename Scan::TempStorage scan;
  } temp;
  __shared__ std::uint32_t histogram[Select::kDigits];
  __shared__ std::uint32_t shared_count, shared_prefix, shared_remaining;

  const std::int64_t r = blockIdx.x;
  const float* row = in + r * cols;
  const auto key_at = [&](std::int64_t c) {
    return Select::key(row[c] + bias[c], allowed == nullptr || allowed[c] != 0);
  };

  std::uint32_t mine = 0;
  for (std::int64_t c = threadIdx.x; c < cols; c += kThreads) mine += key_at(c) != 0 ? 1u : 0u;
  const std::uint32_t candidates = Reduce(temp.reduce).Sum(mine);
  if (threadIdx.x == 0) shared_count = candidates;
  __syncthreads();

  std::uint32_t threshold = 0, ties = 0;  // threshold 0: every candidate is taken
  if (shared_count > static_cast<std::uint32_t>(k)) {
    std::uint32_t prefix = 0, remaining = static_cast<std::uint32_t>(k);
    for (int pass = 0; pass < Select::kPasses; ++pass) {
      for (int i = threadIdx.x; i < Select::kDigits; i += kThreads) histogram[i] = 0;
      __syncthreads();
      for (std::int64_t c = threadIdx.x; c < cols; c += kThreads) {
        const std::uint32_t key = key_at(c);
        if (Select::matches(key, prefix, pass)) atomicAdd(&histogram[Select::digit(key, pass)], 1u);
      }
      __syncthreads();
      if (threadIdx.x == 0) {
        const Select::Choice choice = Select::choose(histogram, prefix, remaining, pass);
        shared_prefix = choice.prefix;
        shared_remaining = choice.remaining;
      }
      __syncthreads();
      prefix = shared_prefix;
      remaining = shared_remaining;
    }
    threshold = prefix;
    ties = remaining;
  }

  std::uint32_t written = 0, ties_seen = 0;  // the same in every thread
  for (std::int64_t start = 0; start < cols; start += kThreads) {
    const std::int64_t c = start + threadIdx.x;
    const std::uint32_t key = c < cols ? key_at(c) : 0u;
    const std::uint32_t tie = key != 0 && key == threshold ? 1u : 0u;
    std::uint32_t tie_rank = 0, tie_total = 0;
    Scan(temp.scan).ExclusiveSum(tie, tie_rank, tie_total);
    __syncthreads();
    const std::uint32_t chosen = Select::taken(key, threshold, ties, ties_seen + tie_rank) ? 1u : 0u;
    std::uint32_t position = 0, chosen_total = 0;
    Scan(temp.scan).ExclusiveSum(chosen, position, chosen_total);
    __syncthreads();
    if (chosen) {
      index[r * k + written + position] = static_cast<std::int32_t>(c);
      value[r * k + written + position] = row[c] + bias[c];
    }
    written += chosen_total;
    ties_seen += tie_total;
  }
  if (threadIdx.x == 0) counts[r] = written;
}

}  // namespace

void CudaBackend::topk_rows(std::int64_t rows, std::int64_t cols, const float* in, const float* bias,
                            const std::uint8_t* allowed, std::int64_t k, std::int64_t* counts, std::int32_t* index,
                            float* value) {
  if (rows <= 0) return;
  topk_rows_kernel<<<static_cast<unsigned>(rows), kThreads, 0, stream_>>>(cols, in, bias, allowed, k, counts, index,
                                                                           value);
  COACT_CUDA_CHECK(cudaGetLastError());
}

}  // namespace coact::backend::cuda
