// Initial and resampled weights drawn from the counter-based RNG, shared by every backend. Each
// element's value depends only on (key, stream, its flat index in the presented tensor), so a
// tensor is identical on every rank, machine and backend, whatever its internal layout.
#pragma once

#include <cstdint>

#include "coact/backend/sparse.h"
#include "coact/core/hd.h"
#include "coact/core/rng.h"

namespace coact::backend::ops {

// U(−bound, bound) from the draw at `position`: (2u − 1) is exact in double and is rounded once
// after the multiply, so every compiler and device gives the same float.
COACT_HD inline float uniform_symmetric(std::uint64_t key, std::uint64_t stream, std::uint64_t position,
                                        double bound) {
  CounterRng rng(key, stream, position);
  const double u = static_cast<double>(rng.uniform());
  return static_cast<float>((2.0 * u - 1.0) * bound);
}

// Item = (listed row, column).
struct UniformRows {
  std::int64_t cols;
  const std::int32_t* row_list;
  UniformRowsParams p;
  float* out;
  COACT_HD void operator()(std::int64_t i) const {
    const std::int64_t k = i / cols, c = i % cols;
    const std::int64_t r = row_list ? row_list[k] : k;
    const auto flat = static_cast<std::uint64_t>(p.flat_offset + r * p.flat_row_stride + c * p.flat_col_stride);
    out[r * cols + c] = uniform_symmetric(p.key, p.stream, flat, p.bound);
  }
};

}  // namespace coact::backend::ops
