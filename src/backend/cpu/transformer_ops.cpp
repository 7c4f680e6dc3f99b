// cpu: the element-wise and per-row ops of the transformer forward (layer norm, GELU,
// embedding, cross-entropy). Element-wise ops run as rows in parallel with a plain inner loop
// over columns, which the compiler vectorises (a flat index would cost a division per element).
#include "coact/backend/ops/cross_entropy.h"
#include "coact/backend/ops/embedding.h"
#include "coact/backend/ops/gated.h"
#include "coact/backend/ops/gelu.h"
#include "coact/backend/ops/layernorm.h"
#include "coact/backend/ops/rmsnorm.h"
#include "coact/backend/ops/rotary.h"
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

void CpuBackend::rmsnorm(std::int64_t rows, std::int64_t cols, float eps, const float* in, const float* weight,
                         float* out) {
  parallel_for_items(rows, ops::RmsNormRows{cols, eps, in, weight, out}, 16);
}

void CpuBackend::affine_columns(std::int64_t rows, std::int64_t cols, const float* weight, const float* bias,
                                const float* in, float* out) {
  parallel_for_rows(rows, cols, ops::AffineColumns{cols, weight, bias, in, out});
}

void CpuBackend::gather_rows(std::int64_t rows, std::int64_t cols, const std::int32_t* tokens, const float* table,
                             float scale, float* out) {
  parallel_for_rows(rows, cols, ops::GatherRows{cols, scale, tokens, table, out});
}

void CpuBackend::rotary(std::int64_t rows, std::int64_t seq_len, std::int64_t heads, std::int64_t head_dim,
                        std::int64_t rotary_dim, std::int64_t ld, const float* cos, const float* sin, float* x) {
  parallel_for(rows * heads * (rotary_dim / 2), ops::RotaryHeads{seq_len, heads, head_dim, rotary_dim, ld, cos, sin, x});
}

void CpuBackend::gated_activation(std::int64_t count, Activation kind, const float* gate, const float* up, float* out) {
  ops::launch_gated_activation(kind, gate, up, out, [&](const auto& f) { parallel_for(count, f); });
}

void CpuBackend::softcap(std::int64_t count, float cap, float* x) { parallel_for(count, ops::SoftCap{cap, x}); }

void CpuBackend::kl_divergence_rows(std::int64_t rows, std::int64_t vocab, const float* reference, const float* logits,
                                    std::int64_t ld, const std::int32_t* targets, float* out) {
  parallel_for_items(rows, ops::KlDivergenceRows{vocab, ld, reference, logits, targets, out}, 1);
}

}  // namespace coact::backend::cpu
