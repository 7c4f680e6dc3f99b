// One thread per element adds to a global histogram with integer atomics: the counts, being
// integer sums, do not depend on the order the additions land in.
#include "coact/backend/ops/code_rules.h"
#include "cuda/cuda_backend.h"
#include "cuda/launch.cuh"

namespace coact::backend::cuda {
namespace {

struct CountBucket {
  std::int64_t cols;
  const float* in;
  const float* bias;
  std::int64_t prefix;
  unsigned long long* counts;
  __device__ void operator()(std::int64_t i) const {
    const std::int64_t bucket = ops::value_bucket(in[i] + bias[i % cols], prefix);
    if (bucket >= 0) atomicAdd(counts + bucket, 1ull);
  }
};

}  // namespace

void CudaBackend::value_histogram(std::int64_t rows, std::int64_t cols, const float* in, const float* bias,
                                  std::int64_t prefix, std::int64_t* counts) {
  static_assert(sizeof(unsigned long long) == sizeof(std::int64_t));
  COACT_CUDA_CHECK(cudaMemsetAsync(counts, 0, kValueBuckets * sizeof(std::int64_t), stream_));
  for_each_index(stream_, rows * cols,
                 CountBucket{cols, in, bias, prefix, reinterpret_cast<unsigned long long*>(counts)});
}

}  // namespace coact::backend::cuda
