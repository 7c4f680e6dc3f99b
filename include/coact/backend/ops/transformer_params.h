// Parameter blocks of the transformer ops of `Backend` (layer norm, GELU, embedding,
// attention, cross-entropy). Plain and trivially copyable: they are passed by value into
// kernels, and nvcc (C++17) compiles this header too.
#pragma once

#include <cstdint>

#include "coact/core/hd.h"

namespace coact::backend {

// The two GELUs of the GPT-2 family: Erf is the exact 0.5·x·(1 + erf(x/√2)) (Hugging Face and
// TransformerLens "gelu"); Tanh is the approximation 0.5·x·(1 + tanh(√(2/π)(x + 0.044715x³)))
// ("gelu_new", GPT-2's own).
enum class GeluKind : std::uint8_t { Erf, Tanh };

// The activation of a gated MLP's gate: act(gate)·up. Silu is Llama's SwiGLU, GeluTanh Gemma's
// GeGLU ("gelu_pytorch_tanh"), GeluErf the exact GELU.
enum class Activation : std::uint8_t { Silu, GeluTanh, GeluErf };

// Multi-head self-attention over `sequences` independent sequences of `seq_len` positions.
// Rows are (sequence, position) in row-major order. Each row of the packed input holds
// [q | k | v]: q is heads·head_dim wide, k and v kv_heads·head_dim each, head h at columns
// h·head_dim.. of its part (GPT-2's c_attn layout when kv_heads = heads); the output row holds
// the query heads' results in the same head order. With grouped-query attention (kv_heads <
// heads) query head h reads key/value head h / (heads / kv_heads).
//
// Query t of a sequence sees key j when: j <= t (causal); t − j < window (window > 0, sliding
// window attention); j < lengths[sequence] (lengths non-null: the sequence's keys after its
// length are padding). Scores are scale·⟨q, k⟩, then softcap·tanh(score / softcap) when
// softcap > 0 (Gemma-2), then the softmax over the visible keys. A query that sees no key
// (possible only with lengths of 0) outputs zeros.
struct AttentionShape {
  std::int64_t sequences = 0;
  std::int64_t seq_len = 0;
  std::int64_t heads = 0;
  std::int64_t head_dim = 0;
  float scale = 1.0f;             // 1/√head_dim in GPT-2
  std::int64_t kv_heads = 0;      // 0: heads (multi-head attention)
  bool causal = true;             // false: bidirectional (BERT)
  std::int64_t window = 0;        // 0: no sliding window
  float softcap = 0.0f;           // 0: no soft-capping
  const std::int32_t* lengths = nullptr;  // device [sequences], or null: every key is valid

  COACT_HD std::int64_t rows() const { return sequences * seq_len; }
  COACT_HD std::int64_t groups() const { return kv_heads > 0 ? kv_heads : heads; }  // key/value heads
  COACT_HD std::int64_t width() const { return heads * head_dim; }                  // of the output
  COACT_HD std::int64_t kv_width() const { return groups() * head_dim; }
  COACT_HD std::int64_t input_width() const { return width() + 2 * kv_width(); }    // of a packed row
};

}  // namespace coact::backend
