// cpu: building and using sparse codes. Row-producing items take the whole row (block = cols)
// so the inner loop over columns is one contiguous, vectorised pass per entry.
#include "coact/backend/ops/loss.h"
#include "coact/backend/ops/sparse_codes.h"
#include "coact/backend/ops/sparse_encode.h"
#include "cpu/cpu_backend.h"
#include "cpu/parallel_for.h"

namespace coact::backend::cpu {

void CpuBackend::count_positive(std::int64_t rows, std::int64_t cols, const float* in, const float* bias,
                                std::int64_t* counts) {
  parallel_for_items(rows, ops::CountPositive{cols, in, bias, counts});
}

std::int64_t CpuBackend::exclusive_scan(std::int64_t count, const std::int64_t* counts, std::int64_t* offsets) {
  offsets[0] = 0;
  for (std::int64_t i = 0; i < count; ++i) offsets[i + 1] = offsets[i] + counts[i];
  return offsets[count];
}

void CpuBackend::gather_positive(std::int64_t rows, std::int64_t cols, const float* in, const float* bias,
                                 const std::int64_t* offsets, std::int32_t* index, float* value) {
  parallel_for_items(rows, ops::GatherPositive{cols, in, bias, offsets, index, value});
}

void CpuBackend::topk_rows(std::int64_t rows, std::int64_t cols, const float* in, const float* bias,
                           const std::uint8_t* allowed, std::int64_t k, std::int64_t* counts, std::int32_t* index,
                           float* value) {
  parallel_for_items(rows, ops::TopkRows{cols, in, bias, allowed, k, counts, index, value});
}

void CpuBackend::compact_rows(std::int64_t rows, std::int64_t stride, const std::int64_t* offsets,
                              const std::int32_t* in_index, const float* in_value, std::int32_t* index, float* value) {
  parallel_for(rows * stride, ops::CompactRows{stride, offsets, in_index, in_value, index, value});
}

void CpuBackend::scatter_rows(std::int64_t rows, std::int64_t cols, SparseRows codes, float* dense) {
  parallel_for_items(rows, ops::ScatterRows{cols, codes.offsets, codes.index, codes.value, dense}, 64);
}

void CpuBackend::sparse_decode(std::int64_t rows, std::int64_t cols, SparseRows codes, const float* weights,
                               const float* bias, float* out) {
  parallel_for_items(rows, ops::SparseDecode{cols, cols, codes, weights, bias, out});
}

void CpuBackend::decode_residual_row_dots(std::int64_t rows, std::int64_t cols, std::int64_t, SparseRows codes,
                                          const std::int32_t* entry_rows, const float* weights, const float* bias, const float* x,
                                          const float* xc, float scale, float add, float* xhat, float* grad,
                                          float* row_stats, float* entry_grad) {
  // Row r's entries are r's (entry_rows[e] == r), so each row's items run back to back; the
  // functors and their order per output are the separate ops'.
  const ops::SparseDecode decode{cols, cols, codes, weights, bias, xhat};
  const ops::Residual residual{cols, xhat, x, xc, scale, grad, row_stats};
  const ops::SparseRowDots dots{cols, codes, entry_rows, grad, weights, add, entry_grad};
  parallel_for_items(rows, [&](std::int64_t r) {
    decode(r);
    residual(r);
    for (std::int64_t e = codes.offsets[r]; e < codes.offsets[r + 1]; ++e) dots(e);
  });
}

void CpuBackend::sparse_row_dots(std::int64_t nnz, std::int64_t cols, SparseRows codes, const std::int32_t* entry_rows,
                                 const float* g, const float* weights, float add, float* out) {
  parallel_for_items(nnz, ops::SparseRowDots{cols, codes, entry_rows, g, weights, add, out}, 64);
}

void CpuBackend::sparse_accumulate_rows(std::int64_t n, std::int64_t cols, SparseColumns columns, const float* coef_a,
                                        const float* a, float* out_a, const float* coef_b, const float* b,
                                        float* out_b, bool accumulate) {
  parallel_for_items(n, ops::SparseAccumulateRows{cols, cols, columns, coef_a, a, out_a, coef_b, b, out_b, accumulate});
}

void CpuBackend::segment_sums(std::int64_t n, SparseColumns columns, const float* values, bool accumulate,
                              float* out) {
  parallel_for_items(n, ops::SegmentSums{columns, values, accumulate, out}, 256);
}

void CpuBackend::segment_counts(std::int64_t n, const std::int64_t* col_offsets, float* out) {
  parallel_for(n, ops::SegmentCounts{col_offsets, out});
}

}  // namespace coact::backend::cpu
