// The cpu backend's class, private to src/backend. Ops are defined in several files of this
// folder by group (dense, sparse codes, transpose, optimiser); each launches a shared functor
// from coact/backend/ops with an OpenMP loop (parallel_for.h), except gemm (OpenBLAS) and the
// structural ops (scan, transpose) that have no per-element form.
#pragma once

#include <memory>
#include <string>

#include "coact/backend/backend.h"

namespace coact::backend::cpu {

class CpuBackend final : public Backend {
 public:
  DeviceKind kind() const override { return DeviceKind::Cpu; }
  std::string name() const override { return "cpu"; }
  std::string description() const override;

  void* allocate_bytes(std::size_t bytes) override;
  void free_bytes(void* pointer) noexcept override;
  void copy_bytes(void* destination, const void* source, std::size_t bytes, CopyKind kind) override;
  void zero_bytes(void* pointer, std::size_t bytes) override;
  void synchronize() override {}

  void require_precision(Precision precision) const override;
  std::string precision_description(Precision precision) const override;
  void decode_residual_row_dots(std::int64_t rows, std::int64_t cols, std::int64_t nnz, SparseRows codes,
                                const std::int32_t* entry_rows, const float* weights, const float* bias, const float* x,
                                const float* xc, float scale, float add, float* xhat, float* grad, float* row_stats,
                                float* entry_grad) override;
  void count_selected_two(std::int64_t rows, std::int64_t cols, const float* in, const float* bias,
                          const CodeRule& first, std::int64_t* first_counts, const CodeRule& second,
                          std::int64_t* second_counts) override;
  void gather_selected_two(std::int64_t rows, std::int64_t cols, const float* in, const float* bias,
                           const CodeRule& first, const std::int64_t* first_offsets, std::int32_t* first_index,
                           float* first_value, const CodeRule& second, const std::int64_t* second_offsets,
                           std::int32_t* second_index, float* second_value) override;

#define COACT_DECLARE_OVERRIDE_OP(result, name, parameters) result name parameters override;
  COACT_BACKEND_OPS(COACT_DECLARE_OVERRIDE_OP)
#undef COACT_DECLARE_OVERRIDE_OP
};

std::unique_ptr<Backend> make_cpu_backend();
// "OpenBLAS 0.3.21 ..." as the library reports itself.
std::string blas_description();

}  // namespace coact::backend::cpu
