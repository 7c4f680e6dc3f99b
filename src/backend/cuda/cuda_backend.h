// The CUDA backend's class, private to src/backend/cuda. Each op is defined in its own .cu
// file; the arithmetic comes from coact/backend/ops (shared with cpu).
#pragma once

#include <cublas_v2.h>
#include <cuda_runtime.h>

#include <memory>

#include "coact/backend/backend.h"

namespace coact::backend::cuda {

class CudaBackend final : public Backend {
 public:
  explicit CudaBackend(int device);
  ~CudaBackend() override;

  DeviceKind kind() const override { return DeviceKind::Cuda; }
  std::string name() const override;
  std::string description() const override;

  void* allocate_bytes(std::size_t bytes) override;
  void free_bytes(void* pointer) noexcept override;
  void copy_bytes(void* destination, const void* source, std::size_t bytes, CopyKind kind) override;
  void zero_bytes(void* pointer, std::size_t bytes) override;
  void synchronize() override;

  void gemm(Transpose transpose_a, Transpose transpose_b, std::int64_t m, std::int64_t n, std::int64_t k, float alpha,
            const float* a, std::int64_t lda, const float* b, std::int64_t ldb, float beta, float* c,
            std::int64_t ldc) override;
  void gemm_mixed(Precision precision, Transpose transpose_a, Transpose transpose_b, std::int64_t m, std::int64_t n,
                  std::int64_t k, float alpha, const float* a, std::int64_t lda, const float* b, std::int64_t ldb,
                  float beta, float* c, std::int64_t ldc) override;
  void require_precision(Precision precision) const override;
  std::string precision_description(Precision precision) const override;
  void axpy(std::int64_t n, float alpha, const float* x, float* y) override;
  void fill(std::int64_t n, float value, float* x) override;
  void bias_relu(std::int64_t rows, std::int64_t cols, const float* bias, const float* in, float* out) override;
  void add_row_vector(std::int64_t rows, std::int64_t cols, float alpha, const float* v, const float* in,
                      float* out) override;
  void relu_backward(std::int64_t count, float l1, const float* dz, float* z_dpre) override;

  void column_sums(std::int64_t rows, std::int64_t cols, const float* in, bool accumulate, float* out) override;
  void column_activity(std::int64_t rows, std::int64_t cols, const float* z, float* fire, float* sums) override;
  void residual(std::int64_t rows, std::int64_t cols, const float* xhat, const float* x, const float* xc, float scale,
                float* grad, float* row_stats) override;
  void aux_residual(std::int64_t rows, std::int64_t cols, const float* ehat, const float* x, const float* xhat,
                    float scale, float* grad, float* row_stats) override;

