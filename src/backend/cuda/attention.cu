// Attention as llm.c's attention_forward does it: split the packed rows into per-head blocks
// (a grouped-query head gets a copy of its key/value head), scores = Q·Kᵀ for every (sequence,
// head) in one strided batched cuBLAS call, the masked softmax of every score row (the cpu's
// ops::AttentionSoftmaxRows, one thread per row),
// out = P·V in a second batched call, and the heads merged back into rows. Sequences go in
// chunks so that the scratch (scores are seq_len² per head) stays below kScratchBytes.
#include <algorithm>

#include "cuda/cuda_check.h"
#include "coact/backend/ops/attention.h"
#include "cuda/cuda_backend.h"
#include "cuda/launch.cuh"
#include "cuda/scratch.cuh"

namespace coact::backend::cuda {
namespace {

constexpr std::int64_t kScratchBytes = std::int64_t{256} << 20;

}  // namespace

void CudaBackend::attention(const AttentionShape& shape, const float* qkv, float* out) {
  const std::int64_t T = shape.seq_len, dh = shape.head_dim, H = shape.heads;
  if (shape.sequences == 0 || T == 0 || H == 0) return;
  const std::int64_t block = T * dh;  // one head's q (or k, v, output) of one sequence
  const std::int64_t per_sequence = H * (4 * block + T * T);
  const std::int64_t chunk =
      std::clamp<std::int64_t>(kScratchBytes / static_cast<std::int64_t>(sizeof(float) * per_sequence), 1,
                               shape.sequences);
  DeviceScratch scratch(*this, static_cast<std::size_t>(chunk * per_sequence) * sizeof(float));
  float* q = scratch.as<float>();
  float* k = q + chunk * H * block;
  float* v = k + chunk * H * block;
  float* o = v + chunk * H * block;
  float* scores = o + chunk * H * block;
  const float one = 1.0f, zero = 0.0f;
  const std::int64_t width = shape.width();

  for (std::int64_t first = 0; first < shape.sequences; first += chunk) {
    AttentionShape part = shape;
    part.sequences = std::min(chunk, shape.sequences - first);
    const int batch = static_cast<int>(part.sequences * H);
    const float* part_qkv = qkv + first * T * shape.input_width();
    for_each_index(stream_, batch * block, ops::SplitHeads{part, part_qkv, q, k, v});
    // Row-major S[T×T] = Q[T×dh]·Kᵀ is column-major Sᵀ = K·Qᵀ (see gemm.cu for the mapping).
    COACT_CUBLAS_CHECK(cublasSgemmStridedBatched(blas_, CUBLAS_OP_T, CUBLAS_OP_N, static_cast<int>(T),
                                                 static_cast<int>(T), static_cast<int>(dh), &one, k,
                                                 static_cast<int>(dh), block, q, static_cast<int>(dh), block, &zero,
                                                 scores, static_cast<int>(T), T * T, batch));
    for_each_index(stream_, batch * T, ops::AttentionSoftmaxRows{part, first, scores});
    // Row-major O[T×dh] = P[T×T]·V[T×dh] is column-major Oᵀ = Vᵀ·Pᵀ.
    COACT_CUBLAS_CHECK(cublasSgemmStridedBatched(blas_, CUBLAS_OP_N, CUBLAS_OP_N, static_cast<int>(dh),
                                                 static_cast<int>(T), static_cast<int>(T), &one, v,
                                                 static_cast<int>(dh), block, scores, static_cast<int>(T), T * T,
                                                 &zero, o, static_cast<int>(dh), block, batch));
    for_each_index(stream_, batch * block, ops::MergeHeads{part, o, out + first * T * width});
  }
}

}  // namespace coact::backend::cuda
