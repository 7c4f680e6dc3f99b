#include "coact/backend/ops/reduce.h"
#include "cuda/cuda_backend.h"
#include "cuda/launch.cuh"

namespace coact::backend::cuda {

void CudaBackend::column_activity(std::int64_t rows, std::int64_t cols, const float* z, float* fire, float* sums) {
  for_each_index(stream_, cols, ops::ColumnActivity<1>{rows, cols, z, fire, sums});
}

}  // namespace coact::backend::cuda
