// One thread per output element: consecutive threads read consecutive columns of the same
// embedding rows (coalesced).
#include "coact/backend/ops/embedding.h"
#include "cuda/cuda_backend.h"
#include "cuda/launch.cuh"

namespace coact::backend::cuda {

void CudaBackend::embed_tokens(std::int64_t rows, std::int64_t cols, std::int64_t seq_len, const std::int32_t* tokens,
                               const float* wte, const float* wpe, float* out) {
  for_each_index(stream_, rows * cols, ops::EmbedTokens{cols, seq_len, tokens, wte, wpe, out});
}

}  // namespace coact::backend::cuda
