// One thread per element; the activations are the cpu's (ops/gated.h).
#include "coact/backend/ops/gated.h"
#include "cuda/cuda_backend.h"
#include "cuda/launch.cuh"

namespace coact::backend::cuda {

void CudaBackend::gated_activation(std::int64_t count, Activation kind, const float* gate, const float* up,
                                   float* out) {
  ops::launch_gated_activation(kind, gate, up, out, [&](const auto& f) { for_each_index(stream_, count, f); });
}

void CudaBackend::softcap(std::int64_t count, float cap, float* x) { for_each_index(stream_, count, ops::SoftCap{cap, x}); }

}  // namespace coact::backend::cuda
