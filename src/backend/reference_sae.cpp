// Plain reference versions of the SAE ops (dense helpers, sparse codes, optimiser): one loop
// nest each, sums in double, written independently of the shared ops/ functors so the op tests
// compare two implementations rather than one with itself.
#include <algorithm>
#include <cmath>
#include <utility>
#include <vector>

#include "coact/backend/reference.h"
#include "coact/core/rng.h"

namespace coact::backend::reference {

void add_row_vector(std::int64_t rows, std::int64_t cols, float alpha, const float* v, const float* in, float* out) {
  for (std::int64_t r = 0; r < rows; ++r)
    for (std::int64_t c = 0; c < cols; ++c) out[r * cols + c] = in[r * cols + c] + alpha * v[c];
}

void relu_backward(std::int64_t count, float l1, const float* dz, float* z_dpre) {
  for (std::int64_t i = 0; i < count; ++i) z_dpre[i] = z_dpre[i] > 0.0f ? dz[i] + l1 : 0.0f;
}

void column_sums(std::int64_t rows, std::int64_t cols, const float* in, bool accumulate, float* out) {
  for (std::int64_t c = 0; c < cols; ++c) {
    double sum = accumulate ? out[c] : 0.0;
    for (std::int64_t r = 0; r < rows; ++r) sum += in[r * cols + c];
    out[c] = static_cast<float>(sum);
  }
}

void column_activity(std::int64_t rows, std::int64_t cols, const float* z, float* fire, float* sums) {
  for (std::int64_t c = 0; c < cols; ++c) {
    double sum = 0.0;
    std::int64_t count = 0;
    for (std::int64_t r = 0; r < rows; ++r) {
      sum += z[r * cols + c];
      if (z[r * cols + c] > 0.0f) ++count;
    }
    sums[c] = static_cast<float>(sum);
    fire[c] = static_cast<float>(count);
  }
}

void residual(std::int64_t rows, std::int64_t cols, const float* xhat, const float* x, const float* xc, float scale,
              float* grad, float* row_stats) {
  for (std::int64_t r = 0; r < rows; ++r) {
    double sse = 0.0, centered = 0.0;
    for (std::int64_t c = 0; c < cols; ++c) {
      const double diff = static_cast<double>(xhat[r * cols + c]) - x[r * cols + c];
      grad[r * cols + c] = static_cast<float>(scale * diff);
      sse += diff * diff;
      centered += static_cast<double>(xc[r * cols + c]) * xc[r * cols + c];
    }
    row_stats[r * 3 + 0] = static_cast<float>(sse);
    row_stats[r * 3 + 1] = static_cast<float>(centered);
    row_stats[r * 3 + 2] = 0.0f;
  }
}

void aux_residual(std::int64_t rows, std::int64_t cols, const float* ehat, const float* x, const float* xhat,
                  float scale, float* grad, float* row_stats) {
  for (std::int64_t r = 0; r < rows; ++r) {
    double sse = 0.0;
    for (std::int64_t c = 0; c < cols; ++c) {
      const std::int64_t i = r * cols + c;
      const double diff = static_cast<double>(ehat[i]) - (static_cast<double>(x[i]) - xhat[i]);
      grad[i] = static_cast<float>(scale * diff);
      sse += diff * diff;
    }
    row_stats[r * 3 + 2] = static_cast<float>(sse);
  }
}

void count_positive(std::int64_t rows, std::int64_t cols, const float* in, const float* bias, std::int64_t* counts) {
  for (std::int64_t r = 0; r < rows; ++r) {
    counts[r] = 0;
    for (std::int64_t c = 0; c < cols; ++c)
      if (in[r * cols + c] + bias[c] > 0.0f) ++counts[r];
  }
}

std::int64_t exclusive_scan(std::int64_t count, const std::int64_t* counts, std::int64_t* offsets) {
  offsets[0] = 0;
  for (std::int64_t i = 0; i < count; ++i) offsets[i + 1] = offsets[i] + counts[i];
  return offsets[count];
}

void gather_positive(std::int64_t rows, std::int64_t cols, const float* in, const float* bias,
                     const std::int64_t* offsets, std::int32_t* index, float* value) {
  for (std::int64_t r = 0; r < rows; ++r) {
    std::int64_t at = offsets[r];
    for (std::int64_t c = 0; c < cols; ++c) {
      const float v = in[r * cols + c] + bias[c];
      if (v > 0.0f) {
        index[at] = static_cast<std::int32_t>(c);
        value[at++] = v;
      }
    }
  }
}

void topk_rows(std::int64_t rows, std::int64_t cols, const float* in, const float* bias, const std::uint8_t* allowed,
               std::int64_t k, std::int64_t* counts, std::int32_t* index, float* value) {
  std::vector<std::pair<float, std::int32_t>> candidates;
  for (std::int64_t r = 0; r < rows; ++r) {
    candidates.clear();
    for (std::int64_t c = 0; c < cols; ++c) {
      const float v = in[r * cols + c] + bias[c];
      if ((!allowed || allowed[c]) && v > 0.0f) candidates.emplace_back(v, static_cast<std::int32_t>(c));
    }
    // Larger value first; equal values: lower column first.
    std::sort(candidates.begin(), candidates.end(),
              [](const auto& a, const auto& b) { return a.first > b.first || (a.first == b.first && a.second < b.second); });
    const auto kept = std::min<std::int64_t>(k, static_cast<std::int64_t>(candidates.size()));
    std::sort(candidates.begin(), candidates.begin() + kept,
              [](const auto& a, const auto& b) { return a.second < b.second; });
    for (std::int64_t i = 0; i < kept; ++i) {
      index[r * k + i] = candidates[i].second;
      value[r * k + i] = candidates[i].first;
    }
    counts[r] = kept;
  }
}

void compact_rows(std::int64_t rows, std::int64_t stride, const std::int64_t* offsets, const std::int32_t* in_index,
                  const float* in_value, std::int32_t* index, float* value) {
  for (std::int64_t r = 0; r < rows; ++r)
    for (std::int64_t i = 0; i < offsets[r + 1] - offsets[r]; ++i) {
      index[offsets[r] + i] = in_index[r * stride + i];
      value[offsets[r] + i] = in_value[r * stride + i];
    }
}

void scatter_rows(std::int64_t rows, std::int64_t cols, SparseRows codes, float* dense) {
  for (std::int64_t r = 0; r < rows; ++r)
    for (std::int64_t e = codes.offsets[r]; e < codes.offsets[r + 1]; ++e) dense[r * cols + codes.index[e]] = codes.value[e];
}

void sparse_decode(std::int64_t rows, std::int64_t cols, SparseRows codes, const float* weights, const float* bias,
                   float* out) {
  for (std::int64_t r = 0; r < rows; ++r)
    for (std::int64_t c = 0; c < cols; ++c) {
      double sum = bias ? bias[c] : 0.0;
      for (std::int64_t e = codes.offsets[r]; e < codes.offsets[r + 1]; ++e)
        sum += static_cast<double>(codes.value[e]) * weights[static_cast<std::int64_t>(codes.index[e]) * cols + c];
      out[r * cols + c] = static_cast<float>(sum);
    }
}

void sparse_transpose(std::int64_t rows, std::int64_t cols, std::int64_t nnz, SparseRows codes,
                      std::int32_t* entry_rows, std::int64_t* col_offsets, std::int64_t* col_entry,
                      std::int32_t* col_row) {
  for (std::int64_t r = 0; r < rows; ++r)
    for (std::int64_t e = codes.offsets[r]; e < codes.offsets[r + 1]; ++e) entry_rows[e] = static_cast<std::int32_t>(r);
  std::vector<std::int64_t> fill(cols + 1, 0);
  for (std::int64_t e = 0; e < nnz; ++e) ++fill[codes.index[e] + 1];
  for (std::int64_t j = 0; j < cols; ++j) fill[j + 1] += fill[j];
  std::copy(fill.begin(), fill.end(), col_offsets);
  for (std::int64_t e = 0; e < nnz; ++e) {  // entries in row order: each column's list ends up row-sorted
    const std::int64_t at = fill[codes.index[e]]++;
    col_entry[at] = e;
    col_row[at] = entry_rows[e];
  }
}

void sparse_row_dots(std::int64_t nnz, std::int64_t cols, SparseRows codes, const std::int32_t* entry_rows,
                     const float* g, const float* weights, float add, float* out) {
  for (std::int64_t e = 0; e < nnz; ++e) {
    double sum = 0.0;
    for (std::int64_t c = 0; c < cols; ++c)
      sum += static_cast<double>(g[static_cast<std::int64_t>(entry_rows[e]) * cols + c]) *
             weights[static_cast<std::int64_t>(codes.index[e]) * cols + c];
    out[e] = static_cast<float>(sum + add);
  }
}

void sparse_accumulate_rows(std::int64_t n, std::int64_t cols, SparseColumns columns, const float* coef_a,
                            const float* a, float* out_a, const float* coef_b, const float* b, float* out_b,
                            bool accumulate) {
  for (std::int64_t j = 0; j < n; ++j)
    for (std::int64_t c = 0; c < cols; ++c) {
      double sum_a = accumulate ? out_a[j * cols + c] : 0.0;
      double sum_b = accumulate && b ? out_b[j * cols + c] : 0.0;
      for (std::int64_t p = columns.offsets[j]; p < columns.offsets[j + 1]; ++p) {
        const std::int64_t e = columns.entry[p], row = columns.row[p];
        sum_a += static_cast<double>(coef_a[e]) * a[row * cols + c];
        if (b) sum_b += static_cast<double>(coef_b[e]) * b[row * cols + c];
      }
      out_a[j * cols + c] = static_cast<float>(sum_a);
      if (b) out_b[j * cols + c] = static_cast<float>(sum_b);
    }
}

void segment_sums(std::int64_t n, SparseColumns columns, const float* values, bool accumulate, float* out) {
  for (std::int64_t j = 0; j < n; ++j) {
    double sum = accumulate ? out[j] : 0.0;
    for (std::int64_t p = columns.offsets[j]; p < columns.offsets[j + 1]; ++p) sum += values[columns.entry[p]];
    out[j] = static_cast<float>(sum);
  }
}

void segment_counts(std::int64_t n, const std::int64_t* col_offsets, float* out) {
  for (std::int64_t j = 0; j < n; ++j) out[j] = static_cast<float>(col_offsets[j + 1] - col_offsets[j]);
}

void adam_update(std::int64_t count, const AdamParams& p, const float* grad, float* param, float* m, float* v) {
  for (std::int64_t i = 0; i < count; ++i) {
    const double g = static_cast<double>(grad[i]) * p.grad_scale;
    const double mi = (1.0 - p.one_minus_beta1) * static_cast<double>(m[i]) + p.one_minus_beta1 * g;
    const double vi = static_cast<double>(p.beta2) * v[i] + p.one_minus_beta2 * g * g;
    m[i] = static_cast<float>(mi);
    v[i] = static_cast<float>(vi);
    param[i] = static_cast<float>(param[i] - p.step_size * mi / (std::sqrt(vi) / p.bias_correction2_sqrt + p.eps));
  }
}

void project_out_rows(std::int64_t rows, std::int64_t cols, const float* w, float* g) {
  for (std::int64_t r = 0; r < rows; ++r) {
    double norm2 = 0.0, dot = 0.0;
    for (std::int64_t c = 0; c < cols; ++c) {
      norm2 += static_cast<double>(w[r * cols + c]) * w[r * cols + c];
      dot += static_cast<double>(g[r * cols + c]) * w[r * cols + c];
    }
    if (norm2 > 0.0)
      for (std::int64_t c = 0; c < cols; ++c)
        g[r * cols + c] = static_cast<float>(g[r * cols + c] - dot / norm2 * w[r * cols + c]);
  }
}

void normalize_rows(std::int64_t count, std::int64_t cols, const std::int32_t* row_list, float eps, float* w) {
  for (std::int64_t i = 0; i < count; ++i) {
    float* row = w + (row_list ? row_list[i] : i) * cols;
    double norm2 = 0.0;
    for (std::int64_t c = 0; c < cols; ++c) norm2 += static_cast<double>(row[c]) * row[c];
    const double norm = std::sqrt(norm2) + eps;
    for (std::int64_t c = 0; c < cols; ++c) row[c] = static_cast<float>(row[c] / norm);
  }
}

void uniform_rows(std::int64_t count, std::int64_t cols, const std::int32_t* row_list, const UniformRowsParams& p,
                  float* out) {
  for (std::int64_t i = 0; i < count; ++i) {
    const std::int64_t r = row_list ? row_list[i] : i;
    for (std::int64_t c = 0; c < cols; ++c) {
      CounterRng rng(p.key, p.stream, static_cast<std::uint64_t>(p.flat_offset + r * p.flat_row_stride + c * p.flat_col_stride));
      const double u = rng.uniform();
      out[r * cols + c] = static_cast<float>((2.0 * u - 1.0) * p.bound);
    }
  }
}

}  // namespace coact::backend::reference
