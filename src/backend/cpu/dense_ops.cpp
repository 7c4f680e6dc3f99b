// cpu: the dense helpers of the SAE step (broadcasts, ReLU backward, column reductions,
// residuals). Column reductions use wide column blocks: each item streams contiguous row
// segments, which the prefetcher follows.
#include "coact/backend/ops/elementwise.h"
#include "coact/backend/ops/loss.h"
#include "coact/backend/ops/reduce.h"
#include "cpu/cpu_backend.h"
#include "cpu/parallel_for.h"

namespace coact::backend::cpu {
namespace {
constexpr int kColumnBlock = 256;
}  // namespace

void CpuBackend::add_row_vector(std::int64_t rows, std::int64_t cols, float alpha, const float* v, const float* in,
                                float* out) {
  parallel_for_rows(rows, cols, ops::AddRowVector{cols, alpha, v, in, out});
}

void CpuBackend::relu_backward(std::int64_t count, float l1, const float* dz, float* z_dpre) {
  parallel_for(count, ops::ReluBackward{l1, dz, z_dpre});
}

void CpuBackend::column_sums(std::int64_t rows, std::int64_t cols, const float* in, bool accumulate, float* out) {
  parallel_for_items(ops::column_blocks(cols, kColumnBlock), ops::ColumnSums<kColumnBlock>{rows, cols, in, accumulate, out}, 1);
}

void CpuBackend::column_activity(std::int64_t rows, std::int64_t cols, const float* z, float* fire, float* sums) {
  parallel_for_items(ops::column_blocks(cols, kColumnBlock), ops::ColumnActivity<kColumnBlock>{rows, cols, z, fire, sums}, 1);
}

void CpuBackend::residual(std::int64_t rows, std::int64_t cols, const float* xhat, const float* x, const float* xc,
                          float scale, float* grad, float* row_stats) {
  parallel_for_items(rows, ops::Residual{cols, xhat, x, xc, scale, grad, row_stats});
}

void CpuBackend::aux_residual(std::int64_t rows, std::int64_t cols, const float* ehat, const float* x,
                              const float* xhat, float scale, float* grad, float* row_stats) {
  parallel_for_items(rows, ops::AuxResidual{cols, ehat, x, xhat, scale, grad, row_stats});
}

}  // namespace coact::backend::cpu
