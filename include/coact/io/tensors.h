// Named tensors from interchange files (safetensors, PyTorch .pt zip): one reader interface the
// SAE import and the transformer weight loading call, whatever the file format.
//
//   auto file = io::open_tensor_file("sae_weights.safetensors");   // or "sae.pt"
//   std::vector<float> w_enc = file->read_f32("W_enc", {d, n});      // checks dtype + shape
//
// Files are memory-mapped and read lazily, tensor by tensor, converting to float32 (or int64
// for integer tensors) into the caller's buffer. Every structural check happens when the file
// is opened, so a reader never touches bytes outside the file; any problem is an InputError of
// one line naming the file and the tensor.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "coact/io/shape.h"

namespace coact::io {

// Element types of interchange files, named as safetensors names them.
enum class DType : std::uint8_t { Bool, U8, I8, I16, U16, I32, U32, I64, U64, F8_E4M3, F8_E5M2, F16, BF16, F32, F64 };

std::size_t dtype_size(DType dtype);
const char* dtype_name(DType dtype);  // "F32", "BF16", "I64", ...
bool dtype_is_float(DType dtype);
// The dtype safetensors spells `name` ("F16"), or nullopt for anything else.
std::optional<DType> dtype_from_name(std::string_view name);

struct TensorInfo {
  std::string name;
  DType dtype = DType::F32;
  Shape shape;
  std::int64_t numel = 0;  // product of shape (checked against overflow when the file is read)
};

// Element (i0, i1, ...) lies at byte base + (offset + Σ i_k · strides[k]) · dtype_size.
// Readers validate that every element of every tensor lies inside the file before exposing it.
struct TensorLayout {
  const std::uint8_t* base = nullptr;
  std::int64_t offset = 0;
  Shape strides;  // in elements, one per dimension
};

class TensorFile {
 public:
  virtual ~TensorFile() = default;
  TensorFile(const TensorFile&) = delete;
  TensorFile& operator=(const TensorFile&) = delete;

  const std::string& path() const { return path_; }
  // "safetensors" or "pytorch".
  virtual const char* format() const = 0;
  // Tensors in file order (safetensors: header order; .pt: pickle order).
  const std::vector<TensorInfo>& tensors() const { return tensors_; }
  const TensorInfo* find(std::string_view name) const;
  // Throws InputError "<file>: no tensor "x" (the file holds 4: a, b, c, d)".
  const TensorInfo& info(std::string_view name) const;
  // info(name), and an InputError "<file>: tensor <name>: expected shape [..], found [..]"
  // unless the shape is `expected`.
  const TensorInfo& require(std::string_view name, const Shape& expected) const;

  // Converts to float32 (F16, BF16, F8 and F64 round to nearest; integers convert as static_cast)
  // into `out`, which must hold exactly numel values (UsageError otherwise).
  void read_f32(std::string_view name, std::span<float> out) const;
  std::vector<float> read_f32(std::string_view name) const;
  // require(name, shape) then read_f32.
  std::vector<float> read_f32(std::string_view name, const Shape& expected) const;
  // Integer and bool tensors only (InputError for float dtypes and for U64 values beyond int64,
  // or int32 for read_i32).
  void read_i64(std::string_view name, std::span<std::int64_t> out) const;
  void read_i32(std::string_view name, std::span<std::int32_t> out) const;

 protected:
  explicit TensorFile(std::string path) : path_(std::move(path)) {}
  // Where `info`'s elements are; may do work on first use (inflate, checksum) and throw.
  virtual TensorLayout layout(const TensorInfo& info) const = 0;
  // Fills `out` (numel values) with the tensor as float32. The default converts the elements
  // layout() places; formats whose tensors are not arrays of elements (GGUF's quantised
  // blocks) override it.
  virtual void convert_f32(const TensorInfo& info, std::span<float> out) const;
  // Throws InputError when read_f32 cannot read the tensor, before its buffer is allocated (a
  // GGUF tensor of an unknown type has a shape but no bytes to bound it).
  virtual void check_readable(const TensorInfo& /*info*/) const {}
  // Another file's layout(), for formats made of several files (sharded checkpoints).
  static TensorLayout layout_of(const TensorFile& file, const TensorInfo& info) { return file.layout(info); }
  static void convert_f32_of(const TensorFile& file, const TensorInfo& info, std::span<float> out) {
    file.convert_f32(info, out);
  }
  static void check_readable_of(const TensorFile& file, const TensorInfo& info) { file.check_readable(info); }
  // Builds the name index; throws InputError on a duplicated name.
  void index_tensors();

  std::vector<TensorInfo> tensors_;

 private:
  std::string path_;
  std::map<std::string, std::size_t, std::less<>> index_;
};

// Opens a safetensors file, a sharded safetensors checkpoint (its index, a name ending in
// .safetensors.index.json), a GGUF file (GgufFile: GGUF's tensor names; see gguf_model.h for
// Hugging Face names) or a PyTorch zip checkpoint (.pt, .pth, .bin, ...), told apart by their
// first bytes; a name ending in .safetensors is always read as safetensors. The legacy
// pre-1.6 torch.save format is refused with advice.
std::unique_ptr<TensorFile> open_tensor_file(const std::string& path);

// A tensor held in memory as float32, with the dtype it had in the file.
struct Tensor {
  DType source_dtype = DType::F32;
  Shape shape;
  std::vector<float> values;
};
using TensorMap = std::map<std::string, Tensor>;

// Every tensor of the file as float32 (for small files and tests; large models should read
// tensor by tensor through open_tensor_file).
TensorMap load_tensors(const std::string& path);

// Product of `shape`, or nullopt when a dimension is negative or the product overflows int64.
std::optional<std::int64_t> checked_numel(std::span<const std::int64_t> shape);

}  // namespace coact::io
