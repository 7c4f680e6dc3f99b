// Pieces of causal multi-head attention shared by every backend: the masked softmax of one
// row of scores, and (for backends that batch the products over heads) the moves between the
// packed [q | k | v] rows and per-head blocks.
#pragma once

#include <cstdint>

#include "coact/backend/ops/fast_math.h"
#include "coact/backend/ops/row_lanes.h"
#include "coact/backend/ops/transformer_params.h"
#include "coact/core/hd.h"

namespace coact::backend::ops {

// Row t of a seq_len×seq_len score matrix (scores = ⟨q_t, k_j⟩, not yet scaled) becomes the
// attention weights of query t: softmax over j <= t of scale·scores[j]; entries j > t (the
// future) become 0. Item i is row i of a stack of such matrices, so t = i mod seq_len.
struct CausalSoftmaxRows {
  std::int64_t seq_len;
  float scale;
  float* scores;
  COACT_HD void operator()(std::int64_t i) const {
    const std::int64_t t = i % seq_len;
    float* row = scores + i * seq_len;
    const std::int64_t keys = t + 1;
    // The max of the scaled scores is scale·max when scale > 0 (always: 1/√d_head).
    const float top = scale * max_lanes(row, keys);
    for (std::int64_t j = 0; j < keys; ++j) row[j] = exp_approx(scale * row[j] - top);
    const float inverse = 1.0f / sum_lanes(row, keys);
    for (std::int64_t j = 0; j < keys; ++j) row[j] *= inverse;
    for (std::int64_t j = keys; j < seq_len; ++j) row[j] = 0.0f;
  }
};

// Packed rows [rows, 3·H·dh] -> three blocks [sequences, H, seq_len, dh] (q, k, v), so each
// (sequence, head) is one contiguous matrix for a strided batched product. Item = element of
// the output blocks: i over sequences·H·seq_len·dh.
struct SplitHeads {
  AttentionShape shape;
  const float* qkv;
  float* q;
  float* k;
  float* v;
  COACT_HD void operator()(std::int64_t i) const {
    const std::int64_t dh = shape.head_dim, t_count = shape.seq_len, heads = shape.heads;
    const std::int64_t e = i % dh, t = (i / dh) % t_count, h = (i / (dh * t_count)) % heads;
    const std::int64_t s = i / (dh * t_count * heads);
    const std::int64_t width = heads * dh;
    const float* row = qkv + (s * t_count + t) * 3 * width + h * dh + e;
    q[i] = row[0];
    k[i] = row[width];
    v[i] = row[2 * width];
  }
};

// The inverse move for the result: blocks [sequences, H, seq_len, dh] -> rows [rows, H·dh].
struct MergeHeads {
  AttentionShape shape;
  const float* blocks;
  float* out;
  COACT_HD void operator()(std::int64_t i) const {
    const std::int64_t dh = shape.head_dim, t_count = shape.seq_len, heads = shape.heads;
    const std::int64_t e = i % dh, t = (i / dh) % t_count, h = (i / (dh * t_count)) % heads;
    const std::int64_t s = i / (dh * t_count * heads);
    out[(s * t_count + t) * heads * dh + h * dh + e] = blocks[i];
  }
};

}  // namespace coact::backend::ops
