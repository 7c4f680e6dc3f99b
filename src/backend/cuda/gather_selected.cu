#include "coact/backend/ops/code_rules.h"
#include "cuda/cuda_backend.h"
#include "cuda/launch.cuh"

namespace coact::backend::cuda {

void CudaBackend::gather_selected(std::int64_t rows, std::int64_t cols, const float* in, const float* bias,
                                  const CodeRule& rule, const std::int64_t* offsets, std::int32_t* index,
                                  float* value) {
  for_each_index(stream_, rows, ops::GatherSelected{cols, in, bias, rule, offsets, index, value});
}

}  // namespace coact::backend::cuda