  void count_positive(std::int64_t rows, std::int64_t cols, const float* in, const float* bias,
                      std::int64_t* counts) override;
  std::int64_t exclusive_scan(std::int64_t count, const std::int64_t* counts, std::int64_t* offsets) override;
  void gather_positive(std::int64_t rows, std::int64_t cols, const float* in, const float* bias,
                       const std::int64_t* offsets, std::int32_t* index, float* value) override;
  void topk_rows(std::int64_t rows, std::int64_t cols, const float* in, const float* bias, const std::uint8_t* allowed,
                 std::int64_t k, std::int64_t* counts, std::int32_t* index, float* value) override;
  void count_selected(std::int64_t rows, std::int64_t cols, const float* in, const float* bias, const CodeRule& rule,
                      std::int64_t* counts) override;
  void gather_selected(std::int64_t rows, std::int64_t cols, const float* in, const float* bias, const CodeRule& rule,
                       const std::int64_t* offsets, std::int32_t* index, float* value) override;
  void value_histogram(std::int64_t rows, std::int64_t cols, const float* in, const float* bias, std::int64_t prefix,
                       std::int64_t* counts) override;
  void threshold_gradients(std::int64_t nnz, const std::int32_t* index, const float* g, const float* threshold,
                           float l0, float bandwidth, float* out) override;
  void normalize_inputs(std::int64_t rows, std::int64_t cols, const InputNorm& norm, const float* in, float* out,
                        float* row_stats) override;
  void denormalize_outputs(std::int64_t rows, std::int64_t cols, const InputNorm& norm, const float* row_stats,
                           float* inout) override;
  void compact_rows(std::int64_t rows, std::int64_t stride, const std::int64_t* offsets, const std::int32_t* in_index,
                    const float* in_value, std::int32_t* index, float* value) override;
  void scatter_rows(std::int64_t rows, std::int64_t cols, SparseRows codes, float* dense) override;
  void sparse_decode(std::int64_t rows, std::int64_t cols, SparseRows codes, const float* weights, const float* bias,
                     float* out) override;
  void sparse_transpose(std::int64_t rows, std::int64_t cols, std::int64_t nnz, SparseRows codes,
                        std::int32_t* entry_rows, std::int64_t* col_offsets, std::int64_t* col_entry,
                        std::int32_t* col_row) override;
  void sparse_row_dots(std::int64_t nnz, std::int64_t cols, SparseRows codes, const std::int32_t* entry_rows,
                       const float* g, const float* weights, float add, float* out) override;
  void sparse_accumulate_rows(std::int64_t n, std::int64_t cols, SparseColumns columns, const float* coef_a,
                              const float* a, float* out_a, const float* coef_b, const float* b, float* out_b,
                              bool accumulate) override;
  void segment_sums(std::int64_t n, SparseColumns columns, const float* values, bool accumulate, float* out) override;
  void segment_counts(std::int64_t n, const std::int64_t* col_offsets, float* out) override;

  void adam_update(std::int64_t count, const AdamParams& params, const float* grad, float* param, float* m,
                   float* v) override;
  void project_out_rows(std::int64_t rows, std::int64_t cols, const float* w, float* g) override;
  void normalize_rows(std::int64_t count, std::int64_t cols, const std::int32_t* row_list, float eps,
                      float* w) override;
  void uniform_rows(std::int64_t count, std::int64_t cols, const std::int32_t* row_list,
                    const UniformRowsParams& params, float* out) override;

  void layernorm(std::int64_t rows, std::int64_t cols, float eps, const float* in, const float* weight,
                 const float* bias, float* out) override;
  void bias_gelu(std::int64_t rows, std::int64_t cols, GeluKind kind, const float* bias, const float* in,
                 float* out) override;
  void embed_tokens(std::int64_t rows, std::int64_t cols, std::int64_t seq_len, const std::int32_t* tokens,
                    const float* wte, const float* wpe, float* out) override;
  void attention(const AttentionShape& shape, const float* qkv, float* out) override;
  void rmsnorm(std::int64_t rows, std::int64_t cols, float eps, const float* in, const float* weight,
               float* out) override;
  void affine_columns(std::int64_t rows, std::int64_t cols, const float* weight, const float* bias, const float* in,
                      float* out) override;
  void gather_rows(std::int64_t rows, std::int64_t cols, const std::int32_t* tokens, const float* table, float scale,
                   float* out) override;
  void rotary(std::int64_t rows, std::int64_t seq_len, std::int64_t heads, std::int64_t head_dim,
              std::int64_t rotary_dim, std::int64_t ld, const float* cos, const float* sin, float* x) override;
  void gated_activation(std::int64_t count, Activation kind, const float* gate, const float* up,
                        float* out) override;
  void softcap(std::int64_t count, float cap, float* x) override;
  void kl_divergence_rows(std::int64_t rows, std::int64_t vocab, const float* reference, const float* logits,
                          std::int64_t ld, const std::int32_t* targets, float* out) override;
  void cross_entropy_rows(std::int64_t rows, std::int64_t vocab, const float* logits, std::int64_t ld,
                          const std::int32_t* targets, float* losses) override;

  void* native_stream() const override { return stream_; }
  int device_index() const override { return device_; }

 private:
  int device_;
  int compute_capability_ = 0;  // major · 10 + minor
  cudaStream_t stream_ = nullptr;
  cublasHandle_t blas_ = nullptr;
};

std::unique_ptr<Backend> make_cuda_backend(int device);
int device_count();
std::vector<ComponentInfo> components();

}  // namespace coact::backend::cuda
