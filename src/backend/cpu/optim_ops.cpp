// cpu: the optimiser step, decoder-row projection and normalisation, and RNG initialisation.
#include "coact/backend/ops/init.h"
#include "coact/backend/ops/optim.h"
#include "cpu/cpu_backend.h"
#include "cpu/parallel_for.h"

namespace coact::backend::cpu {

void CpuBackend::adam_update(std::int64_t count, const AdamParams& params, const float* grad, float* param, float* m,
                             float* v) {
  parallel_for(count, ops::AdamUpdate{params, grad, param, m, v});
}

void CpuBackend::project_out_rows(std::int64_t rows, std::int64_t cols, const float* w, float* g) {
  parallel_for_items(rows, ops::ProjectOutRows{cols, w, g}, 64);
}

void CpuBackend::normalize_rows(std::int64_t count, std::int64_t cols, const std::int32_t* row_list, float eps,
                                float* w) {
  parallel_for_items(count, ops::NormalizeRows{cols, row_list, eps, w}, 64);
}

void CpuBackend::uniform_rows(std::int64_t count, std::int64_t cols, const std::int32_t* row_list,
                              const UniformRowsParams& params, float* out) {
  parallel_for(count * cols, ops::UniformRows{cols, row_list, params, out});
}

}  // namespace coact::backend::cpu
