#include "coact/io/tensors.h"

#include <bit>
#include <cmath>
#include <cstring>
#include <fstream>
#include <limits>

#include "coact/core/errors.h"
#include "coact/core/half.h"
#include "coact/io/gguf.h"
#include "coact/io/npz.h"
#include "coact/io/safetensors.h"
#include "coact/io/torch_pickle.h"
#include "display_name.h"

namespace coact::io {

// Both formats store little-endian data; coact reads it in place.
static_assert(std::endian::native == std::endian::little, "interchange readers assume a little-endian host");

namespace {

using detail::display_name;

struct DTypeSpec {
  DType dtype;
  const char* name;
  std::size_t size;
  bool is_float;
};

constexpr DTypeSpec kDTypes[] = {
    {DType::Bool, "BOOL", 1, false}, {DType::U8, "U8", 1, false},        {DType::I8, "I8", 1, false},
    {DType::I16, "I16", 2, false},   {DType::U16, "U16", 2, false},      {DType::I32, "I32", 4, false},
    {DType::U32, "U32", 4, false},   {DType::I64, "I64", 8, false},      {DType::U64, "U64", 8, false},
    {DType::F8_E4M3, "F8_E4M3", 1, true}, {DType::F8_E5M2, "F8_E5M2", 1, true}, {DType::F16, "F16", 2, true},
    {DType::BF16, "BF16", 2, true},  {DType::F32, "F32", 4, true},       {DType::F64, "F64", 8, true},
};

const DTypeSpec& spec(DType dtype) {
  for (const auto& s : kDTypes)
    if (s.dtype == dtype) return s;
  return kDTypes[0];  // unreachable: every enumerator is listed
}

template <class T>
T load(const std::uint8_t* p) {
  T value;
  std::memcpy(&value, p, sizeof value);
  return value;
}

// float8 e4m3fn (no infinities; S.1111.111 is NaN), as PyTorch's float8_e4m3fn.
float e4m3_to_float(std::uint8_t b) {
  const float sign = (b & 0x80u) ? -1.0f : 1.0f;
  const unsigned exponent = (b >> 3) & 0xfu, mantissa = b & 0x7u;
  if (exponent == 0xfu && mantissa == 0x7u) return std::numeric_limits<float>::quiet_NaN();
  if (exponent == 0) return sign * std::ldexp(static_cast<float>(mantissa), -9);  // subnormal: m/8 · 2^-6
  return sign * std::ldexp(1.0f + static_cast<float>(mantissa) / 8.0f, static_cast<int>(exponent) - 7);
}

float element_as_float(DType dtype, const std::uint8_t* p) {
  switch (dtype) {
    case DType::Bool: return *p != 0 ? 1.0f : 0.0f;
    case DType::U8: return static_cast<float>(*p);
    case DType::I8: return static_cast<float>(load<std::int8_t>(p));
    case DType::I16: return static_cast<float>(load<std::int16_t>(p));
    case DType::U16: return static_cast<float>(load<std::uint16_t>(p));
    case DType::I32: return static_cast<float>(load<std::int32_t>(p));
    case DType::U32: return static_cast<float>(load<std::uint32_t>(p));
    case DType::I64: return static_cast<float>(load<std::int64_t>(p));
    case DType::U64: return static_cast<float>(load<std::uint64_t>(p));
    case DType::F8_E4M3: return e4m3_to_float(*p);
    case DType::F8_E5M2: return half_to_float(static_cast<std::uint16_t>(*p << 8));  // the top byte of a half
    case DType::F16: return half_to_float(load<std::uint16_t>(p));
    case DType::BF16: return bits_float(static_cast<std::uint32_t>(load<std::uint16_t>(p)) << 16);
    case DType::F32: return load<float>(p);
    case DType::F64: return static_cast<float>(load<double>(p));
  }
  return 0.0f;
}

bool element_as_int(DType dtype, const std::uint8_t* p, std::int64_t& out) {
  switch (dtype) {
    case DType::Bool: out = *p != 0; return true;
    case DType::U8: out = *p; return true;
    case DType::I8: out = load<std::int8_t>(p); return true;
    case DType::I16: out = load<std::int16_t>(p); return true;
    case DType::U16: out = load<std::uint16_t>(p); return true;
    case DType::I32: out = load<std::int32_t>(p); return true;
    case DType::U32: out = load<std::uint32_t>(p); return true;
    case DType::I64: out = load<std::int64_t>(p); return true;
    case DType::U64: {
      const auto u = load<std::uint64_t>(p);
      if (u > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) return false;
      out = static_cast<std::int64_t>(u);
      return true;
    }
    default: return false;
  }
}

bool is_row_major(const TensorInfo& info, const TensorLayout& layout) {
  std::int64_t expected = 1;
  for (std::size_t k = info.shape.size(); k-- > 0;) {
    if (info.shape[k] != 1 && layout.strides[k] != expected) return false;
    expected *= info.shape[k];
  }
  return true;
}

// Visits every element in row-major order, calling visit(out_index, element_pointer).
template <class Visit>
void for_each_element(const TensorInfo& info, const TensorLayout& layout, Visit visit) {
  const std::size_t width = dtype_size(info.dtype);
  if (info.numel == 0) return;
  const std::size_t rank = info.shape.size();
  if (rank == 0 || is_row_major(info, layout)) {
    const std::uint8_t* p = layout.base + static_cast<std::size_t>(layout.offset) * width;
    for (std::int64_t i = 0; i < info.numel; ++i) visit(i, p + static_cast<std::size_t>(i) * width);
    return;
  }
  // Strided view (a slice saved by torch.save): walk an index counter, innermost dimension fastest.
  std::vector<std::int64_t> index(rank, 0);
  const std::int64_t inner = info.shape[rank - 1], inner_stride = layout.strides[rank - 1];
  std::int64_t out = 0;
  for (;;) {
    std::int64_t element = layout.offset;
    for (std::size_t k = 0; k + 1 < rank; ++k) element += index[k] * layout.strides[k];
    for (std::int64_t j = 0; j < inner; ++j)
      visit(out++, layout.base + static_cast<std::size_t>(element + j * inner_stride) * width);
    std::size_t k = rank - 1;
    for (;;) {
      if (k == 0) return;
      --k;
      if (++index[k] < info.shape[k]) break;
      index[k] = 0;
    }
  }
}

}  // namespace

std::size_t dtype_size(DType dtype) { return spec(dtype).size; }
const char* dtype_name(DType dtype) { return spec(dtype).name; }
bool dtype_is_float(DType dtype) { return spec(dtype).is_float; }

std::optional<DType> dtype_from_name(std::string_view name) {
  for (const auto& s : kDTypes)
    if (name == s.name) return s.dtype;
  return std::nullopt;
}

std::optional<std::int64_t> checked_numel(std::span<const std::int64_t> shape) {
  std::int64_t numel = 1;
  for (const std::int64_t dim : shape) {
    if (dim < 0 || __builtin_mul_overflow(numel, dim, &numel)) return std::nullopt;
  }
  return numel;
}

void TensorFile::index_tensors() {
  index_.clear();
  for (std::size_t i = 0; i < tensors_.size(); ++i) {
    if (!index_.emplace(tensors_[i].name, i).second)
      throw InputError(str(path_, ": tensor name ", display_name(tensors_[i].name), " appears twice"));
  }
}

const TensorInfo* TensorFile::find(std::string_view name) const {
  const auto it = index_.find(name);
  return it == index_.end() ? nullptr : &tensors_[it->second];
}

const TensorInfo& TensorFile::info(std::string_view name) const {
  if (const TensorInfo* t = find(name)) return *t;
  std::string listing;
  for (std::size_t i = 0; i < tensors_.size() && i < 8; ++i) listing += (i ? ", " : "") + display_name(tensors_[i].name);
  if (tensors_.size() > 8) listing += ", ...";
  throw InputError(str(path_, ": no tensor \"", display_name(name), "\" (the file holds ", tensors_.size(),
                       tensors_.empty() ? "" : ": ", listing, ")"));
}

const TensorInfo& TensorFile::require(std::string_view name, const Shape& expected) const {
  const TensorInfo& t = info(name);
  if (t.shape != expected)
    throw InputError(str(path_, ": tensor ", display_name(name), ": expected shape ", shape_string(expected), ", found ",
                         shape_string(t.shape)));
  return t;
}

void TensorFile::read_f32(std::string_view name, std::span<float> out) const {
  const TensorInfo& t = info(name);
  if (out.size() != static_cast<std::size_t>(t.numel))
    throw UsageError(str("read_f32(", display_name(name), "): the buffer holds ", out.size(), " values, the tensor ", t.numel));
  convert_f32(t, out);
}

void TensorFile::convert_f32(const TensorInfo& t, std::span<float> out) const {
  const TensorLayout where = layout(t);
  if (t.dtype == DType::F32 && (t.shape.empty() || is_row_major(t, where))) {
    if (t.numel > 0) std::memcpy(out.data(), where.base + static_cast<std::size_t>(where.offset) * 4, out.size_bytes());
    return;
  }
  for_each_element(t, where, [&](std::int64_t i, const std::uint8_t* p) { out[static_cast<std::size_t>(i)] = element_as_float(t.dtype, p); });
}

std::vector<float> TensorFile::read_f32(std::string_view name) const {
  check_readable(info(name));
  std::vector<float> values(static_cast<std::size_t>(info(name).numel));
  read_f32(name, values);
  return values;
}

std::vector<float> TensorFile::read_f32(std::string_view name, const Shape& expected) const {
  require(name, expected);
  return read_f32(name);
}

void TensorFile::read_i64(std::string_view name, std::span<std::int64_t> out) const {
  const TensorInfo& t = info(name);
  if (out.size() != static_cast<std::size_t>(t.numel))
    throw UsageError(str("read_i64(", display_name(name), "): the buffer holds ", out.size(), " values, the tensor ", t.numel));
  if (dtype_is_float(t.dtype))
    throw InputError(str(path_, ": tensor ", display_name(name), ": dtype ", dtype_name(t.dtype), ", expected an integer dtype"));
  const TensorLayout where = layout(t);
  for_each_element(t, where, [&](std::int64_t i, const std::uint8_t* p) {
    if (!element_as_int(t.dtype, p, out[static_cast<std::size_t>(i)]))
      throw InputError(str(path_, ": tensor ", display_name(name), ": element ", i, " does not fit in int64"));
  });
}

void TensorFile::read_i32(std::string_view name, std::span<std::int32_t> out) const {
  const TensorInfo& t = info(name);
  if (out.size() != static_cast<std::size_t>(t.numel))
    throw UsageError(str("read_i32(", display_name(name), "): the buffer holds ", out.size(), " values, the tensor ", t.numel));
  if (dtype_is_float(t.dtype))
    throw InputError(str(path_, ": tensor ", display_name(name), ": dtype ", dtype_name(t.dtype), ", expected an integer dtype"));
  const TensorLayout where = layout(t);
  for_each_element(t, where, [&](std::int64_t i, const std::uint8_t* p) {
    std::int64_t v = 0;
    if (!element_as_int(t.dtype, p, v) || v < std::numeric_limits<std::int32_t>::min() ||
        v > std::numeric_limits<std::int32_t>::max())
      throw InputError(str(path_, ": tensor ", display_name(name), ": element ", i, " does not fit in int32"));
    out[static_cast<std::size_t>(i)] = static_cast<std::int32_t>(v);
  });
}

std::unique_ptr<TensorFile> open_tensor_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw InputError(str(path, ": cannot open: ", std::strerror(errno)));
  unsigned char magic[4] = {0, 0, 0, 0};
  in.read(reinterpret_cast<char*>(magic), sizeof magic);
  // A file named .safetensors is read as one whatever its first bytes (a corrupt header length
  // could look like anything); the errors then speak of the safetensors header.
  const bool named_safetensors = path.size() >= 12 && path.compare(path.size() - 12, 12, ".safetensors") == 0;
  if (path.ends_with(".safetensors.index.json")) return std::make_unique<ShardedSafetensorsFile>(path);
  if (path.ends_with(".npz")) return std::make_unique<NpzFile>(path);
  if (!named_safetensors && in.gcount() == 4 && is_gguf(std::span<const std::uint8_t>(magic, 4))) {
    return std::make_unique<GgufFile>(path);
  }
  // Zip local header or (empty archive) end record: a torch.save file since PyTorch 1.6.
  if (!named_safetensors && in.gcount() == 4 && magic[0] == 'P' && magic[1] == 'K' && (magic[2] == 3 || magic[2] == 5))
    return std::make_unique<TorchFile>(path);
  // A bare pickle stream (protocol >= 2): the legacy torch.save format.
  if (!named_safetensors && in.gcount() >= 2 && magic[0] == 0x80 && magic[1] >= 2 && magic[1] <= 5)
    throw InputError(str(path, ": legacy (pre-1.6, non-zip) torch.save format is not supported; re-save it with "
                               "torch.save(obj, path) from PyTorch >= 1.6, or as safetensors"));
  return std::make_unique<SafetensorsFile>(path);
}

TensorMap load_tensors(const std::string& path) {
  const auto file = open_tensor_file(path);
  TensorMap out;
  for (const TensorInfo& t : file->tensors()) {
    Tensor tensor;
    tensor.source_dtype = t.dtype;
    tensor.shape = t.shape;
    tensor.values = file->read_f32(t.name);
    out.emplace(t.name, std::move(tensor));
  }
  return out;
}

}  // namespace coact::io
