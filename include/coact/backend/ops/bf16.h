// bfloat16: the upper 16 bits of an IEEE float32 (sign, 8-bit exponent, 7 stored mantissa
// bits). Conversion from float rounds to nearest, ties to even, as cuDNN/cuBLAS, PyTorch and
// the AVX512_BF16 instructions do; a NaN stays a NaN (made quiet, so rounding cannot carry it
// into the exponent and turn it into an infinity); infinities and zeros keep their sign.
// Shared by every backend: the cuda conversion kernel runs these functors, the cpu fallback
// and the tests call them directly.
#pragma once

#include <cstdint>
#include <cstring>

#include "coact/core/hd.h"

namespace coact::backend::ops {

COACT_HD inline std::uint32_t float_bits(float x) {
  std::uint32_t u;
  memcpy(&u, &x, sizeof u);
  return u;
}

COACT_HD inline float bits_float(std::uint32_t u) {
  float x;
  memcpy(&x, &u, sizeof x);
  return x;
}

// The bf16 nearest to x (ties to the even mantissa), as its 16 bits.
COACT_HD inline std::uint16_t float_to_bf16(float x) {
  const std::uint32_t u = float_bits(x);
  if ((u & 0x7fffffffu) > 0x7f800000u) return static_cast<std::uint16_t>((u >> 16) | 0x0040u);  // quiet NaN
  // Adding 0x7fff plus the lowest kept bit rounds the dropped 16 bits to nearest, ties to even;
  // a carry out of the mantissa raises the exponent (and reaches infinity past the largest bf16).
  const std::uint32_t rounding = 0x7fffu + ((u >> 16) & 1u);
  return static_cast<std::uint16_t>((u + rounding) >> 16);
}

COACT_HD inline float bf16_to_float(std::uint16_t h) { return bits_float(static_cast<std::uint32_t>(h) << 16); }

// x rounded to bf16 and widened back: what a bf16 GEMM multiplies.
COACT_HD inline float round_to_bf16(float x) { return bf16_to_float(float_to_bf16(x)); }

// x rounded to TF32 (10 stored mantissa bits, nearest, ties to even; NaN kept) in a float: what
// a tf32 tensor-core product multiplies, for the reference the cuda tf32 GEMM is checked against.
COACT_HD inline float round_to_tf32(float x) {
  const std::uint32_t u = float_bits(x);
  if ((u & 0x7fffffffu) > 0x7f800000u) return x;
  const std::uint32_t rounding = 0xfffu + ((u >> 13) & 1u);
  return bits_float((u + rounding) & 0xffffe000u);
}

// Item (r, c) of a rows×cols block read with leading dimension ld_in, written contiguous
// (leading dimension cols): a GEMM operand made bf16 before cuBLAS reads it.
struct RoundToBf16Matrix {
  std::int64_t cols;
  std::int64_t ld_in;
  const float* in;
  std::uint16_t* out;
  COACT_HD void operator()(std::int64_t i) const {
    const std::int64_t r = i / cols, c = i % cols;
    out[i] = float_to_bf16(in[r * ld_in + c]);
  }
};

}  // namespace coact::backend::ops
