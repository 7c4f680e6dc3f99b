// Runs a shared COACT_HD functor over [0, n) on a stream: the CUDA twin of cpu::parallel_for.
#pragma once

#include <cuda_runtime.h>

#include <cstdint>

#include "cuda/cuda_check.h"

namespace coact::backend::cuda {

template <class F>
__global__ void for_each_index_kernel(std::int64_t n, F f) {
  const std::int64_t stride = static_cast<std::int64_t>(blockDim.x) * gridDim.x;
  for (std::int64_t i = static_cast<std::int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < n; i += stride) f(i);
}

template <class F>
void for_each_index(cudaStream_t stream, std::int64_t n, const F& f) {
  if (n <= 0) return;
  constexpr int threads = 256;
  const std::int64_t wanted = (n + threads - 1) / threads;
  const int blocks = static_cast<int>(wanted < 65535 ? wanted : 65535);
  for_each_index_kernel<<<blocks, threads, 0, stream>>>(n, f);
  COACT_CUDA_CHECK(cudaGetLastError());
}

}  // namespace coact::backend::cuda
