// The GGUF parser (a bounds-checked cursor over the file image), metadata values and their
// typed getters, and GgufFile.
#include "coact/io/gguf.h"

#include <algorithm>
#include <bit>
#include <cstring>
#include <limits>

#include "coact/core/errors.h"
#include "display_name.h"
#include "mapped_file.h"

namespace coact::io {

static_assert(std::endian::native == std::endian::little, "the GGUF reader assumes a little-endian host");

using detail::display_name;

namespace {

constexpr std::uint8_t kMagic[4] = {'G', 'G', 'U', 'F'};
constexpr std::uint64_t kMaxKeyBytes = 65535;  // the spec's limit on keys
constexpr int kMaxArrayDepth = 8;              // nested arrays: real files nest one level at most
constexpr std::uint32_t kMaxDims = 8;          // ggml has 4; leave room, refuse nonsense

struct ValueTypeSpec {
  GgufValueType type;
  const char* name;
  std::uint64_t size;  // bytes of a scalar; 0 for string and array
};

constexpr ValueTypeSpec kValueTypes[] = {
    {GgufValueType::U8, "uint8", 1},    {GgufValueType::I8, "int8", 1},       {GgufValueType::U16, "uint16", 2},
    {GgufValueType::I16, "int16", 2},   {GgufValueType::U32, "uint32", 4},    {GgufValueType::I32, "int32", 4},
    {GgufValueType::F32, "float32", 4}, {GgufValueType::Bool, "bool", 1},     {GgufValueType::String, "string", 0},
    {GgufValueType::Array, "array", 0}, {GgufValueType::U64, "uint64", 8},    {GgufValueType::I64, "int64", 8},
    {GgufValueType::F64, "float64", 8},
};

const ValueTypeSpec* value_spec(std::uint32_t raw) {
  for (const ValueTypeSpec& spec : kValueTypes)
    if (static_cast<std::uint32_t>(spec.type) == raw) return &spec;
  return nullptr;
}

bool is_integer_type(GgufValueType t) {
  switch (t) {
    case GgufValueType::U8: case GgufValueType::I8: case GgufValueType::U16: case GgufValueType::I16:
    case GgufValueType::U32: case GgufValueType::I32: case GgufValueType::U64: case GgufValueType::I64:
      return true;
    default:
      return false;
  }
}

bool is_signed_type(GgufValueType t) {
  return t == GgufValueType::I8 || t == GgufValueType::I16 || t == GgufValueType::I32 || t == GgufValueType::I64;
}

// The smallest encoding of one element of an array of `type`: bounds an element count by the
// bytes that remain before anything is allocated.
std::uint64_t min_encoded_size(GgufValueType type) {
  if (type == GgufValueType::String) return 8;              // the length
  if (type == GgufValueType::Array) return 12;              // element type + count
  return value_spec(static_cast<std::uint32_t>(type))->size;
}

std::optional<std::int64_t> integer_as_int(GgufValueType type, std::uint64_t bits) {
  if (is_signed_type(type)) return static_cast<std::int64_t>(bits);
  if (bits > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) return std::nullopt;
  return static_cast<std::int64_t>(bits);
}

}  // namespace

const char* gguf_value_type_name(GgufValueType type) {
  const ValueTypeSpec* spec = value_spec(static_cast<std::uint32_t>(type));
  return spec != nullptr ? spec->name : "unknown";
}

// ---- GgufValue ------------------------------------------------------------------------------

std::size_t GgufValue::size() const {
  if (!is_array()) return 0;
  if (element_type_ == GgufValueType::String) return texts_.size();
  if (element_type_ == GgufValueType::Array) return items_.size();
  if (element_type_ == GgufValueType::F32 || element_type_ == GgufValueType::F64) return reals_.size();
  return integers_.size();
}

std::string GgufValue::describe() const {
  if (!is_array()) return gguf_value_type_name(type_);
  return str("array[", gguf_value_type_name(element_type_), "] of ", with_commas(static_cast<std::int64_t>(size())));
}

std::optional<std::int64_t> GgufValue::as_int() const {
  if (!is_integer_type(type_)) return std::nullopt;
  return integer_as_int(type_, bits_);
}

std::optional<std::uint64_t> GgufValue::as_uint() const {
  if (!is_integer_type(type_)) return std::nullopt;
  if (is_signed_type(type_) && static_cast<std::int64_t>(bits_) < 0) return std::nullopt;
  return bits_;
}

std::optional<double> GgufValue::as_float() const {
  if (type_ != GgufValueType::F32 && type_ != GgufValueType::F64) return std::nullopt;
  return real_;
}

std::optional<bool> GgufValue::as_bool() const {
  if (type_ != GgufValueType::Bool) return std::nullopt;
  return bits_ != 0;
}

const std::string* GgufValue::as_string() const { return type_ == GgufValueType::String ? &text_ : nullptr; }

const std::vector<std::string>* GgufValue::as_strings() const {
  return is_array() && element_type_ == GgufValueType::String ? &texts_ : nullptr;
}

std::optional<std::vector<std::int64_t>> GgufValue::as_ints() const {
  if (!is_array() || !is_integer_type(element_type_)) return std::nullopt;
  std::vector<std::int64_t> values;
  values.reserve(integers_.size());
  for (const std::uint64_t bits : integers_) {
    const auto value = integer_as_int(element_type_, bits);
    if (!value) return std::nullopt;
    values.push_back(*value);
  }
  return values;
}

std::optional<std::vector<double>> GgufValue::as_floats() const {
  if (!is_array() || (element_type_ != GgufValueType::F32 && element_type_ != GgufValueType::F64)) return std::nullopt;
  return reals_;
}

std::optional<std::vector<bool>> GgufValue::as_bools() const {
  if (!is_array() || element_type_ != GgufValueType::Bool) return std::nullopt;
  std::vector<bool> values;
  values.reserve(integers_.size());
  for (const std::uint64_t bits : integers_) values.push_back(bits != 0);
  return values;
}

const std::vector<GgufValue>* GgufValue::as_arrays() const {
  return is_array() && element_type_ == GgufValueType::Array ? &items_ : nullptr;
}

// ---- GgufMetadata -----------------------------------------------------------------------------

void GgufMetadata::add(std::string key, GgufValue value) {
  if (index_.count(key) != 0) fail(key, "appears twice");
  index_.emplace(key, entries_.size());
  entries_.emplace_back(std::move(key), std::move(value));
}

const GgufValue* GgufMetadata::find(std::string_view key) const {
  const auto it = index_.find(key);
  return it == index_.end() ? nullptr : &entries_[it->second].second;
}

void GgufMetadata::fail(std::string_view key, const std::string& what) const {
  throw InputError(str(context_, ": metadata key ", display_name(key), ": ", what));
}

const GgufValue& GgufMetadata::require(std::string_view key) const {
  const GgufValue* value = find(key);
  if (value == nullptr) throw InputError(str(context_, ": metadata key ", display_name(key), " is missing"));
  return *value;
}

namespace {
template <class T>
T expect(const GgufMetadata& metadata, std::string_view key, const GgufValue& value, std::optional<T> got, const char* what) {
  if (!got) metadata.fail(key, str("expected ", what, ", found ", value.describe()));
  return *got;
}
}  // namespace

std::string GgufMetadata::get_string(std::string_view key) const {
  const GgufValue& value = require(key);
  if (const std::string* text = value.as_string()) return *text;
  fail(key, str("expected a string, found ", value.describe()));
}

std::int64_t GgufMetadata::get_int(std::string_view key) const {
  const GgufValue& value = require(key);
  return expect(*this, key, value, value.as_int(), "an integer");
}

std::uint64_t GgufMetadata::get_uint(std::string_view key) const {
  const GgufValue& value = require(key);
  return expect(*this, key, value, value.as_uint(), "a non-negative integer");
}

double GgufMetadata::get_float(std::string_view key) const {
  const GgufValue& value = require(key);
  return expect(*this, key, value, value.as_float(), "a float32 or float64");
}

bool GgufMetadata::get_bool(std::string_view key) const {
  const GgufValue& value = require(key);
  return expect(*this, key, value, value.as_bool(), "a bool");
}

std::optional<std::string> GgufMetadata::find_string(std::string_view key) const {
  if (!contains(key)) return std::nullopt;
  return get_string(key);
}

std::optional<std::int64_t> GgufMetadata::find_int(std::string_view key) const {
  if (!contains(key)) return std::nullopt;
  return get_int(key);
}

std::optional<double> GgufMetadata::find_float(std::string_view key) const {
  if (!contains(key)) return std::nullopt;
  return get_float(key);
}

std::optional<bool> GgufMetadata::find_bool(std::string_view key) const {
  if (!contains(key)) return std::nullopt;
  return get_bool(key);
}

const std::vector<std::string>& GgufMetadata::get_strings(std::string_view key) const {
  const GgufValue& value = require(key);
  if (const auto* texts = value.as_strings()) return *texts;
  fail(key, str("expected an array of strings, found ", value.describe()));
}

std::vector<std::int64_t> GgufMetadata::get_ints(std::string_view key) const {
  const GgufValue& value = require(key);
  return expect(*this, key, value, value.as_ints(), "an array of integers");
}

std::vector<double> GgufMetadata::get_floats(std::string_view key) const {
  const GgufValue& value = require(key);
  return expect(*this, key, value, value.as_floats(), "an array of float32 or float64");
}

// ---- parser -----------------------------------------------------------------------------------

class GgufParser {
 public:
  GgufParser(std::span<const std::uint8_t> bytes, const std::string& context) : bytes_(bytes), context_(context) {}

