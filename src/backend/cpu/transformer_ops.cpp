// cpu: the element-wise and per-row ops of the transformer forward (layer norm, GELU,
// embedding, cross-entropy). Element-wise ops run as rows in parallel with a plain inner loop
// over columns, which the compiler vectorises (a flat index would cost a division per element).
#include "coact/backend/ops/cross_entropy.h"
#include "coact/backend/ops/embedding.h"
#include "coact/backend/ops/gelu.h"
#include "coact/backend/ops/layernorm.h"
#include "cpu/cpu_backend.h"
#include "cpu/parallel_for.h"

namespace coact::backend::cpu {

void CpuBackend::layernorm(std::int64_t rows, std::int64_t cols, float eps, const float* in, const float* weight,
                           const float* bias, float* out) {
  parallel_for_items(rows, ops::LayerNormRows{cols, eps, in, weight, bias, out}, 16);
}

void CpuBackend::bias_gelu(std::int64_t rows, std::int64_t cols, GeluKind kind, const float* bias, const float* in,
                           float* out) {
  ops::launch_bias_gelu(kind, cols, bias, in, out, [&](const auto& f) { parallel_for_rows(rows, cols, f); });
}

void CpuBackend::embed_tokens(std::int64_t rows, std::int64_t cols, std::int64_t seq_len, const std::int32_t* tokens,
                              const float* wte, const float* wpe, float* out) {
  parallel_for_rows(rows, cols, ops::EmbedTokens{cols, seq_len, tokens, wte, wpe, out});
}

void CpuBackend::cross_entropy_rows(std::int64_t rows, std::int64_t vocab, const float* logits, std::int64_t ld,
                                    const std::int32_t* targets, float* losses) {
  // A row of a large vocabulary is a lot of work: one row per item.
  parallel_for_items(rows, ops::CrossEntropyRows{vocab, ld, logits, targets, losses}, 1);
}

}  // namespace coact::backend::cpu
