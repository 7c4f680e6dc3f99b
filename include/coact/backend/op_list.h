// The compute ops of the Backend, listed once. Each entry is X(return type, name, (parameters)),
// with the op's contract in the comment above it. backend.h declares them as pure virtuals, each
// backend's class as overrides, and reference.h as the plain implementations the op tests compare
// every backend against, all by expanding this list, so an op's signature lives in one place.
// All matrices are row-major; pointers are device pointers of the backend that runs the op (host
// memory for cpu and for the reference).
#pragma once

#define COACT_BACKEND_OPS(X)                                                                                          \
  /* ---- dense linear algebra */                                                                                     \
  /* C[m×n] = alpha · op(A) · op(B) + beta · C, op(A) m×k, op(B) k×n, row-major with leading dimensions lda, ldb, ldc \
     (elements between rows of the stored matrices). */                                                               \
  X(void, gemm, (Transpose transpose_a, Transpose transpose_b, std::int64_t m, std::int64_t n, std::int64_t k,        \
      float alpha, const float* a, std::int64_t lda, const float* b, std::int64_t ldb, float beta, float* c,          \
      std::int64_t ldc))                                                                                              \
  /* gemm() in a chosen precision (precision.h): fp32 is gemm() itself; bf16 rounds every operand element to bfloat16 \
     as it is read (master copies stay fp32, so no rounded copy can go stale) and sums the products in fp32; tf32     \
     does the same with TF32 (cuda only). Throws what require_precision throws when this backend cannot run it. */    \
  X(void, gemm_mixed, (Precision precision, Transpose transpose_a, Transpose transpose_b, std::int64_t m,             \
      std::int64_t n, std::int64_t k, float alpha, const float* a, std::int64_t lda, const float* b,                  \
      std::int64_t ldb, float beta, float* c, std::int64_t ldc))                                                      \
  /* ---- element-wise */                                                                                             \
  /* y[i] += alpha · x[i] */                                                                                          \
  X(void, axpy, (std::int64_t n, float alpha, const float* x, float* y))                                              \
  /* x[i] = value */                                                                                                  \
  X(void, fill, (std::int64_t n, float value, float* x))                                                              \
  /* out[r, c] = max(0, in[r, c] + bias[c]) over a rows×cols row-major matrix (in == out allowed). */                 \
  X(void, bias_relu, (std::int64_t rows, std::int64_t cols, const float* bias, const float* in, float* out))          \
  /* out[r, c] = in[r, c] + alpha · v[c] (in == out allowed). */                                                      \
  X(void, add_row_vector, (std::int64_t rows, std::int64_t cols, float alpha, const float* v, const float* in,        \
      float* out))                                                                                                    \
  /* z_dpre[i] = z_dpre[i] > 0 ? dz[i] + l1 : 0 — the ReLU backward with the L1 term, written over the activations it \
     masks by. */                                                                                                     \
  X(void, relu_backward, (std::int64_t count, float l1, const float* dz, float* z_dpre))                              \
  /* ---- reductions (deterministic: fixed order, double accumulators, no atomics) */                                 \
  /* out[c] = Σ_r in[r, c] (out[c] += … when accumulate), summed in row order. */                                     \
  X(void, column_sums, (std::int64_t rows, std::int64_t cols, const float* in, bool accumulate, float* out))          \
  /* fire[c] = #{r : z[r, c] > 0} and sums[c] = Σ_r z[r, c] for a dense code matrix z. */                             \
  X(void, column_activity, (std::int64_t rows, std::int64_t cols, const float* z, float* fire, float* sums))          \
  /* Reconstruction residual of each row: grad = scale · (xhat − x); row_stats[r, 0] = ‖xhat − x‖², row_stats[r, 1] = \
     ‖xc‖², row_stats[r, 2] = 0 (row_stats is rows×3). */                                                             \
  X(void, residual, (std::int64_t rows, std::int64_t cols, const float* xhat, const float* x, const float* xc,        \
      float scale, float* grad, float* row_stats))                                                                    \
  /* AuxK residual: diff = ehat − (x − xhat); grad = scale · diff; row_stats[r, 2] = ‖diff‖². */                      \
  X(void, aux_residual, (std::int64_t rows, std::int64_t cols, const float* ehat, const float* x,                     \
      const float* xhat, float scale, float* grad, float* row_stats))                                                 \
  /* ---- sparse codes (see sparse.h for the layouts) */                                                              \
  /* counts[r] = #{c : in[r, c] + bias[c] > 0}. */                                                                    \
  X(void, count_positive, (std::int64_t rows, std::int64_t cols, const float* in, const float* bias,                  \
      std::int64_t* counts))                                                                                          \
  /* offsets[0] = 0, offsets[i + 1] = offsets[i] + counts[i]; returns offsets[count] to the host. */                  \
  X(std::int64_t, exclusive_scan, (std::int64_t count, const std::int64_t* counts, std::int64_t* offsets))            \
  /* CSR of the positive entries of in + bias (the ReLU code), at the given row offsets. */                           \
  X(void, gather_positive, (std::int64_t rows, std::int64_t cols, const float* in, const float* bias,                 \
      const std::int64_t* offsets, std::int32_t* index, float* value))                                                \
  /* Per row, the k largest positive values of in + bias among columns with allowed[c] != 0 (allowed == nullptr:      \
     all). Ties go to the lower column. Row r writes counts[r] <= k entries at [r·k, r·k + counts[r]) of index/value, \
     in increasing column order. */                                                                                   \
  X(void, topk_rows, (std::int64_t rows, std::int64_t cols, const float* in, const float* bias,                       \
      const std::uint8_t* allowed, std::int64_t k, std::int64_t* counts, std::int32_t* index, float* value))          \
  /* counts[r] = entries of row r that `rule` selects (CodeRule in sparse.h; in + bias as above). */                  \
  X(void, count_selected, (std::int64_t rows, std::int64_t cols, const float* in, const float* bias,                  \
      const CodeRule& rule, std::int64_t* counts))                                                                    \
  /* CSR of the entries `rule` selects, at the given row offsets (values as the rule says). */                        \
  X(void, gather_selected, (std::int64_t rows, std::int64_t cols, const float* in, const float* bias,                 \
      const CodeRule& rule, const std::int64_t* offsets, std::int32_t* index, float* value))                          \
  /* counts[kValueBuckets] = how many v = in + bias > 0 fall in each bucket of their float bits (ops::value_bucket:   \
     the high 16 bits, or with prefix >= 0 the low 16 bits of the values whose high bits equal prefix). Overwrites    \
     counts. */                                                                                                       \
  X(void, value_histogram, (std::int64_t rows, std::int64_t cols, const float* in, const float* bias,                 \
      std::int64_t prefix, std::int64_t* counts))                                                                     \
  /* out[e] = −(threshold[index[e]]·g[e] + l0) / bandwidth for every entry (out == g allowed): the JumpReLU threshold \
     gradient of each straight-through band entry (ops/code_rules.h). */                                              \
  X(void, threshold_gradients, (std::int64_t nnz, const std::int32_t* index, const float* g,                          \
      const float* threshold, float l0, float bandwidth, float* out))                                                 \
  /* out = the rows of `in` normalised as `norm` says (InputNorm in sparse.h; in == out allowed), with each row's m,  \
     f, g in row_stats (rows×3); denormalize_outputs applies the inverse to reconstructions of those rows in place. */ \
  X(void, normalize_inputs, (std::int64_t rows, std::int64_t cols, const InputNorm& norm, const float* in,            \
      float* out, float* row_stats))                                                                                  \
  X(void, denormalize_outputs, (std::int64_t rows, std::int64_t cols, const InputNorm& norm,                          \
      const float* row_stats, float* inout))                                                                          \
  /* Packs rows stored at a fixed stride (topk_rows' output) into CSR at `offsets`. */                                \
  X(void, compact_rows, (std::int64_t rows, std::int64_t stride, const std::int64_t* offsets,                         \
      const std::int32_t* in_index, const float* in_value, std::int32_t* index, float* value))                        \
  /* dense[r, index[e]] = value[e] for every entry; other elements are left as they are. */                           \
  X(void, scatter_rows, (std::int64_t rows, std::int64_t cols, SparseRows codes, float* dense))                       \
  /* out[r, :] = bias + Σ_e value[e] · weights[index[e], :] over row r's entries (bias may be null). */               \
  X(void, sparse_decode, (std::int64_t rows, std::int64_t cols, SparseRows codes, const float* weights,               \
      const float* bias, float* out))                                                                                 \
  /* Groups the entries by column (SparseColumns) and records each entry's row in entry_rows. */                      \
  X(void, sparse_transpose, (std::int64_t rows, std::int64_t cols, std::int64_t nnz, SparseRows codes,                \
      std::int32_t* entry_rows, std::int64_t* col_offsets, std::int64_t* col_entry, std::int32_t* col_row))           \
  /* out[e] = ⟨g[entry_rows[e], :], weights[index[e], :]⟩ + add for every entry e < nnz. */                           \
  X(void, sparse_row_dots, (std::int64_t nnz, std::int64_t cols, SparseRows codes, const std::int32_t* entry_rows,    \
      const float* g, const float* weights, float add, float* out))                                                   \
  /* For every column j < n: out_a[j, :] = Σ_{e in j} coef_a[e] · a[row(e), :] and likewise for b (b may be null); += \
     when accumulate, otherwise columns without entries get zero rows. */                                             \
  X(void, sparse_accumulate_rows, (std::int64_t n, std::int64_t cols, SparseColumns columns, const float* coef_a,     \
      const float* a, float* out_a, const float* coef_b, const float* b, float* out_b, bool accumulate))              \
  /* out[j] = Σ_{e in j} values[e] in row order (+= when accumulate). */                                              \
  X(void, segment_sums, (std::int64_t n, SparseColumns columns, const float* values, bool accumulate, float* out))    \
  /* out[j] = number of entries of column j (as float: exact below 2^24). */                                          \
  X(void, segment_counts, (std::int64_t n, const std::int64_t* col_offsets, float* out))                              \
  /* ---- optimiser, decoder constraint, initialisation */                                                            \
  /* One Adam step over `count` parameters with their gradients and moments (see AdamParams). */                      \
  X(void, adam_update, (std::int64_t count, const AdamParams& params, const float* grad, float* param, float* m,      \
      float* v))                                                                                                      \
  /* g[r, :] −= (⟨g[r, :], w[r, :]⟩ / ‖w[r, :]‖²) · w[r, :]: removes the component along each row. */                 \
  X(void, project_out_rows, (std::int64_t rows, std::int64_t cols, const float* w, float* g))                         \
  /* w[r, :] /= ‖w[r, :]‖ + eps for the rows listed in row_list (count rows), or rows 0..count−1 when row_list is     \
     null. */                                                                                                         \
  X(void, normalize_rows, (std::int64_t count, std::int64_t cols, const std::int32_t* row_list, float eps,            \
      float* w))                                                                                                      \
  /* out[row, c] = U(−bound, bound) as described at UniformRowsParams, for the listed rows (or all). */               \
  X(void, uniform_rows, (std::int64_t count, std::int64_t cols, const std::int32_t* row_list,                         \
      const UniformRowsParams& params, float* out))                                                                   \
  /* ---- transformer forward (ops/transformer_params.h; used by the model module) */                                 \
  /* out[r, :] = (in[r, :] − mean) / sqrt(var + eps) · weight + bias, population variance over the row; weight and    \
     bias may be null (no scale, no shift). in == out allowed. */                                                     \
  X(void, layernorm, (std::int64_t rows, std::int64_t cols, float eps, const float* in, const float* weight,          \
      const float* bias, float* out))                                                                                 \
  /* out[r, c] = gelu(in[r, c] + bias[c]) with the chosen GELU; bias may be null. in == out allowed. */               \
  X(void, bias_gelu, (std::int64_t rows, std::int64_t cols, GeluKind kind, const float* bias, const float* in,        \
      float* out))                                                                                                    \
  /* out[r, :] = wte[tokens[r], :] + wpe[r mod seq_len, :] (rows are sequence-major positions; every token id must be \
     below wte's row count). */                                                                                       \
  X(void, embed_tokens, (std::int64_t rows, std::int64_t cols, std::int64_t seq_len, const std::int32_t* tokens,      \
      const float* wte, const float* wpe, float* out))                                                                \
  /* Multi-head self-attention (ops/transformer_params.h, AttentionShape: causal or bidirectional, grouped-query      \
     heads, sliding window, soft-capping, padded sequences): qkv is [rows, shape.input_width()] ([q | k | v] per      \
     row), out [rows, heads·head_dim] holds Σ_j softmax_j(score(q_t, k_j)) v_j over the keys query t sees, per        \
     sequence and head. */                                                                                            \
  X(void, attention, (const AttentionShape& shape, const float* qkv, float* out))                                     \
  /* out[r, :] = in[r, :] / sqrt(mean(in[r, :]²) + eps) · weight (weight may be null). in == out allowed. */          \
  X(void, rmsnorm, (std::int64_t rows, std::int64_t cols, float eps, const float* in, const float* weight,            \
      float* out))                                                                                                    \
  /* out[r, c] = in[r, c] · weight[c] + bias[c] (either may be null). in == out allowed. */                           \
  X(void, affine_columns, (std::int64_t rows, std::int64_t cols, const float* weight, const float* bias,              \
      const float* in, float* out))                                                                                   \
  /* out[r, :] = scale · table[tokens[r], :] (every token id must be below table's row count). */                     \
  X(void, gather_rows, (std::int64_t rows, std::int64_t cols, const std::int32_t* tokens, const float* table,         \
      float scale, float* out))                                                                                       \
  /* Rotary position embedding in place (ops/rotary.h): `heads` heads of head_dim at row stride ld in x, the first    \
     rotary_dim dimensions of each rotated by the angles of position r mod seq_len; cos and sin are [seq_len,         \
     rotary_dim/2]. */                                                                                                \
  X(void, rotary, (std::int64_t rows, std::int64_t seq_len, std::int64_t heads, std::int64_t head_dim,                \
      std::int64_t rotary_dim, std::int64_t ld, const float* cos, const float* sin, float* x))                        \
  /* out[i] = act(gate[i]) · up[i] over `count` elements (out may alias gate or up). */                               \
  X(void, gated_activation, (std::int64_t count, Activation kind, const float* gate, const float* up, float* out))    \
  /* x[i] = cap · tanh(x[i] / cap). */                                                                                \
  X(void, softcap, (std::int64_t count, float cap, float* x))                                                         \
  /* out[r] = KL(softmax(reference[r, :vocab]) ‖ softmax(logits[r, :vocab])), or 0 where targets[r] < 0; rows are ld  \
     floats apart in both. */                                                                                         \
  X(void, kl_divergence_rows, (std::int64_t rows, std::int64_t vocab, const float* reference, const float* logits,    \
      std::int64_t ld, const std::int32_t* targets, float* out))                                                      \
  /* losses[r] = logsumexp(logits[r, :vocab]) − logits[r, targets[r]], or 0 where targets[r] < 0; logits rows are ld  \
     floats apart. */                                                                                                 \
  X(void, cross_entropy_rows, (std::int64_t rows, std::int64_t vocab, const float* logits, std::int64_t ld,           \
      const std::int32_t* targets, float* losses))