  GgufHeader parse() {
    GgufHeader header;
    header.metadata = GgufMetadata(context_);
    if (!is_gguf(bytes_)) {
      fail(bytes_.size() < 4 ? str(bytes_.size(), " bytes is too short for a GGUF file")
                             : std::string("not a GGUF file (the first four bytes are not \"GGUF\")"));
    }
    at_ = 4;
    header.version = read_scalar<std::uint32_t>("the version");
    if (header.version == 1) fail("GGUF version 1 is not supported (coact reads versions 2 and 3)");
    if ((header.version & 0xFFFFu) == 0) {
      fail(str("GGUF version ", header.version, " reads as a byte-swapped number: big-endian GGUF files are not supported"));
    }
    if (header.version == 0 || header.version > 3) fail(str("GGUF version ", header.version, " is not supported (coact reads versions 2 and 3)"));
    const std::uint64_t tensor_count = read_scalar<std::uint64_t>("the tensor count");
    const std::uint64_t kv_count = read_scalar<std::uint64_t>("the metadata count");
    check_count(kv_count, 13, "metadata entries");  // key length, type, one byte of value
    for (std::uint64_t k = 0; k < kv_count; ++k) {
      std::string key = read_string(str("metadata entry ", k, "'s key"));
      if (key.size() > kMaxKeyBytes) fail(str("metadata key ", display_name(key), " is longer than ", kMaxKeyBytes, " bytes"));
      const std::string where = str("metadata key ", display_name(key));
      const GgufValueType type = read_value_type(where);
      header.metadata.add(std::move(key), read_value(type, where, 0));
    }

    header.alignment = 32;
    if (const GgufValue* alignment = header.metadata.find("general.alignment")) {
      if (alignment->type() != GgufValueType::U32) {
        header.metadata.fail("general.alignment", str("expected a uint32, found ", alignment->describe()));
      }
      const std::uint64_t value = *alignment->as_uint();
      if (value == 0 || (value & (value - 1)) != 0) {
        header.metadata.fail("general.alignment", str("the alignment ", value, " is not a power of two"));
      }
      header.alignment = value;
    }

    check_count(tensor_count, 24, "tensor infos");  // name length, n_dims, type, offset
    header.tensors.reserve(static_cast<std::size_t>(tensor_count));
    for (std::uint64_t t = 0; t < tensor_count; ++t) header.tensors.push_back(read_tensor_info(t, header.alignment));

    // The data section starts at the next multiple of the alignment.
    const std::uint64_t end_of_infos = at_;
    header.data_offset = end_of_infos + (header.alignment - end_of_infos % header.alignment) % header.alignment;
    check_extents(header);
    return header;
  }

