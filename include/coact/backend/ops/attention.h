// Pieces of multi-head attention shared by every backend: the masked softmax of one row of
// scores, and (for backends that batch the products over heads) the moves between the packed
// [q | k | v] rows and per-head blocks.
#pragma once

#include <cmath>
#include <cstdint>

#include "coact/backend/ops/fast_math.h"
#include "coact/backend/ops/row_lanes.h"
#include "coact/backend/ops/transformer_params.h"
#include "coact/core/hd.h"

namespace coact::backend::ops {

// The keys query t of sequence s sees: [first, last) (see AttentionShape).
COACT_HD inline void visible_keys(const AttentionShape& shape, std::int64_t s, std::int64_t t, std::int64_t& first,
                                  std::int64_t& last) {
  last = shape.causal ? t + 1 : shape.seq_len;
  if (shape.lengths && shape.lengths[s] < last) last = shape.lengths[s];
  first = shape.window > 0 && t + 1 > shape.window ? t + 1 - shape.window : 0;
  if (last < first) last = first;
}

// Row t of a seq_len×seq_len score matrix (scores = ⟨q_t, k_j⟩, not yet scaled, for at least
// the visible keys) becomes the attention weights of query t: the softmax over the visible keys
// of the scaled (and soft-capped) scores; every other entry becomes 0. Item i is row i of a
// stack of such matrices, (sequence, head) major from first_sequence, so t = i mod seq_len.
struct AttentionSoftmaxRows {
  AttentionShape shape;
  std::int64_t first_sequence;
  float* scores;
  COACT_HD void operator()(std::int64_t i) const {
    const std::int64_t T = shape.seq_len;
    row(scores + i * T, first_sequence + i / (T * shape.heads), i % T);
  }
  COACT_HD void row(float* row, std::int64_t s, std::int64_t t) const {
    const std::int64_t T = shape.seq_len;
    std::int64_t first = 0, last = 0;
    visible_keys(shape, s, t, first, last);
    for (std::int64_t j = 0; j < first; ++j) row[j] = 0.0f;
    for (std::int64_t j = last; j < T; ++j) row[j] = 0.0f;
    const std::int64_t keys = last - first;
    if (keys == 0) return;
    float* visible = row + first;
    const float scale = shape.scale;
    if (shape.softcap > 0.0f) {
      const float cap = shape.softcap;
      for (std::int64_t j = 0; j < keys; ++j) visible[j] = tanhf(scale * visible[j] / cap) * cap;
      const float top = max_lanes(visible, keys);
      for (std::int64_t j = 0; j < keys; ++j) visible[j] = exp_approx(visible[j] - top);
    } else {
      // The max of the scaled scores is scale·max when scale > 0 (always: 1/√d_head).
      const float top = scale * max_lanes(visible, keys);
      for (std::int64_t j = 0; j < keys; ++j) visible[j] = exp_approx(scale * visible[j] - top);
    }
    const float inverse = 1.0f / sum_lanes(visible, keys);
    for (std::int64_t j = 0; j < keys; ++j) visible[j] *= inverse;
  }
};

// Packed rows [rows, input_width] -> three blocks [sequences, H, seq_len, dh] (q, and the k
// and v of each query head's key/value head), so each (sequence, head) is one contiguous matrix
// for a strided batched product. Item = element of the output blocks: i over
// sequences·H·seq_len·dh.
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
    const std::int64_t kv_head = h / (heads / shape.groups());
    const float* row = qkv + (s * t_count + t) * shape.input_width();
    q[i] = row[h * dh + e];
    k[i] = row[shape.width() + kv_head * dh + e];
    v[i] = row[shape.width() + shape.kv_width() + kv_head * dh + e];
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
