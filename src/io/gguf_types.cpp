// GGML type names and block sizes, and dequantisation of the block formats coact reads. Each
// dequantiser follows ggml's reference dequantize_row_* operation for operation (the project
// compiles without floating-point contraction, so no FMA changes a rounding), which makes the
// values bit-identical to ggml's and to the gguf Python package's.
#include "coact/io/gguf_types.h"

#include <bit>
#include <cstring>

#include "coact/core/errors.h"
#include "coact/core/half.h"

namespace coact::io {

static_assert(std::endian::native == std::endian::little, "GGUF blocks are read in place on a little-endian host");

namespace {

struct TypeSpec {
  GgufType type;
  const char* name;
  std::int64_t block_elements, block_bytes;
};

// ggml's type_traits (blck_size, type_size) for the types GGUF files use.
constexpr std::int64_t kSuper = 256;  // QK_K: elements of a K-quant or IQ super-block
constexpr TypeSpec kTypes[] = {
    {GgufType::F32, "F32", 1, 4},          {GgufType::F16, "F16", 1, 2},
    {GgufType::Q4_0, "Q4_0", 32, 18},      {GgufType::Q4_1, "Q4_1", 32, 20},
    {GgufType::Q5_0, "Q5_0", 32, 22},      {GgufType::Q5_1, "Q5_1", 32, 24},
    {GgufType::Q8_0, "Q8_0", 32, 34},      {GgufType::Q8_1, "Q8_1", 32, 36},
    {GgufType::Q2_K, "Q2_K", kSuper, 84},  {GgufType::Q3_K, "Q3_K", kSuper, 110},
    {GgufType::Q4_K, "Q4_K", kSuper, 144}, {GgufType::Q5_K, "Q5_K", kSuper, 176},
    {GgufType::Q6_K, "Q6_K", kSuper, 210}, {GgufType::Q8_K, "Q8_K", kSuper, 292},
    {GgufType::IQ2_XXS, "IQ2_XXS", kSuper, 66}, {GgufType::IQ2_XS, "IQ2_XS", kSuper, 74},
    {GgufType::IQ3_XXS, "IQ3_XXS", kSuper, 98}, {GgufType::IQ1_S, "IQ1_S", kSuper, 50},
    {GgufType::IQ4_NL, "IQ4_NL", 32, 18},  {GgufType::IQ3_S, "IQ3_S", kSuper, 110},
    {GgufType::IQ2_S, "IQ2_S", kSuper, 82}, {GgufType::IQ4_XS, "IQ4_XS", kSuper, 136},
    {GgufType::I8, "I8", 1, 1},            {GgufType::I16, "I16", 1, 2},
    {GgufType::I32, "I32", 1, 4},          {GgufType::I64, "I64", 1, 8},
    {GgufType::F64, "F64", 1, 8},          {GgufType::IQ1_M, "IQ1_M", kSuper, 56},
    {GgufType::BF16, "BF16", 1, 2},        {GgufType::TQ1_0, "TQ1_0", kSuper, 54},
    {GgufType::TQ2_0, "TQ2_0", kSuper, 66}, {GgufType::MXFP4, "MXFP4", 32, 17},
};

const TypeSpec* find_spec(GgufType type) {
  for (const TypeSpec& spec : kTypes)
    if (spec.type == type) return &spec;
  return nullptr;
}

template <class T>
T load(const std::uint8_t* p) {
  T value;
  std::memcpy(&value, p, sizeof value);
  return value;
}

float load_half(const std::uint8_t* p) { return half_to_float(load<std::uint16_t>(p)); }

void dequantize_q4_0(const std::uint8_t* block, float* y) {
  const float d = load_half(block);
  const std::uint8_t* qs = block + 2;
  for (int j = 0; j < 16; ++j) {
    const int x0 = (qs[j] & 0x0F) - 8;
    const int x1 = (qs[j] >> 4) - 8;
    y[j] = static_cast<float>(x0) * d;
    y[j + 16] = static_cast<float>(x1) * d;
  }
}

void dequantize_q4_1(const std::uint8_t* block, float* y) {
  const float d = load_half(block);
  const float m = load_half(block + 2);
  const std::uint8_t* qs = block + 4;
  for (int j = 0; j < 16; ++j) {
    y[j] = static_cast<float>(qs[j] & 0x0F) * d + m;
    y[j + 16] = static_cast<float>(qs[j] >> 4) * d + m;
  }
}

// Q5_0 / Q5_1: the fifth bit of value j (< 16) is bit j of the 32-bit qh, of value j + 16 bit
// j + 16.
void dequantize_q5_0(const std::uint8_t* block, float* y) {
  const float d = load_half(block);
  const std::uint32_t qh = load<std::uint32_t>(block + 2);
  const std::uint8_t* qs = block + 6;
  for (int j = 0; j < 16; ++j) {
    const int high0 = static_cast<int>(((qh >> j) << 4) & 0x10), high1 = static_cast<int>((qh >> (j + 12)) & 0x10);
    y[j] = static_cast<float>(((qs[j] & 0x0F) | high0) - 16) * d;
    y[j + 16] = static_cast<float>(((qs[j] >> 4) | high1) - 16) * d;
  }
}

void dequantize_q5_1(const std::uint8_t* block, float* y) {
  const float d = load_half(block);
  const float m = load_half(block + 2);
  const std::uint32_t qh = load<std::uint32_t>(block + 4);
  const std::uint8_t* qs = block + 8;
  for (int j = 0; j < 16; ++j) {
    const int high0 = static_cast<int>(((qh >> j) << 4) & 0x10), high1 = static_cast<int>((qh >> (j + 12)) & 0x10);
    y[j] = static_cast<float>((qs[j] & 0x0F) | high0) * d + m;
    y[j + 16] = static_cast<float>((qs[j] >> 4) | high1) * d + m;
  }
}

void dequantize_q8_0(const std::uint8_t* block, float* y) {
  const float d = load_half(block);
  for (int j = 0; j < 32; ++j) y[j] = static_cast<float>(static_cast<std::int8_t>(block[2 + j])) * d;
}

// The j-th 6-bit (scale, min) pair of a Q4_K block's 12 scale bytes: pairs 0-3 sit in the low
// six bits of bytes 0-3 (scales) and 4-7 (mins); pairs 4-7 keep their low four bits in bytes
// 8-11 and their top two bits in the spare top bits of bytes 0-7.
void q4_k_scale_min(int j, const std::uint8_t* q, std::uint8_t& scale, std::uint8_t& min) {
  if (j < 4) {
    scale = q[j] & 63;
    min = q[j + 4] & 63;
  } else {
    scale = static_cast<std::uint8_t>((q[j + 4] & 0xF) | ((q[j - 4] >> 6) << 4));
    min = static_cast<std::uint8_t>((q[j + 4] >> 4) | ((q[j] >> 6) << 4));
  }
}

void dequantize_q4_k(const std::uint8_t* block, float* y) {
  const float d = load_half(block);
  const float dmin = load_half(block + 2);
  const std::uint8_t* scales = block + 4;
  const std::uint8_t* q = block + 16;
  // Four groups of 64 values: 32 low nibbles (sub-block 2g) then 32 high nibbles (2g + 1).
  for (int group = 0; group < 4; ++group) {
    std::uint8_t scale = 0, min = 0;
    q4_k_scale_min(2 * group, scales, scale, min);
    const float d1 = d * static_cast<float>(scale), m1 = dmin * static_cast<float>(min);
    q4_k_scale_min(2 * group + 1, scales, scale, min);
    const float d2 = d * static_cast<float>(scale), m2 = dmin * static_cast<float>(min);
    for (int l = 0; l < 32; ++l) *y++ = d1 * static_cast<float>(q[l] & 0xF) - m1;
    for (int l = 0; l < 32; ++l) *y++ = d2 * static_cast<float>(q[l] >> 4) - m2;
    q += 32;
  }
}

void dequantize_q6_k(const std::uint8_t* block, float* y) {
  const std::uint8_t* ql = block;         // 128 bytes: low four bits
  const std::uint8_t* qh = block + 128;   // 64 bytes: high two bits
  const std::uint8_t* scales = block + 192;  // 16 int8
  const float d = load_half(block + 208);
  // Two halves of 128 values; in each, value l + 32·k takes its low bits from a nibble of
  // ql[l] or ql[l + 32] and its high bits from bit pair k of qh[l].
  for (int half = 0; half < 2; ++half) {
    for (int l = 0; l < 32; ++l) {
      const int is = l / 16;
      const int q1 = ((ql[l] & 0xF) | (((qh[l] >> 0) & 3) << 4)) - 32;
      const int q2 = ((ql[l + 32] & 0xF) | (((qh[l] >> 2) & 3) << 4)) - 32;
      const int q3 = ((ql[l] >> 4) | (((qh[l] >> 4) & 3) << 4)) - 32;
      const int q4 = ((ql[l + 32] >> 4) | (((qh[l] >> 6) & 3) << 4)) - 32;
      const auto scale = [&](int k) { return static_cast<float>(static_cast<std::int8_t>(scales[k])); };
      y[l] = d * scale(is) * static_cast<float>(q1);
      y[l + 32] = d * scale(is + 2) * static_cast<float>(q2);
      y[l + 64] = d * scale(is + 4) * static_cast<float>(q3);
      y[l + 96] = d * scale(is + 6) * static_cast<float>(q4);
    }
    y += 128;
    ql += 64;
    qh += 32;
    scales += 8;
  }
}

using BlockDecoder = void (*)(const std::uint8_t*, float*);

BlockDecoder block_decoder(GgufType type) {
  switch (type) {
    case GgufType::Q4_0: return dequantize_q4_0;
    case GgufType::Q4_1: return dequantize_q4_1;
    case GgufType::Q5_0: return dequantize_q5_0;
    case GgufType::Q5_1: return dequantize_q5_1;
    case GgufType::Q8_0: return dequantize_q8_0;
    case GgufType::Q4_K: return dequantize_q4_k;
    case GgufType::Q6_K: return dequantize_q6_k;
    default: return nullptr;
  }
}

bool plain_readable(GgufType type) {
  switch (type) {
    case GgufType::F32: case GgufType::F16: case GgufType::BF16: case GgufType::F64:
    case GgufType::I8: case GgufType::I16: case GgufType::I32: case GgufType::I64:
      return true;
    default:
      return false;
  }
}

float plain_element(GgufType type, const std::uint8_t* p) {
  switch (type) {
    case GgufType::F32: return load<float>(p);
    case GgufType::F16: return half_to_float(load<std::uint16_t>(p));
    case GgufType::BF16: return bits_float(static_cast<std::uint32_t>(load<std::uint16_t>(p)) << 16);
    case GgufType::F64: return static_cast<float>(load<double>(p));
    case GgufType::I8: return static_cast<float>(load<std::int8_t>(p));
    case GgufType::I16: return static_cast<float>(load<std::int16_t>(p));
    case GgufType::I32: return static_cast<float>(load<std::int32_t>(p));
    case GgufType::I64: return static_cast<float>(load<std::int64_t>(p));
    default: return 0.0f;
  }
}

}  // namespace

std::string gguf_type_name(GgufType type) {
  if (const TypeSpec* spec = find_spec(type)) return spec->name;
  return str("type ", static_cast<std::uint32_t>(type));
}

GgufBlockLayout gguf_block_layout(GgufType type) {
  if (const TypeSpec* spec = find_spec(type)) return {spec->block_elements, spec->block_bytes};
  return {};
}

bool gguf_type_readable(GgufType type) { return plain_readable(type) || block_decoder(type) != nullptr; }

void dequantize_gguf(GgufType type, std::span<const std::uint8_t> blocks, std::span<float> out) {
  if (!gguf_type_readable(type)) {
    throw UsageError(str("dequantize_gguf: GGUF type ", gguf_type_name(type), " is not one coact reads"));
  }
  const GgufBlockLayout layout = gguf_block_layout(type);
  const auto n = static_cast<std::int64_t>(out.size());
  if (n % layout.block_elements != 0 ||
      static_cast<std::int64_t>(blocks.size()) != n / layout.block_elements * layout.block_bytes) {
    throw UsageError(str("dequantize_gguf: ", blocks.size(), " bytes of ", gguf_type_name(type), " do not hold ", n, " values"));
  }
  const std::uint8_t* p = blocks.data();
  if (const BlockDecoder decode = block_decoder(type)) {
    for (std::int64_t b = 0; b < n / layout.block_elements; ++b) {
      decode(p + b * layout.block_bytes, out.data() + b * layout.block_elements);
    }
    return;
  }
  if (type == GgufType::F32) {
    if (n > 0) std::memcpy(out.data(), p, out.size_bytes());
    return;
  }
  for (std::int64_t i = 0; i < n; ++i) out[static_cast<std::size_t>(i)] = plain_element(type, p + i * layout.block_bytes);
}

}  // namespace coact::io
