#include "cpu/cpu_backend.h"

#include <cblas.h>
#include <omp.h>

#include <cstdlib>
#include <cstring>

#include "coact/backend/ops/elementwise.h"
#include "coact/core/errors.h"
#include "coact/core/strings.h"
#include "cpu/bf16_gemm.h"
#include "cpu/parallel_for.h"

namespace coact::backend::cpu {
namespace {

constexpr std::size_t kAlignment = 64;  // one cache line; also what AVX-512 loads like

CBLAS_TRANSPOSE to_cblas(Transpose t) { return t == Transpose::No ? CblasNoTrans : CblasTrans; }

}  // namespace

std::string CpuBackend::description() const {
  return str("cpu: ", blas_description(), ", ", cpu_threads(), " threads, ", to_string(vector_isa()), " loops");
}

void* CpuBackend::allocate_bytes(std::size_t bytes) {
  const std::size_t rounded = (bytes + kAlignment - 1) / kAlignment * kAlignment;
  void* p = std::aligned_alloc(kAlignment, rounded == 0 ? kAlignment : rounded);
  if (!p) throw Error(str("cpu backend: out of memory allocating ", human_bytes(static_cast<double>(bytes))));
  return p;
}

void CpuBackend::free_bytes(void* pointer) noexcept { std::free(pointer); }

void CpuBackend::copy_bytes(void* destination, const void* source, std::size_t bytes, CopyKind) {
  if (bytes) std::memcpy(destination, source, bytes);
}

void CpuBackend::zero_bytes(void* pointer, std::size_t bytes) {
  if (bytes) std::memset(pointer, 0, bytes);
}

void CpuBackend::gemm(Transpose transpose_a, Transpose transpose_b, std::int64_t m, std::int64_t n, std::int64_t k,
                      float alpha, const float* a, std::int64_t lda, const float* b, std::int64_t ldb, float beta,
                      float* c, std::int64_t ldc) {
  if (m == 0 || n == 0) return;
  cblas_sgemm(CblasRowMajor, to_cblas(transpose_a), to_cblas(transpose_b), static_cast<blasint>(m),
              static_cast<blasint>(n), static_cast<blasint>(k), alpha, a, static_cast<blasint>(lda), b,
              static_cast<blasint>(ldb), beta, c, static_cast<blasint>(ldc));
}

void CpuBackend::require_precision(Precision precision) const {
  COACT_REQUIRE(precision != Precision::Tf32, UsageError,
                "--precision tf32: TF32 is a tensor-core format of CUDA GPUs and the cpu backend has no tf32 "
                "arithmetic (use fp32, or bf16 for reduced-precision GEMMs on the cpu)");
}

std::string CpuBackend::precision_description(Precision precision) const {
  switch (precision) {
    case Precision::Fp32: return "fp32: OpenBLAS sgemm";
    case Precision::Bf16:
      return bf16_kernel() == Bf16Kernel::Avx512Bf16
                 ? "bf16: coact's AVX512_BF16 kernel (VDPBF16PS, fp32 accumulation)"
                 : str("bf16: fp32 fallback (OpenBLAS sgemm on bf16-rounded operands; ",
                       cpu_has_avx512_bf16() ? "forced by COACT_CPU_BF16=fallback" : "this cpu lacks AVX512_BF16",
                       ")");
    case Precision::Tf32: return "tf32: not available on the cpu";
  }
  return "?";
}

void CpuBackend::gemm_mixed(Precision precision, Transpose transpose_a, Transpose transpose_b, std::int64_t m,
                            std::int64_t n, std::int64_t k, float alpha, const float* a, std::int64_t lda,
                            const float* b, std::int64_t ldb, float beta, float* c, std::int64_t ldc) {
  require_precision(precision);
  if (precision == Precision::Fp32) {
    gemm(transpose_a, transpose_b, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
    return;
  }
  gemm_bf16(bf16_kernel(), transpose_a, transpose_b, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
}

void CpuBackend::axpy(std::int64_t n, float alpha, const float* x, float* y) { parallel_for(n, ops::Axpy{alpha, x, y}); }
void CpuBackend::fill(std::int64_t n, float value, float* x) { parallel_for(n, ops::Fill{value, x}); }
void CpuBackend::bias_relu(std::int64_t rows, std::int64_t cols, const float* bias, const float* in, float* out) {
  parallel_for_rows(rows, cols, ops::BiasRelu{cols, bias, in, out});
}

std::unique_ptr<Backend> make_cpu_backend() { return std::make_unique<CpuBackend>(); }

std::string blas_description() {
  const char* config = openblas_get_config();
  return config ? trim(config) : std::string("OpenBLAS");
}

}  // namespace coact::backend::cpu

namespace coact::backend {

void set_cpu_threads(int threads) {
  COACT_REQUIRE(threads >= 1, UsageError, "--threads must be at least 1 (got ", threads, ")");
  omp_set_num_threads(threads);
  openblas_set_num_threads(threads);
}

int cpu_threads() { return omp_get_max_threads(); }

}  // namespace coact::backend
