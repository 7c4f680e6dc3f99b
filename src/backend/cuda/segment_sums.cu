#include "coact/backend/ops/sparse_codes.h"
#include "cuda/cuda_backend.h"
#include "cuda/launch.cuh"

namespace coact::backend::cuda {

void CudaBackend::segment_sums(std::int64_t n, SparseColumns columns, const float* values, bool accumulate,
                               float* out) {
  for_each_index(stream_, n, ops::SegmentSums{columns, values, accumulate, out});
}

}  // namespace coact::backend::cuda
