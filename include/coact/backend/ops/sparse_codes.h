// Products with sparse codes, shared by every backend. The SAE decoder product, the decoder and
// encoder gradients and the code gradient touch only the active (feature, token) entries.
// Items that produce rows of a matrix cover `block` adjacent columns: the cpu passes the whole
// row (one vectorised inner loop per entry), the GPU one column per thread (coalesced reads of
// the weight rows across a warp). Every output element is summed by one item in entry order,
// so results are deterministic.
#pragma once

#include <cstdint>

#include "coact/backend/ops/lanes.h"
#include "coact/backend/sparse.h"
#include "coact/core/hd.h"

namespace coact::backend::ops {

// out[r, :] = bias + Σ_e value[e] · weights[index[e], :]
struct SparseDecode {
  std::int64_t cols;
  std::int64_t block;
  SparseRows codes;
  const float* weights;
  const float* bias;
  float* out;
  COACT_HD void operator()(std::int64_t item) const {
    const std::int64_t blocks = (cols + block - 1) / block;
    const std::int64_t r = item / blocks, first = (item % blocks) * block;
    const std::int64_t width = cols - first < block ? cols - first : block;
    float* o = out + r * cols + first;
    for (std::int64_t c = 0; c < width; ++c) o[c] = bias ? bias[first + c] : 0.0f;
    for (std::int64_t e = codes.offsets[r]; e < codes.offsets[r + 1]; ++e) {
      const float v = codes.value[e];
      const float* w = weights + static_cast<std::int64_t>(codes.index[e]) * cols + first;
      for (std::int64_t c = 0; c < width; ++c) o[c] += v * w[c];
    }
  }
};

// out[e] = ⟨g[row(e), :], weights[index[e], :]⟩ + add: the gradient reaching each active code
// entry from the reconstruction (plus the L1 term's constant derivative).
struct SparseRowDots {
  std::int64_t cols;
  SparseRows codes;
  const std::int32_t* entry_rows;
  const float* g;
  const float* weights;
  float add;
  float* out;
  COACT_HD void operator()(std::int64_t e) const {
    const float* gr = g + static_cast<std::int64_t>(entry_rows[e]) * cols;
    const float* w = weights + static_cast<std::int64_t>(codes.index[e]) * cols;
    out[e] = dot_lanes(gr, w, cols) + add;
  }
};

// out_a[j, :] = Σ_{e in column j} coef_a[e] · a[row(e), :] (and the same for b): the decoder
// gradient (coef = code, a = dL/dxhat) and the encoder gradient (coef = dL/dpre, b = x − b_dec)
// of feature j, in one pass over its entries.
struct SparseAccumulateRows {
  std::int64_t cols;
  std::int64_t block;
  SparseColumns columns;
  const float* coef_a;
  const float* a;
  float* out_a;
  const float* coef_b;
  const float* b;
  float* out_b;
  bool accumulate;
  COACT_HD void operator()(std::int64_t item) const {
    const std::int64_t blocks = (cols + block - 1) / block;
    const std::int64_t j = item / blocks, first = (item % blocks) * block;
    const std::int64_t width = cols - first < block ? cols - first : block;
    float* oa = out_a + j * cols + first;
    float* ob = b ? out_b + j * cols + first : nullptr;
    if (!accumulate) {
      for (std::int64_t c = 0; c < width; ++c) oa[c] = 0.0f;
      if (ob)
        for (std::int64_t c = 0; c < width; ++c) ob[c] = 0.0f;
    }
    for (std::int64_t p = columns.offsets[j]; p < columns.offsets[j + 1]; ++p) {
      const std::int64_t e = columns.entry[p];
      const std::int64_t row = columns.row[p];
      const float ca = coef_a[e];
      const float* ar = a + row * cols + first;
      for (std::int64_t c = 0; c < width; ++c) oa[c] += ca * ar[c];
      if (ob) {
        const float cb = coef_b[e];
        const float* br = b + row * cols + first;
        for (std::int64_t c = 0; c < width; ++c) ob[c] += cb * br[c];
      }
    }
  }
};

struct SegmentSums {
  SparseColumns columns;
  const float* values;
  bool accumulate;
  float* out;
  COACT_HD void operator()(std::int64_t j) const {
    double sum = 0.0;
    for (std::int64_t p = columns.offsets[j]; p < columns.offsets[j + 1]; ++p) sum += values[columns.entry[p]];
    out[j] = static_cast<float>(accumulate ? out[j] + sum : sum);
  }
};

struct SegmentCounts {
  const std::int64_t* offsets;
  float* out;
  COACT_HD void operator()(std::int64_t j) const { out[j] = static_cast<float>(offsets[j + 1] - offsets[j]); }
};

}  // namespace coact::backend::ops
