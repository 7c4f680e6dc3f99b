// One thread per element; the activations are the cpu's (ops/gated.h). The KL divergence of
// the evaluation runs one thread per row (ops/cross_entropy.h): a few passes per batch.
#include "coact/backend/ops/cross_entropy.h"
#include "coact/backend/ops/gated.h"
#include "cuda/cuda_backend.h"
#include "cuda/launch.cuh"

namespace coact::backend::cuda {

void CudaBackend::gated_activation(std::int64_t count, Activation kind, const float* gate, const float* up,
                                   float* out) {
  ops::launch_gated_activation(kind, gate, up, out, [&](const auto& f) { for_each_index(stream_, count, f); });
}

void CudaBackend::softcap(std::int64_t count, float cap, float* x) { for_each_index(stream_, count, ops::SoftCap{cap, x}); }

void CudaBackend::kl_divergence_rows(std::int64_t rows, std::int64_t vocab, const float* reference,
                                     const float* logits, std::int64_t ld, const std::int32_t* targets, float* out) {
  for_each_index(stream_, rows, ops::KlDivergenceRows{vocab, ld, reference, logits, targets, out});
}

}  // namespace coact::backend::cuda
