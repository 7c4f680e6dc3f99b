#include "coact/backend/ops/code_rules.h"
#include "cuda/cuda_backend.h"
#include "cuda/launch.cuh"

namespace coact::backend::cuda {

void CudaBackend::count_selected(std::int64_t rows, std::int64_t cols, const float* in, const float* bias,
                                 const CodeRule& rule, std::int64_t* counts) {
  for_each_index(stream_, rows, ops::CountSelected{cols, in, bias, rule, counts});
}

}  // namespace coact::backend::cuda
