// Token plus learned position embedding, shared by every backend.
#pragma once

#include <cstdint>

#include "coact/core/hd.h"

namespace coact::backend::ops {

// out[r, :] = wte[tokens[r], :] + wpe[r mod seq_len, :] for rows laid out (sequence, position).
// Token ids are checked against the vocabulary before they reach a device.
struct EmbedTokens {
  std::int64_t cols;
  std::int64_t seq_len;
  const std::int32_t* tokens;
  const float* wte;
  const float* wpe;
  float* out;
  COACT_HD void operator()(std::int64_t r, std::int64_t c) const {
    out[r * cols + c] = wte[static_cast<std::int64_t>(tokens[r]) * cols + c] + wpe[(r % seq_len) * cols + c];
  }
  COACT_HD void operator()(std::int64_t i) const { (*this)(i / cols, i % cols); }
};

// out[r, :] = scale · table[tokens[r], :]: token embeddings without learned positions (rotary
// models), scaled by √d_model in Gemma and by 1 elsewhere.
struct GatherRows {
  std::int64_t cols;
  float scale;
  const std::int32_t* tokens;
  const float* table;
  float* out;
  COACT_HD void operator()(std::int64_t r, std::int64_t c) const {
    out[r * cols + c] = table[static_cast<std::int64_t>(tokens[r]) * cols + c] * scale;
  }
  COACT_HD void operator()(std::int64_t i) const { (*this)(i / cols, i % cols); }
};

}  // namespace coact::backend::ops