 private:
  [[noreturn]] void fail(const std::string& what) const { throw InputError(str(context_, ": ", what)); }

  std::uint64_t remaining() const { return bytes_.size() - at_; }

  void need(std::uint64_t n, const std::string& what) const {
    if (n > remaining()) {
      fail(str("the file ends inside ", what, " (at byte ", at_, ", ", n, " bytes needed, ", remaining(), " left; truncated?)"));
    }
  }

  template <class T>
  T read_scalar(const std::string& what) {
    need(sizeof(T), what);
    T value;
    std::memcpy(&value, bytes_.data() + at_, sizeof value);
    at_ += sizeof(T);
    return value;
  }

  // A count of items of at least `min_bytes` each cannot exceed what remains of the file.
  void check_count(std::uint64_t count, std::uint64_t min_bytes, const char* what) const {
    if (count > remaining() / min_bytes) {
      fail(str("the header announces ", count, " ", what, ", more than the ", remaining(), " remaining bytes can hold"));
    }
  }

  std::string read_string(const std::string& what) {
    const std::uint64_t length = read_scalar<std::uint64_t>(what);
    need(length, what);
    std::string text(reinterpret_cast<const char*>(bytes_.data() + at_), static_cast<std::size_t>(length));
    at_ += length;
    return text;
  }

