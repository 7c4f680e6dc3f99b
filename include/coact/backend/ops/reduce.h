// Column reductions over a rows×cols matrix, shared by every backend. An item sums a block of
// Block adjacent columns over all rows, in row order, into double accumulators: the cpu runs
// wide blocks (contiguous, vectorised reads of each row), the GPU one column per thread
// (coalesced across the warp). Neither order depends on the thread count, so sums are
// deterministic and equal on every backend up to the final rounding to float.
#pragma once

#include <cstdint>

#include "coact/core/hd.h"

namespace coact::backend::ops {

// Items a column-block functor needs for `cols` columns.
COACT_HD inline std::int64_t column_blocks(std::int64_t cols, std::int64_t block) { return (cols + block - 1) / block; }

template <int Block>
struct ColumnSums {
  std::int64_t rows;
  std::int64_t cols;
  const float* in;
  bool accumulate;
  float* out;
  COACT_HD void operator()(std::int64_t item) const {
    const std::int64_t first = item * Block;
    const std::int64_t width = cols - first < Block ? cols - first : Block;
    double acc[Block];
    for (std::int64_t c = 0; c < width; ++c) acc[c] = 0.0;
    for (std::int64_t r = 0; r < rows; ++r) {
      const float* row = in + r * cols + first;
      for (std::int64_t c = 0; c < width; ++c) acc[c] += row[c];
    }
    for (std::int64_t c = 0; c < width; ++c)
      out[first + c] = static_cast<float>(accumulate ? out[first + c] + acc[c] : acc[c]);
  }
};

// How often each column of a code matrix is active, and its sum (the L1 of a ReLU code).
template <int Block>
struct ColumnActivity {
  std::int64_t rows;
  std::int64_t cols;
  const float* z;
  float* fire;
  float* sums;
  COACT_HD void operator()(std::int64_t item) const {
    const std::int64_t first = item * Block;
    const std::int64_t width = cols - first < Block ? cols - first : Block;
    double acc[Block];
    std::int64_t count[Block];
    for (std::int64_t c = 0; c < width; ++c) {
      acc[c] = 0.0;
      count[c] = 0;
    }
    for (std::int64_t r = 0; r < rows; ++r) {
      const float* row = z + r * cols + first;
      for (std::int64_t c = 0; c < width; ++c) {
        acc[c] += row[c];
        count[c] += row[c] > 0.0f ? 1 : 0;
      }
    }
    for (std::int64_t c = 0; c < width; ++c) {
      sums[first + c] = static_cast<float>(acc[c]);
      fire[first + c] = static_cast<float>(count[c]);
    }
  }
};

}  // namespace coact::backend::ops
