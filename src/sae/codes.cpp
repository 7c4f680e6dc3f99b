#include "codes.h"

#include "coact/core/errors.h"

namespace coact::sae::detail {

Selection inference_selection(const Sae& sae) {
  switch (sae.kind()) {
    case EncoderKind::Relu: return Selection::relu();
    case EncoderKind::TopK: return Selection::topk(sae.k());
    case EncoderKind::Gated: {
      backend::CodeRule rule;
      rule.kind = backend::CodeRule::Kind::Gated;
      rule.mag_scale = sae.mag_scale();
      rule.mag_bias = sae.b_mag();
      return Selection::by_rule(rule);
    }
    case EncoderKind::JumpRelu:
    case EncoderKind::BatchTopK:
    case EncoderKind::Matryoshka: {
      backend::CodeRule rule;
      rule.kind = backend::CodeRule::Kind::Threshold;
      rule.threshold = sae.threshold();
      return Selection::by_rule(rule);
    }
  }
  return Selection::relu();
}

namespace {

// A code about to be counted: its shape, selection and count arrays.
void start_count(const Selection& selection, std::int64_t rows, std::int64_t cols, CodeBuffers& codes) {
  backend::Backend& b = *codes.backend;
  codes.rows = rows;
  codes.cols = cols;
  codes.selection = selection;
  codes.stride = 0;
  ensure_capacity(b, codes.counts, rows);
  ensure_capacity(b, codes.offsets, rows + 1);
}

void reserve_entries(CodeBuffers& codes) {
  ensure_capacity(*codes.backend, codes.index, codes.nnz);
  ensure_capacity(*codes.backend, codes.value, codes.nnz);
}

}  // namespace

std::int64_t count_codes(const Selection& selection, const float* pre, const float* bias, std::int64_t rows,
                         std::int64_t cols, CodeBuffers& codes) {
  backend::Backend& b = *codes.backend;
  start_count(selection, rows, cols, codes);
  switch (selection.mode) {
    case Selection::Mode::Relu: b.count_positive(rows, cols, pre, bias, codes.counts.data()); break;
    case Selection::Mode::Rule: b.count_selected(rows, cols, pre, bias, selection.rule, codes.counts.data()); break;
    case Selection::Mode::TopK: {
      const std::int64_t k = selection.k;
      codes.stride = k;
      ensure_capacity(b, codes.padded_index, rows * k);
      ensure_capacity(b, codes.padded_value, rows * k);
      b.topk_rows(rows, cols, pre, bias, selection.allowed, k, codes.counts.data(), codes.padded_index.data(),
                  codes.padded_value.data());
      break;
    }
  }
  codes.nnz = b.exclusive_scan(rows, codes.counts.data(), codes.offsets.data());
  return codes.nnz;
}

void count_codes_two(const backend::CodeRule& first_rule, const backend::CodeRule& second_rule, const float* pre,
                     const float* bias, std::int64_t rows, std::int64_t cols, CodeBuffers& first,
                     CodeBuffers& second) {
  backend::Backend& b = *first.backend;
  start_count(Selection::by_rule(first_rule), rows, cols, first);
  start_count(Selection::by_rule(second_rule), rows, cols, second);
  b.count_selected_two(rows, cols, pre, bias, first_rule, first.counts.data(), second_rule, second.counts.data());
  first.nnz = b.exclusive_scan(rows, first.counts.data(), first.offsets.data());
  second.nnz = b.exclusive_scan(rows, second.counts.data(), second.offsets.data());
}

void fill_codes_two(const float* pre, const float* bias, CodeBuffers& first, CodeBuffers& second) {
  COACT_REQUIRE(first.selection.mode == Selection::Mode::Rule && second.selection.mode == Selection::Mode::Rule &&
                    first.rows == second.rows && first.cols == second.cols,
                Error, "fill_codes_two: two rule codes of the same pre-activations (count_codes_two)");
  reserve_entries(first);
  reserve_entries(second);
  first.backend->gather_selected_two(first.rows, first.cols, pre, bias, first.selection.rule, first.offsets.data(),
                                     first.index.data(), first.value.data(), second.selection.rule,
                                     second.offsets.data(), second.index.data(), second.value.data());
}

void fill_codes(const float* pre, const float* bias, CodeBuffers& codes) {
  backend::Backend& b = *codes.backend;
  reserve_entries(codes);
  switch (codes.selection.mode) {
    case Selection::Mode::Relu:
      b.gather_positive(codes.rows, codes.cols, pre, bias, codes.offsets.data(), codes.index.data(), codes.value.data());
      break;
    case Selection::Mode::Rule:
      b.gather_selected(codes.rows, codes.cols, pre, bias, codes.selection.rule, codes.offsets.data(),
                        codes.index.data(), codes.value.data());
      break;
    case Selection::Mode::TopK:
      b.compact_rows(codes.rows, codes.stride, codes.offsets.data(), codes.padded_index.data(),
                     codes.padded_value.data(), codes.index.data(), codes.value.data());
      break;
  }
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
