// Plain, obviously-correct CPU implementations of every Backend op: the reference the op tests
// compare each backend against (STYLE.md, ggml's test-backend-ops). Slow on purpose.
#pragma once

#include <cstdint>

#include "coact/backend/backend.h"
#include "coact/backend/sparse.h"

namespace coact::backend::reference {

void gemm(Transpose transpose_a, Transpose transpose_b, std::int64_t m, std::int64_t n, std::int64_t k, float alpha,
          const float* a, std::int64_t lda, const float* b, std::int64_t ldb, float beta, float* c, std::int64_t ldc);
// gemm on operands rounded to the precision's input format (bf16 or tf32), summed in double.
void gemm_mixed(Precision precision, Transpose transpose_a, Transpose transpose_b, std::int64_t m, std::int64_t n,
                std::int64_t k, float alpha, const float* a, std::int64_t lda, const float* b, std::int64_t ldb,
                float beta, float* c, std::int64_t ldc);
void axpy(std::int64_t n, float alpha, const float* x, float* y);
void fill(std::int64_t n, float value, float* x);
void bias_relu(std::int64_t rows, std::int64_t cols, const float* bias, const float* in, float* out);
void add_row_vector(std::int64_t rows, std::int64_t cols, float alpha, const float* v, const float* in, float* out);
void relu_backward(std::int64_t count, float l1, const float* dz, float* z_dpre);

void column_sums(std::int64_t rows, std::int64_t cols, const float* in, bool accumulate, float* out);
void column_activity(std::int64_t rows, std::int64_t cols, const float* z, float* fire, float* sums);
void residual(std::int64_t rows, std::int64_t cols, const float* xhat, const float* x, const float* xc, float scale,
              float* grad, float* row_stats);
void aux_residual(std::int64_t rows, std::int64_t cols, const float* ehat, const float* x, const float* xhat,
                  float scale, float* grad, float* row_stats);

void count_positive(std::int64_t rows, std::int64_t cols, const float* in, const float* bias, std::int64_t* counts);
std::int64_t exclusive_scan(std::int64_t count, const std::int64_t* counts, std::int64_t* offsets);
void gather_positive(std::int64_t rows, std::int64_t cols, const float* in, const float* bias,
                     const std::int64_t* offsets, std::int32_t* index, float* value);
void topk_rows(std::int64_t rows, std::int64_t cols, const float* in, const float* bias, const std::uint8_t* allowed,
               std::int64_t k, std::int64_t* counts, std::int32_t* index, float* value);
void count_selected(std::int64_t rows, std::int64_t cols, const float* in, const float* bias, const CodeRule& rule,
                    std::int64_t* counts);
void gather_selected(std::int64_t rows, std::int64_t cols, const float* in, const float* bias, const CodeRule& rule,
                     const std::int64_t* offsets, std::int32_t* index, float* value);
void value_histogram(std::int64_t rows, std::int64_t cols, const float* in, const float* bias, std::int64_t prefix,
                     std::int64_t* counts);
void threshold_gradients(std::int64_t nnz, const std::int32_t* index, const float* g, const float* threshold, float l0,
                         float bandwidth, float* out);
void normalize_inputs(std::int64_t rows, std::int64_t cols, const InputNorm& norm, const float* in, float* out,
                      float* row_stats);
void denormalize_outputs(std::int64_t rows, std::int64_t cols, const InputNorm& norm, const float* row_stats,
                         float* inout);
void compact_rows(std::int64_t rows, std::int64_t stride, const std::int64_t* offsets, const std::int32_t* in_index,
                  const float* in_value, std::int32_t* index, float* value);
void scatter_rows(std::int64_t rows, std::int64_t cols, SparseRows codes, float* dense);
void sparse_decode(std::int64_t rows, std::int64_t cols, SparseRows codes, const float* weights, const float* bias,
                   float* out);
void sparse_transpose(std::int64_t rows, std::int64_t cols, std::int64_t nnz, SparseRows codes,
                      std::int32_t* entry_rows, std::int64_t* col_offsets, std::int64_t* col_entry,
                      std::int32_t* col_row);
void sparse_row_dots(std::int64_t nnz, std::int64_t cols, SparseRows codes, const std::int32_t* entry_rows,
                     const float* g, const float* weights, float add, float* out);
void sparse_accumulate_rows(std::int64_t n, std::int64_t cols, SparseColumns columns, const float* coef_a,
                            const float* a, float* out_a, const float* coef_b, const float* b, float* out_b,
                            bool accumulate);
void segment_sums(std::int64_t n, SparseColumns columns, const float* values, bool accumulate, float* out);
void segment_counts(std::int64_t n, const std::int64_t* col_offsets, float* out);

void adam_update(std::int64_t count, const AdamParams& params, const float* grad, float* param, float* m, float* v);
void project_out_rows(std::int64_t rows, std::int64_t cols, const float* w, float* g);
void normalize_rows(std::int64_t count, std::int64_t cols, const std::int32_t* row_list, float eps, float* w);
void uniform_rows(std::int64_t count, std::int64_t cols, const std::int32_t* row_list, const UniformRowsParams& params,
                  float* out);

// Transformer ops (reference_transformer.cpp): double arithmetic with the C library's exp, erf
// and tanh, independent of the approximations the backends share.
void layernorm(std::int64_t rows, std::int64_t cols, float eps, const float* in, const float* weight, const float* bias,
               float* out);
void bias_gelu(std::int64_t rows, std::int64_t cols, GeluKind kind, const float* bias, const float* in, float* out);
void embed_tokens(std::int64_t rows, std::int64_t cols, std::int64_t seq_len, const std::int32_t* tokens,
                  const float* wte, const float* wpe, float* out);
void attention(const AttentionShape& shape, const float* qkv, float* out);
void rmsnorm(std::int64_t rows, std::int64_t cols, float eps, const float* in, const float* weight, float* out);
void affine_columns(std::int64_t rows, std::int64_t cols, const float* weight, const float* bias, const float* in,
                    float* out);
void gather_rows(std::int64_t rows, std::int64_t cols, const std::int32_t* tokens, const float* table, float scale,
                 float* out);
void rotary(std::int64_t rows, std::int64_t seq_len, std::int64_t heads, std::int64_t head_dim, std::int64_t rotary_dim,
            std::int64_t ld, const float* cos, const float* sin, float* x);
void gated_activation(std::int64_t count, Activation kind, const float* gate, const float* up, float* out);
void softcap(std::int64_t count, float cap, float* x);
void kl_divergence_rows(std::int64_t rows, std::int64_t vocab, const float* reference, const float* logits,
                        std::int64_t ld, const std::int32_t* targets, float* out);
void cross_entropy_rows(std::int64_t rows, std::int64_t vocab, const float* logits, std::int64_t ld,
                        const std::int32_t* targets, float* losses);

}  // namespace coact::backend::reference