  GgufValueType read_value_type(const std::string& where) {
    const std::uint32_t raw = read_scalar<std::uint32_t>(where);
    if (value_spec(raw) == nullptr) fail(str(where, ": unknown value type ", raw));
    return static_cast<GgufValueType>(raw);
  }

  // A scalar integer or bool of `type` as 64 bits (signed types sign-extended).
  std::uint64_t read_integer_bits(GgufValueType type, const std::string& where) {
    switch (type) {
      case GgufValueType::U8: return read_scalar<std::uint8_t>(where);
      case GgufValueType::I8: return static_cast<std::uint64_t>(static_cast<std::int64_t>(read_scalar<std::int8_t>(where)));
      case GgufValueType::U16: return read_scalar<std::uint16_t>(where);
      case GgufValueType::I16: return static_cast<std::uint64_t>(static_cast<std::int64_t>(read_scalar<std::int16_t>(where)));
      case GgufValueType::U32: return read_scalar<std::uint32_t>(where);
      case GgufValueType::I32: return static_cast<std::uint64_t>(static_cast<std::int64_t>(read_scalar<std::int32_t>(where)));
      case GgufValueType::U64: return read_scalar<std::uint64_t>(where);
      case GgufValueType::I64: return static_cast<std::uint64_t>(read_scalar<std::int64_t>(where));
      case GgufValueType::Bool: {
        const std::uint8_t b = read_scalar<std::uint8_t>(where);
        if (b > 1) fail(str(where, ": a bool must be 0 or 1, found ", static_cast<int>(b)));
        return b;
      }
      default: return 0;
    }
  }

  double read_real(GgufValueType type, const std::string& where) {
    if (type == GgufValueType::F32) return static_cast<double>(read_scalar<float>(where));
    return read_scalar<double>(where);
  }

  GgufValue read_value(GgufValueType type, const std::string& where, int depth) {
    GgufValue value;
    value.type_ = type;
    if (type == GgufValueType::String) {
      value.text_ = read_string(where);
    } else if (type == GgufValueType::F32 || type == GgufValueType::F64) {
      value.real_ = read_real(type, where);
    } else if (type != GgufValueType::Array) {
      value.bits_ = read_integer_bits(type, where);
    } else {
      if (depth >= kMaxArrayDepth) fail(str(where, ": arrays nested more than ", kMaxArrayDepth, " deep"));
      value.element_type_ = read_value_type(where);
      const std::uint64_t count = read_scalar<std::uint64_t>(where);
      if (count > remaining() / min_encoded_size(value.element_type_)) {
        fail(str(where, ": an array of ", count, " ", gguf_value_type_name(value.element_type_), " values cannot fit in the ",
                 remaining(), " remaining bytes"));
      }
      const auto n = static_cast<std::size_t>(count);
      switch (value.element_type_) {
        case GgufValueType::String:
          value.texts_.reserve(n);
          for (std::size_t i = 0; i < n; ++i) value.texts_.push_back(read_string(where));
          break;
        case GgufValueType::Array:
          value.items_.reserve(n);
          // Each element is an array value: its own element type and count, then its elements.
          for (std::size_t i = 0; i < n; ++i) value.items_.push_back(read_value(GgufValueType::Array, where, depth + 1));
          break;
        case GgufValueType::F32:
        case GgufValueType::F64:
          value.reals_.reserve(n);
          for (std::size_t i = 0; i < n; ++i) value.reals_.push_back(read_real(value.element_type_, where));
          break;
        default:
          value.integers_.reserve(n);
          for (std::size_t i = 0; i < n; ++i) value.integers_.push_back(read_integer_bits(value.element_type_, where));
          break;
      }
    }
    return value;
  }

