// The cpu backend's bf16 GEMM (Precision::Bf16): C = alpha · op(A) · op(B) + beta · C with float32
// operands rounded to bfloat16 as they are packed and float32 accumulation.
//
// On a processor with AVX512_BF16 (cpuid leaf 7 sub-leaf 1, EAX bit 5: Intel Cooper Lake and
// Sapphire Rapids on, AMD Zen 4 on) a packed kernel of VDPBF16PS runs at twice the float32
// FMA rate. Elsewhere the documented fallback rounds the operands to bf16 values held in
// float32 and runs OpenBLAS sgemm on them: the same products (a bf16 product is exact in
// float32) summed in float32, so the results satisfy the same error bound, at fp32 speed.
// Debian's OpenBLAS is built without its own bf16 GEMM (cblas_sbgemm is declared but not
// exported), hence this kernel.
#pragma once

#include <cstdint>

#include "coact/backend/backend.h"

namespace coact::backend::cpu {

enum class Bf16Kernel { Avx512Bf16, Fp32Fallback };
const char* to_string(Bf16Kernel kernel);  // "avx512_bf16" | "fp32 fallback"

// Whether this processor and OS run AVX512_BF16 (and the AVX512F/BW it builds on).
bool cpu_has_avx512_bf16();

// The kernel gemm_bf16 uses: AVX512_BF16 when present, unless COACT_CPU_BF16=fallback is set in
// the environment (so a machine with the instructions can test the fallback too).
Bf16Kernel bf16_kernel();

void gemm_bf16(Bf16Kernel kernel, Transpose transpose_a, Transpose transpose_b, std::int64_t m, std::int64_t n,
               std::int64_t k, float alpha, const float* a, std::int64_t lda, const float* b, std::int64_t ldb,
               float beta, float* c, std::int64_t ldc);

}  // namespace coact::backend::cpu
