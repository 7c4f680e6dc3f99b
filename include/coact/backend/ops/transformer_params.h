// Parameter blocks of the transformer ops of `Backend` (layer norm, GELU, embedding, causal
// attention, cross-entropy). Plain and trivially copyable: they are passed by value into
// kernels, and nvcc (C++17) compiles this header too.
#pragma once

#include <cstdint>

namespace coact::backend {

// The two GELUs of the GPT-2 family: Erf is the exact 0.5·x·(1 + erf(x/√2)) (Hugging Face and
// TransformerLens "gelu"); Tanh is the approximation 0.5·x·(1 + tanh(√(2/π)(x + 0.044715x³)))
// ("gelu_new", GPT-2's own).
enum class GeluKind : std::uint8_t { Erf, Tanh };

// Causal multi-head self-attention over `sequences` independent sequences of `seq_len`
// positions. Rows are (sequence, position) in row-major order. Each row of the packed input
// holds [q | k | v], each heads·head_dim wide with head h at columns h·head_dim.. (the layout of
// GPT-2's c_attn output); the output row holds the heads' results in the same head order.
struct AttentionShape {
  std::int64_t sequences = 0;
  std::int64_t seq_len = 0;
  std::int64_t heads = 0;
  std::int64_t head_dim = 0;
  float scale = 1.0f;  // scores are scale·⟨q, k⟩ (1/√head_dim in GPT-2)

  std::int64_t rows() const { return sequences * seq_len; }
  std::int64_t width() const { return heads * head_dim; }  // of the output, a third of the input
};

}  // namespace coact::backend