  GgufTensorInfo read_tensor_info(std::uint64_t index, std::uint64_t alignment) {
    GgufTensorInfo info;
    info.name = read_string(str("tensor info ", index, "'s name"));
    const std::string where = str("tensor ", display_name(info.name));
    const std::uint32_t n_dims = read_scalar<std::uint32_t>(where);
    if (n_dims > kMaxDims) fail(str(where, ": ", n_dims, " dimensions (at most ", kMaxDims, ")"));
    std::vector<std::uint64_t> ne(n_dims);
    for (auto& dim : ne) {
      dim = read_scalar<std::uint64_t>(where);
      if (dim > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) fail(str(where, ": dimension ", dim, " is too large"));
    }
    info.type = static_cast<GgufType>(read_scalar<std::uint32_t>(where));
    info.offset = read_scalar<std::uint64_t>(where);
    for (std::size_t k = ne.size(); k-- > 0;) info.shape.push_back(static_cast<std::int64_t>(ne[k]));
    const auto numel = checked_numel(info.shape);
    if (!numel) fail(str(where, ": shape ", shape_string(info.shape), " is too large"));
    info.numel = *numel;
    if (info.offset % alignment != 0) {
      fail(str(where, ": data offset ", info.offset, " is not a multiple of the alignment ", alignment));
    }
    const GgufBlockLayout layout = gguf_block_layout(info.type);
    if (layout.block_elements > 0) {
      const std::int64_t row = ne.empty() ? 1 : static_cast<std::int64_t>(ne[0]);
      if (row % layout.block_elements != 0) {
        fail(str(where, ": rows of ", row, " values are not a whole number of ", gguf_type_name(info.type), " blocks (",
                 layout.block_elements, " values each)"));
      }
      std::int64_t bytes = 0;
      if (__builtin_mul_overflow(info.numel / layout.block_elements, layout.block_bytes, &bytes)) {
        fail(str(where, ": shape ", shape_string(info.shape), " is too large"));
      }
      info.bytes = static_cast<std::uint64_t>(bytes);
    }
    return info;
  }

  // Every tensor of known layout lies inside the data section, and no two overlap.
  void check_extents(const GgufHeader& header) const {
    const std::uint64_t size = bytes_.size();
    const std::uint64_t data_bytes = header.data_offset <= size ? size - header.data_offset : 0;
    std::vector<const GgufTensorInfo*> order;
    for (const GgufTensorInfo& t : header.tensors) {
      if (t.bytes == 0) continue;
      if (header.data_offset > size || t.offset > data_bytes || t.bytes > data_bytes - t.offset) {
        fail(str("tensor ", display_name(t.name), ": its ", t.bytes, " bytes at data offset ", t.offset,
                 " reach beyond the end of the file (the data section holds ", data_bytes, " bytes; truncated?)"));
      }
      order.push_back(&t);
    }
    std::sort(order.begin(), order.end(), [](const GgufTensorInfo* a, const GgufTensorInfo* b) { return a->offset < b->offset; });
    for (std::size_t i = 1; i < order.size(); ++i) {
      if (order[i]->offset < order[i - 1]->offset + order[i - 1]->bytes) {
        fail(str("tensors ", display_name(order[i - 1]->name), " and ", display_name(order[i]->name), " overlap (data offsets ",
                 order[i - 1]->offset, " + ", order[i - 1]->bytes, " bytes and ", order[i]->offset, ")"));
      }
    }
  }

