// Rotary position embedding (RoPE) of the query and key heads in place, shared by every
// backend, in the "rotate half" layout of Hugging Face's Llama, GPT-NeoX and Gemma: within the
// first rotary_dim dimensions of a head, dimension i pairs with i + rotary_dim/2; the remaining
// head dimensions (GPT-NeoX's partial rotary) pass through.
#pragma once

#include <cstdint>

#include "coact/core/hd.h"

namespace coact::backend::ops {

// Rows are (sequence, position) with position = r mod seq_len. cos and sin are tables
// [seq_len, rotary_dim/2] (the caller computes the frequencies: base, scaling). x holds `heads`
// heads of head_dim at row stride ld. One item per (row, head, pair):
//   x1' = x1·cos − x2·sin,  x2' = x2·cos + x1·sin
struct RotaryHeads {
  std::int64_t seq_len;
  std::int64_t heads;
  std::int64_t head_dim;
  std::int64_t rotary_dim;
  std::int64_t ld;
  const float* cos;
  const float* sin;
  float* x;
  COACT_HD void operator()(std::int64_t i) const {
    const std::int64_t half = rotary_dim / 2;
    const std::int64_t pair = i % half, head = (i / half) % heads, row = i / (half * heads);
    const std::int64_t position = row % seq_len;
    float* h = x + row * ld + head * head_dim;
    const float c = cos[position * half + pair], s = sin[position * half + pair];
    const float x1 = h[pair], x2 = h[pair + half];
    h[pair] = x1 * c - x2 * s;
    h[pair + half] = x2 * c + x1 * s;
  }
};

}  // namespace coact::backend::ops
