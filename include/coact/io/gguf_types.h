// GGML's tensor element types as GGUF files number them, their block layouts, and the
// dequantisation of the types coact reads to float32.
//
// A tensor's elements are stored along its innermost dimension (GGUF's ne[0], the last
// dimension of the row-major shape) in blocks: `block_elements` values packed into
// `block_bytes` bytes. coact dequantises F32, F16, BF16, Q8_0, Q4_0, Q4_1, Q5_0, Q5_1, Q4_K
// and Q6_K exactly as ggml's reference code does (ggml-quants.c, dequantize_row_*): same block layout,
// same float32 operations in the same order, so the results are bit-identical.
//   Q4_0  32 values: f16 d, 16 bytes of 4-bit q (low nibbles: values 0-15, high: 16-31);
//         x = (q - 8) · d
//   Q4_1  32 values: f16 d, f16 m, 16 bytes of 4-bit q; x = q · d + m
//   Q5_0  32 values: f16 d, uint32 qh (fifth bits), 16 bytes of 4-bit q; x = (q - 16) · d
//   Q5_1  32 values: f16 d, f16 m, uint32 qh, 16 bytes of 4-bit q; x = q · d + m
//         (the fifth bit of value j is bit j of qh; llama.cpp's fallback for K-quants when a
//         row is not a multiple of 256)
//   Q8_0  32 values: f16 d, 32 int8 q; x = q · d
//   Q4_K  256 values: f16 d, f16 dmin, 12 bytes of eight 6-bit (scale, min) pairs, 128 bytes of
//         4-bit q; sub-block j of 32: x = (d · scale_j) · q - (dmin · min_j)
//   Q6_K  256 values: 128 bytes of low 4 bits, 64 bytes of high 2 bits, 16 int8 scales, f16 d;
//         x = (d · scale) · (q - 32), sixteen sub-blocks of 16
// Other types are known by name and size (so a file holding them can still be opened and its
// other tensors read) but reading them is refused.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>

namespace coact::io {

// Values of ggml's enum ggml_type that GGUF files use. Numbers not listed here can appear in a
// file (a newer ggml); the enum holds any uint32.
enum class GgufType : std::uint32_t {
  F32 = 0, F16 = 1, Q4_0 = 2, Q4_1 = 3, Q5_0 = 6, Q5_1 = 7, Q8_0 = 8, Q8_1 = 9,
  Q2_K = 10, Q3_K = 11, Q4_K = 12, Q5_K = 13, Q6_K = 14, Q8_K = 15,
  IQ2_XXS = 16, IQ2_XS = 17, IQ3_XXS = 18, IQ1_S = 19, IQ4_NL = 20, IQ3_S = 21, IQ2_S = 22, IQ4_XS = 23,
  I8 = 24, I16 = 25, I32 = 26, I64 = 27, F64 = 28, IQ1_M = 29, BF16 = 30, TQ1_0 = 34, TQ2_0 = 35, MXFP4 = 39,
};

// "Q4_K", "F16", ...; "type 31" for a number coact does not know.
std::string gguf_type_name(GgufType type);

struct GgufBlockLayout {
  std::int64_t block_elements = 0;  // 0: a type coact does not know the layout of
  std::int64_t block_bytes = 0;
};
GgufBlockLayout gguf_block_layout(GgufType type);

// Whether dequantize_gguf reads the type.
bool gguf_type_readable(GgufType type);

// Dequantises `out.size()` values (a multiple of the type's block size) from `blocks`, which
// must hold exactly out.size() / block_elements blocks. Integer types (I8..I64) convert as
// static_cast. Throws UsageError for a type gguf_type_readable refuses or a size mismatch (the
// GGUF reader checks both before calling, naming the tensor).
void dequantize_gguf(GgufType type, std::span<const std::uint8_t> blocks, std::span<float> out);

}  // namespace coact::io