  std::span<const std::uint8_t> bytes_;
  const std::string& context_;
  std::uint64_t at_ = 0;
};

bool is_gguf(std::span<const std::uint8_t> bytes) {
  return bytes.size() >= 4 && std::memcmp(bytes.data(), kMagic, 4) == 0;
}

GgufHeader parse_gguf(std::span<const std::uint8_t> bytes, const std::string& context) {
  return GgufParser(bytes, context).parse();
}

// ---- GgufFile ---------------------------------------------------------------------------------

namespace {

// The DType TensorInfo reports: the stored element type, or F32 for block-quantised tensors
// (what read_f32 gives).
DType reported_dtype(GgufType type) {
  switch (type) {
    case GgufType::F16: return DType::F16;
    case GgufType::BF16: return DType::BF16;
    case GgufType::F64: return DType::F64;
    case GgufType::I8: return DType::I8;
    case GgufType::I16: return DType::I16;
    case GgufType::I32: return DType::I32;
    case GgufType::I64: return DType::I64;
    default: return DType::F32;
  }
}

bool stored_as_elements(GgufType type) { return gguf_block_layout(type).block_elements == 1; }

}  // namespace

GgufFile::GgufFile(const std::string& path) : TensorFile(path), file_(detail::MappedFile::open(path)) {
  header_ = parse_gguf(file_->bytes(), path);
  for (const GgufTensorInfo& t : header_.tensors) {
    TensorInfo info;
    info.name = t.name;
    info.dtype = reported_dtype(t.type);
    info.shape = t.shape;
    info.numel = t.numel;
    tensors_.push_back(std::move(info));
  }
  index_tensors();
}

GgufFile::~GgufFile() = default;

const GgufTensorInfo& GgufFile::gguf_info(std::string_view name) const {
  return header_.tensors[static_cast<std::size_t>(&info(name) - tensors_.data())];
}

std::span<const std::uint8_t> GgufFile::raw_bytes(std::string_view name) const {
  const GgufTensorInfo& t = gguf_info(name);
  if (t.bytes == 0 && t.numel > 0) {
    throw InputError(str(path(), ": tensor ", display_name(name), ": GGUF type ", gguf_type_name(t.type), " is not one coact knows the layout of"));
  }
  if (t.bytes == 0) return {};  // an empty tensor may name any aligned offset
  return file_->bytes().subspan(static_cast<std::size_t>(header_.data_offset + t.offset), static_cast<std::size_t>(t.bytes));
}

TensorLayout GgufFile::layout(const TensorInfo& info) const {
  const GgufTensorInfo& t = header_.tensors[static_cast<std::size_t>(&info - tensors_.data())];
  if (!stored_as_elements(t.type)) {
    throw InputError(str(path(), ": tensor ", display_name(t.name), ": GGUF type ", gguf_type_name(t.type),
                         " is stored in blocks, not elements; read it with read_f32"));
  }
  TensorLayout where;
  where.strides.assign(info.shape.size(), 1);
  if (info.numel == 0) return where;  // nothing is read (the offset may lie past the end)
  where.base = file_->bytes().data() + header_.data_offset + t.offset;
  for (std::size_t k = info.shape.size(); k-- > 1;) where.strides[k - 1] = where.strides[k] * info.shape[k];
  return where;
}

void GgufFile::check_readable(const TensorInfo& info) const {
  const GgufTensorInfo& t = header_.tensors[static_cast<std::size_t>(&info - tensors_.data())];
  if (!gguf_type_readable(t.type)) {
    throw InputError(str(path(), ": tensor ", display_name(t.name), ": GGUF type ", gguf_type_name(t.type),
                         " is not supported (coact reads F32, F16, BF16, F64, I8-I64, Q8_0, Q4_0, Q4_1, Q5_0, Q5_1, Q4_K and Q6_K)"));
  }
}

void GgufFile::convert_f32(const TensorInfo& info, std::span<float> out) const {
  check_readable(info);
  const GgufTensorInfo& t = header_.tensors[static_cast<std::size_t>(&info - tensors_.data())];
  dequantize_gguf(t.type, raw_bytes(t.name), out);
}

}  // namespace coact::io
