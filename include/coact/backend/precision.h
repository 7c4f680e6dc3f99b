// The arithmetic of a GEMM (Backend::gemm_mixed). Master weights, optimiser state, gradients
// and every non-GEMM op stay fp32 in all three; only the operands of the products change:
//   fp32  operands and products in float32 (cuBLAS SGEMM, OpenBLAS sgemm);
//   bf16  each operand element rounded to bfloat16 (8-bit mantissa, round to nearest even,
//         NaN kept), the exact products summed in float32: a relative error of about
//         2^-8 · sqrt(k) in a k-term dot product;
//   tf32  operands rounded to TF32 (10-bit mantissa) by tensor cores, float32 sums: CUDA only.
#pragma once

#include <string>

namespace coact::backend {

enum class Precision { Fp32, Bf16, Tf32 };

const char* to_string(Precision precision);  // "fp32" | "bf16" | "tf32"
// Throws UsageError "--precision: 'x' is not one of fp32, bf16, tf32".
Precision parse_precision(const std::string& text);

}  // namespace coact::backend
