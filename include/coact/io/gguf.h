// GGUF files (llama.cpp / ggml models), versions 2 and 3, little-endian:
//
//   "GGUF", uint32 version, uint64 tensor count, uint64 metadata count,
//   metadata: (string key, uint32 value type, value) ...   strings are uint64 length + bytes,
//             arrays are uint32 element type + uint64 count + elements (arrays may nest),
//   tensor infos: (string name, uint32 n_dims, uint64 ne[n_dims], uint32 ggml type,
//                  uint64 offset) ...
//   padding to `general.alignment` (uint32, a power of two; 32 when absent),
//   tensor data: each tensor at its offset from here, a multiple of the alignment.
//
// GGUF lists a tensor's dimensions innermost first (ne[0] is the length of a row): coact
// reverses them, so `shape` is the row-major shape a model expects. A linear layer stored with
// ne = [in, out] has shape [out, in], as torch.nn.Linear's weight; the token embedding,
// ne = [d_model, vocab], has shape [vocab, d_model].
//
//   io::GgufFile file("model.gguf");
//   const std::string arch = file.metadata().get_string("general.architecture");
//   for (const io::GgufTensorInfo& t : file.gguf_tensors()) ...    // name, shape, GGUF type
//   std::vector<float> w = file.read_f32("blk.0.attn_q.weight");    // dequantised
//
// The file is memory-mapped; opening it parses and checks everything (every count and length
// against the bytes that remain, every tensor inside the data section, aligned, without
// overlaps, its innermost dimension a whole number of blocks), so reading never touches bytes
// outside the file. A problem is an InputError of one line naming the file and the key or
// tensor. Big-endian files (a version number that reads as >= 65536) and GGUF v1 are refused.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "coact/io/gguf_types.h"
#include "coact/io/tensors.h"

namespace coact::io {

namespace detail {
class MappedFile;
}

// Metadata value types, numbered as GGUF numbers them.
enum class GgufValueType : std::uint32_t {
  U8 = 0, I8 = 1, U16 = 2, I16 = 3, U32 = 4, I32 = 5, F32 = 6, Bool = 7, String = 8, Array = 9, U64 = 10, I64 = 11,
  F64 = 12,
};
// "uint8", "int32", "float32", "bool", "string", "array", ...: the spec's names.
const char* gguf_value_type_name(GgufValueType type);

// One metadata value. Scalars keep their GGUF type; arrays their element type and elements.
class GgufValue {
 public:
  GgufValueType type() const { return type_; }
  bool is_array() const { return type_ == GgufValueType::Array; }
  // Arrays: the element type and the number of elements.
  GgufValueType element_type() const { return element_type_; }
  std::size_t size() const;
  // "uint32", "array[string] of 49,152".
  std::string describe() const;

  // Scalars, or nullopt when the value is not of that kind: any integer type whose value fits
  // (as_int: int64; as_uint: uint64, non-negative), float32/float64 (as_float), bool, string.
  std::optional<std::int64_t> as_int() const;
  std::optional<std::uint64_t> as_uint() const;
  std::optional<double> as_float() const;
  std::optional<bool> as_bool() const;
  const std::string* as_string() const;
  // Arrays of one kind, or nullptr / nullopt: strings, integers that all fit int64, floats,
  // nested arrays.
  const std::vector<std::string>* as_strings() const;
  std::optional<std::vector<std::int64_t>> as_ints() const;
  std::optional<std::vector<double>> as_floats() const;
  std::optional<std::vector<bool>> as_bools() const;
  const std::vector<GgufValue>* as_arrays() const;

 private:
  friend class GgufParser;
  GgufValueType type_ = GgufValueType::U8;
  GgufValueType element_type_ = GgufValueType::U8;
  std::uint64_t bits_ = 0;       // integers (signed ones sign-extended), bool
  double real_ = 0.0;            // float32 / float64
  std::string text_;
  std::vector<std::string> texts_;       // array of strings
  std::vector<std::uint64_t> integers_;  // array of integers or bools (sign-extended)
  std::vector<double> reals_;            // array of floats
  std::vector<GgufValue> items_;         // array of arrays
};

// The key/value pairs of a file, with typed getters whose errors name the file and the key:
// "<file>: metadata key llama.block_count: expected an integer, found string".
class GgufMetadata {
 public:
  GgufMetadata() = default;
  explicit GgufMetadata(std::string context) : context_(std::move(context)) {}

