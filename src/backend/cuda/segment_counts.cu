#include "coact/backend/ops/sparse_codes.h"
#include "cuda/cuda_backend.h"
#include "cuda/launch.cuh"

namespace coact::backend::cuda {

void CudaBackend::segment_counts(std::int64_t n, const std::int64_t* col_offsets, float* out) {
  for_each_index(stream_, n, ops::SegmentCounts{col_offsets, out});
}

}  // namespace coact::backend::cuda
