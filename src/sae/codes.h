// Sparse codes on the device, shared by inference (Encoder) and training (SaeTrainer): the
// grow-only arrays of one code and its column grouping, and the two-phase build (count or
// select, then fill) on the Backend ops.
#pragma once

#include <cstdint>

#include "coact/backend/backend.h"
#include "coact/backend/buffer.h"
#include "coact/backend/sparse.h"
#include "coact/sae/sae.h"

namespace coact::sae::detail {

// Resizes b to hold at least `count` elements (with headroom, so a code whose size drifts from
// step to step does not reallocate every step). Contents are not kept.
template <class T>
void ensure_capacity(backend::Backend& backend, backend::Buffer<T>& b, std::int64_t count) {
  const auto wanted = static_cast<std::size_t>(count);
  if (b.size() < wanted || b.size() == 0) b = backend::Buffer<T>(backend, wanted + wanted / 4 + 16);
}

// How a code is selected from pre-activations (+ bias): ReLU (the positives), per-row TopK
// (the k best positives, among `allowed` columns when not null), or a CodeRule (the other
// encoder kinds and the trainer's JumpReLU band and BatchTopK selection).
struct Selection {
  enum class Mode { Relu, TopK, Rule };
  Mode mode = Mode::Relu;
  std::int64_t k = 0;
  const std::uint8_t* allowed = nullptr;
  backend::CodeRule rule;

  static Selection relu() { return {}; }
  static Selection topk(std::int64_t k, const std::uint8_t* allowed = nullptr) { return {Mode::TopK, k, allowed, {}}; }
  static Selection by_rule(const backend::CodeRule& rule) { return {Mode::Rule, 0, nullptr, rule}; }
};

// The inference selection of an SAE's encoder kind (for pre-activations with bias b_enc).
Selection inference_selection(const Sae& sae);

struct CodeBuffers {
  explicit CodeBuffers(backend::Backend& b) : backend(&b) {}

  backend::Backend* backend;
  std::int64_t rows = 0, cols = 0, nnz = 0;
  Selection selection;      // of the last count_codes
  std::int64_t stride = 0;  // TopK: the selection's slots per row (0 otherwise)
  backend::Buffer<std::int64_t> counts, offsets;
  backend::Buffer<std::int32_t> padded_index;  // rows×stride (TopK)
  backend::Buffer<float> padded_value;
  backend::Buffer<std::int32_t> index;  // nnz
  backend::Buffer<float> value;
  backend::Buffer<float> grad;  // per entry: dL/d(pre-activation)
  backend::Buffer<std::int32_t> entry_rows, col_row;
  backend::Buffer<std::int64_t> col_offsets, col_entry;

  backend::SparseRows view() const { return {offsets.data(), index.data(), value.data()}; }
  backend::SparseColumns columns() const { return {col_offsets.data(), col_entry.data(), col_row.data()}; }
};

// Phase 1: how many entries the code of rows×cols pre-activations `pre` (+ bias) has under the
// selection. Returns nnz (a device-to-host read).
std::int64_t count_codes(const Selection& selection, const float* pre, const float* bias, std::int64_t rows,
                         std::int64_t cols, CodeBuffers& codes);
// Phase 2: writes the CSR arrays (index, value) of the counted code (same pre and bias).
void fill_codes(const float* pre, const float* bias, CodeBuffers& codes);
// Both phases for two rule codes of the same pre-activations at once (JumpReLU's code and its
// band): each row of `pre` is read once for the two.
void count_codes_two(const backend::CodeRule& first_rule, const backend::CodeRule& second_rule, const float* pre,
                     const float* bias, std::int64_t rows, std::int64_t cols, CodeBuffers& first, CodeBuffers& second);
void fill_codes_two(const float* pre, const float* bias, CodeBuffers& first, CodeBuffers& second);
// Groups the filled code by column (entry_rows, col_*).
void group_by_column(CodeBuffers& codes);

}  // namespace coact::sae::detail