  const GgufValue* find(std::string_view key) const;
  bool contains(std::string_view key) const { return find(key) != nullptr; }
  // Keys in file order.
  const std::vector<std::pair<std::string, GgufValue>>& entries() const { return entries_; }

  // Required (InputError when missing or of another kind) and optional (nullopt when missing,
  // InputError when of another kind) scalars.
  std::string get_string(std::string_view key) const;
  std::int64_t get_int(std::string_view key) const;
  std::uint64_t get_uint(std::string_view key) const;
  double get_float(std::string_view key) const;  // float32 or float64
  bool get_bool(std::string_view key) const;
  std::optional<std::string> find_string(std::string_view key) const;
  std::optional<std::int64_t> find_int(std::string_view key) const;
  std::optional<double> find_float(std::string_view key) const;
  std::optional<bool> find_bool(std::string_view key) const;
  // Required arrays.
  const std::vector<std::string>& get_strings(std::string_view key) const;
  std::vector<std::int64_t> get_ints(std::string_view key) const;
  std::vector<double> get_floats(std::string_view key) const;

  // "<file>: metadata key <key>: <what>" as an InputError.
  [[noreturn]] void fail(std::string_view key, const std::string& what) const;
  void add(std::string key, GgufValue value);  // the parser's; throws on a repeated key

 private:
  const GgufValue& require(std::string_view key) const;
  std::string context_;
  std::vector<std::pair<std::string, GgufValue>> entries_;
  std::map<std::string, std::size_t, std::less<>> index_;
};

struct GgufTensorInfo {
  std::string name;
  GgufType type = GgufType::F32;
  Shape shape;                 // row-major: GGUF's ne reversed
  std::int64_t numel = 0;
  std::uint64_t offset = 0;    // from the start of the data section
  std::uint64_t bytes = 0;     // 0 when the type's layout is unknown
};

struct GgufHeader {
  std::uint32_t version = 0;
  std::uint64_t alignment = 32;
  std::uint64_t data_offset = 0;  // where the data section starts in the file
  GgufMetadata metadata;
  std::vector<GgufTensorInfo> tensors;  // file order
};

// Parses and checks the file image `bytes` (the whole file: tensor extents are checked against
// its size). `context` names the file in errors. Never reads outside `bytes`; the entry point
// the fuzzer drives.
GgufHeader parse_gguf(std::span<const std::uint8_t> bytes, const std::string& context);

// Whether `bytes` start with the GGUF magic.
bool is_gguf(std::span<const std::uint8_t> bytes);

// A GGUF file as a TensorFile: tensors() lists them with their GGUF names and row-major shapes
// (dtype: F16, BF16, F32, F64 or an integer type as stored; F32 for block-quantised types,
// which read_f32 dequantises), so every TensorFile reader works on it. read_i64/read_i32 read
// the integer types.
class GgufFile final : public TensorFile {
 public:
  explicit GgufFile(const std::string& path);
  ~GgufFile() override;
  const char* format() const override { return "gguf"; }

  std::uint32_t version() const { return header_.version; }
  std::uint64_t alignment() const { return header_.alignment; }
  const GgufMetadata& metadata() const { return header_.metadata; }
  // Parallel to tensors(): the GGUF type, offset and size of each.
  const std::vector<GgufTensorInfo>& gguf_tensors() const { return header_.tensors; }
  const GgufTensorInfo& gguf_info(std::string_view name) const;
  // The tensor's bytes as stored (blocks for quantised types).
  std::span<const std::uint8_t> raw_bytes(std::string_view name) const;

 protected:
  TensorLayout layout(const TensorInfo& info) const override;
  void convert_f32(const TensorInfo& info, std::span<float> out) const override;
  void check_readable(const TensorInfo& info) const override;

 private:
  std::shared_ptr<const detail::MappedFile> file_;
  GgufHeader header_;
};

}  // namespace coact::io
