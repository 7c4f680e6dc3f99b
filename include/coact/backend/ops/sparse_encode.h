// Building sparse codes from dense pre-activations, shared by every backend: one item per row.
// Each row's entries are written in increasing column order, so a code has one canonical
// layout whichever backend or thread count built it.
#pragma once

#include <cstdint>

#include "coact/core/hd.h"

namespace coact::backend::ops {

struct CountPositive {
  std::int64_t cols;
  const float* in;
  const float* bias;
  std::int64_t* counts;
  COACT_HD void operator()(std::int64_t r) const {
    const float* row = in + r * cols;
    std::int64_t count = 0;
    for (std::int64_t c = 0; c < cols; ++c) count += row[c] + bias[c] > 0.0f ? 1 : 0;
    counts[r] = count;
  }
};

struct GatherPositive {
  std::int64_t cols;
  const float* in;
  const float* bias;
  const std::int64_t* offsets;
  std::int32_t* index;
  float* value;
  COACT_HD void operator()(std::int64_t r) const {
    const float* row = in + r * cols;
    std::int64_t at = offsets[r];
    for (std::int64_t c = 0; c < cols; ++c) {
      const float v = row[c] + bias[c];
      if (v > 0.0f) {
        index[at] = static_cast<std::int32_t>(c);
        value[at] = v;
        ++at;
      }
    }
  }
};

// Top-k selection with a binary min-heap kept in the row's own output slots: the root is the
// worst kept entry, and a candidate replaces it only when it is better (larger value, or equal
// value and lower column). Columns arrive in increasing order, so the scan costs one compare per
// column once the heap is full. The kept entries are then heap-sorted by column.
struct TopkRows {
  std::int64_t cols;
  const float* in;
  const float* bias;
  const std::uint8_t* allowed;  // null: every column may be chosen
  std::int64_t k;
  std::int64_t* counts;
  std::int32_t* index;
  float* value;

  COACT_HD static bool better(float va, std::int32_t ia, float vb, std::int32_t ib) {
    return va > vb || (va == vb && ia < ib);
  }
  COACT_HD static void swap_entries(std::int32_t* idx, float* val, std::int64_t a, std::int64_t b) {
    const std::int32_t ti = idx[a];
    idx[a] = idx[b];
    idx[b] = ti;
    const float tv = val[a];
    val[a] = val[b];
    val[b] = tv;
  }
  // Restores the min-heap (worst at the root) below position i of a heap of `size` entries.
  COACT_HD static void sift_down_worst(std::int32_t* idx, float* val, std::int64_t size, std::int64_t i) {
    for (;;) {
      const std::int64_t left = 2 * i + 1, right = left + 1;
      std::int64_t worst = i;
      if (left < size && better(val[worst], idx[worst], val[left], idx[left])) worst = left;
      if (right < size && better(val[worst], idx[worst], val[right], idx[right])) worst = right;
      if (worst == i) return;
      swap_entries(idx, val, i, worst);
      i = worst;
    }
  }
  // Max-heap on the column index, for the final in-place heap sort.
  COACT_HD static void sift_down_index(std::int32_t* idx, float* val, std::int64_t size, std::int64_t i) {
    for (;;) {
      const std::int64_t left = 2 * i + 1, right = left + 1;
      std::int64_t largest = i;
      if (left < size && idx[left] > idx[largest]) largest = left;
      if (right < size && idx[right] > idx[largest]) largest = right;
      if (largest == i) return;
      swap_entries(idx, val, i, largest);
      i = largest;
    }
  }

  // Offers column c (value v > 0) to the heap of `size` entries.
  COACT_HD void offer(std::int32_t* idx, float* val, std::int64_t& size, std::int64_t c, float v) const {
    const auto column = static_cast<std::int32_t>(c);
    if (size < k) {
      std::int64_t i = size++;
      idx[i] = column;
      val[i] = v;
      while (i > 0) {  // sift up: a parent better than the new entry moves down
        const std::int64_t parent = (i - 1) / 2;
        if (!better(val[parent], idx[parent], val[i], idx[i])) break;
        swap_entries(idx, val, i, parent);
        i = parent;
      }
    } else if (k > 0 && better(v, column, val[0], idx[0])) {
      idx[0] = column;
      val[0] = v;
      sift_down_worst(idx, val, size, 0);
    }
  }

  // Columns are scanned in increasing order, so a later column never wins a tie against an
  // entry already kept: a column enters only when v > 0 and, once k are kept, v > the worst
  // kept value. That bar only rises, so a block of columns none of which passes the bar at its
  // start is skipped whole by one vectorisable test (on wide SAEs nearly every block is).
  static constexpr std::int64_t kBlock = 64;

  COACT_HD void operator()(std::int64_t r) const {
    const float* row = in + r * cols;
    std::int32_t* idx = index + r * k;
    float* val = value + r * k;
    std::int64_t size = 0;
    if (allowed != nullptr) {
      for (std::int64_t c = 0; c < cols; ++c) {
        if (!allowed[c]) continue;
        const float v = row[c] + bias[c];
        if (v > 0.0f) offer(idx, val, size, c, v);
      }
    } else {
      for (std::int64_t start = 0; start < cols; start += kBlock) {
        const std::int64_t end = start + kBlock < cols ? start + kBlock : cols;
        const float bar = size < k || k == 0 ? 0.0f : val[0];
        int passes = 0;
        for (std::int64_t c = start; c < end; ++c) passes |= static_cast<int>(row[c] + bias[c] > bar);
        if (!passes) continue;
        for (std::int64_t c = start; c < end; ++c) {
          const float v = row[c] + bias[c];
          if (v > 0.0f) offer(idx, val, size, c, v);
        }
      }
    }
    for (std::int64_t i = size / 2; i-- > 0;) sift_down_index(idx, val, size, i);
    for (std::int64_t end = size; end-- > 1;) {
      swap_entries(idx, val, 0, end);
      sift_down_index(idx, val, end, 0);
    }
    counts[r] = size;
  }
};

// Item = (row, slot) of the fixed-stride layout.
struct CompactRows {
  std::int64_t stride;
  const std::int64_t* offsets;
  const std::int32_t* in_index;
  const float* in_value;
  std::int32_t* index;
  float* value;
  COACT_HD void operator()(std::int64_t i) const {
    const std::int64_t r = i / stride, slot = i % stride;
    if (slot < offsets[r + 1] - offsets[r]) {
      index[offsets[r] + slot] = in_index[i];
      value[offsets[r] + slot] = in_value[i];
    }
  }
};

struct ScatterRows {
  std::int64_t cols;
  const std::int64_t* offsets;
  const std::int32_t* index;
  const float* value;
  float* dense;
  COACT_HD void operator()(std::int64_t r) const {
    for (std::int64_t e = offsets[r]; e < offsets[r + 1]; ++e) dense[r * cols + index[e]] = value[e];
  }
};

struct EntryRows {
  const std::int64_t* offsets;
  std::int32_t* entry_rows;
  COACT_HD void operator()(std::int64_t r) const {
    for (std::int64_t e = offsets[r]; e < offsets[r + 1]; ++e) entry_rows[e] = static_cast<std::int32_t>(r);
  }
};

}  // namespace coact::backend::ops
