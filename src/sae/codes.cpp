#include "codes.h"

namespace coact::sae::detail {

std::int64_t count_codes(Activation activation, std::int64_t k, const float* pre, const float* bias,
                         const std::uint8_t* allowed, std::int64_t rows, std::int64_t cols, CodeBuffers& codes) {
  backend::Backend& b = *codes.backend;
  codes.rows = rows;
  codes.cols = cols;
  ensure_capacity(b, codes.counts, rows);
  ensure_capacity(b, codes.offsets, rows + 1);
  if (activation == Activation::Relu) {
    codes.stride = 0;
    b.count_positive(rows, cols, pre, bias, codes.counts.data());
  } else {
    codes.stride = k;
    ensure_capacity(b, codes.padded_index, rows * k);
    ensure_capacity(b, codes.padded_value, rows * k);
    b.topk_rows(rows, cols, pre, bias, allowed, k, codes.counts.data(), codes.padded_index.data(),
                codes.padded_value.data());
  }
  codes.nnz = b.exclusive_scan(rows, codes.counts.data(), codes.offsets.data());
  return codes.nnz;
}

void fill_codes(const float* pre, const float* bias, CodeBuffers& codes) {
  backend::Backend& b = *codes.backend;
  ensure_capacity(b, codes.index, codes.nnz);
  ensure_capacity(b, codes.value, codes.nnz);
  if (codes.stride == 0)
    b.gather_positive(codes.rows, codes.cols, pre, bias, codes.offsets.data(), codes.index.data(), codes.value.data());
  else
    b.compact_rows(codes.rows, codes.stride, codes.offsets.data(), codes.padded_index.data(),
                   codes.padded_value.data(), codes.index.data(), codes.value.data());
}

void group_by_column(CodeBuffers& codes) {
  backend::Backend& b = *codes.backend;
  ensure_capacity(b, codes.entry_rows, codes.nnz);
  ensure_capacity(b, codes.col_row, codes.nnz);
  ensure_capacity(b, codes.col_entry, codes.nnz);
  ensure_capacity(b, codes.col_offsets, codes.cols + 1);
  b.sparse_transpose(codes.rows, codes.cols, codes.nnz, codes.view(), codes.entry_rows.data(),
                     codes.col_offsets.data(), codes.col_entry.data(), codes.col_row.data());
}

}  // namespace coact::sae::detail
