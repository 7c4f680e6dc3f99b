#include "coact/io/safetensors.h"

#include <algorithm>

#include "coact/core/errors.h"
#include "coact/core/json.h"
#include "coact/core/json_value.h"
#include "display_name.h"
#include "mapped_file.h"

namespace coact::io {
namespace {

using detail::display_name;

std::uint64_t load_u64_le(const std::uint8_t* p) {
  std::uint64_t value = 0;
  for (int i = 7; i >= 0; --i) value = (value << 8) | p[i];
  return value;
}

// Shapes and offsets are JSON integers that must be non-negative.
std::int64_t non_negative(const JsonValue& v, const std::string& where, const char* what) {
  if (!v.is_integer() || v.as_int() < 0)
    throw InputError(str(where, ": ", what, " must be non-negative integers, found ",
                         v.is_number() ? str(v.as_double()) : JsonValue::type_name(v.type())));
  return v.as_int();
}

SafetensorsEntry parse_entry(const std::string& context, const std::string& name, const JsonValue& spec) {
  const std::string where = str(context, ": tensor ", display_name(name));
  if (!spec.is_object()) throw InputError(str(where, ": expected an object {dtype, shape, data_offsets}, found ",
                                               JsonValue::type_name(spec.type())));
  SafetensorsEntry entry;
  entry.info.name = name;
  const std::string& dtype = spec.get_string("dtype");
  const auto parsed = dtype_from_name(dtype);
  if (!parsed) throw InputError(str(where, ": unknown dtype ", json_quote(dtype.substr(0, 40))));
  entry.info.dtype = *parsed;
  for (const JsonValue& dim : spec.at("shape").as_array()) entry.info.shape.push_back(non_negative(dim, where, "shape entries"));
  const auto numel = checked_numel(entry.info.shape);
  std::int64_t bytes = 0;
  if (!numel || __builtin_mul_overflow(*numel, static_cast<std::int64_t>(dtype_size(entry.info.dtype)), &bytes))
    throw InputError(str(where, ": shape ", shape_string(entry.info.shape), " is too large"));
  entry.info.numel = *numel;
  const auto& offsets = spec.at("data_offsets").as_array();
  if (offsets.size() != 2)
    throw InputError(str(where, ": data_offsets must be [begin, end], found ", offsets.size(), " numbers"));
  entry.begin = static_cast<std::uint64_t>(non_negative(offsets[0], where, "data_offsets"));
  entry.end = static_cast<std::uint64_t>(non_negative(offsets[1], where, "data_offsets"));
  if (entry.end < entry.begin)
    throw InputError(str(where, ": data_offsets [", entry.begin, ", ", entry.end, "] end before they begin"));
  if (entry.end - entry.begin != static_cast<std::uint64_t>(bytes))
    throw InputError(str(where, ": data_offsets [", entry.begin, ", ", entry.end, "] hold ", entry.end - entry.begin,
                         " bytes, but dtype ", dtype, " and shape ", shape_string(entry.info.shape), " need ", bytes));
  return entry;
}

// The tensors must tile the data buffer exactly (as the reference implementation requires):
// a hole or trailing bytes would be data no tensor accounts for, an overlap would alias two
// tensors' bytes.
void check_coverage(const std::string& context, const std::vector<SafetensorsEntry>& entries, std::uint64_t buffer_bytes) {
  std::vector<const SafetensorsEntry*> order;
  for (const auto& e : entries) order.push_back(&e);
  std::stable_sort(order.begin(), order.end(), [](const SafetensorsEntry* a, const SafetensorsEntry* b) {
    return a->begin != b->begin ? a->begin < b->begin : a->end < b->end;
  });
  std::uint64_t covered = 0;
  const SafetensorsEntry* previous = nullptr;
  for (const SafetensorsEntry* e : order) {
    if (e->end > buffer_bytes)
      throw InputError(str(context, ": tensor ", display_name(e->info.name), ": data_offsets [", e->begin, ", ", e->end,
                           "] reach beyond the data buffer of ", buffer_bytes, " bytes (file truncated?)"));
    if (e->begin < covered)
      throw InputError(str(context, ": tensors ", display_name(previous->info.name), " and ", display_name(e->info.name),
                           " overlap (", display_name(previous->info.name), " ends at byte ", covered, ", ",
                           display_name(e->info.name), " begins at byte ",
                           e->begin, ")"));
    if (e->begin > covered)
      throw InputError(str(context, ": bytes [", covered, ", ", e->begin, ") of the data buffer belong to no tensor (",
                           "a hole before tensor ", display_name(e->info.name), ")"));
    covered = e->end;
    previous = e;
  }
  if (covered != buffer_bytes)
    throw InputError(str(context, ": ", buffer_bytes - covered, " bytes of trailing data after the last tensor (the data buffer is ",
                         buffer_bytes, " bytes, the tensors cover ", covered, ")"));
}

}  // namespace

SafetensorsHeader parse_safetensors_header(std::span<const std::uint8_t> bytes, const std::string& context) {
  if (bytes.size() < 8)
    throw InputError(str(context, ": ", bytes.size(), " bytes is too short for a safetensors file (an 8-byte header length comes first)"));
  SafetensorsHeader header;
  header.header_bytes = load_u64_le(bytes.data());
  if (header.header_bytes > kMaxSafetensorsHeader)
    throw InputError(str(context, ": safetensors header length ", header.header_bytes, " exceeds the limit of ",
                         kMaxSafetensorsHeader, " bytes (not a safetensors file?)"));
  if (header.header_bytes > bytes.size() - 8)
    throw InputError(str(context, ": safetensors header length ", header.header_bytes, " is larger than the rest of the file (",
                         bytes.size() - 8, " bytes; truncated, or not a safetensors file)"));
  const std::string_view text(reinterpret_cast<const char*>(bytes.data() + 8), header.header_bytes);
  JsonLimits limits;
  limits.max_bytes = kMaxSafetensorsHeader;
  limits.max_depth = 8;  // {name: {shape: [..]}} is three levels deep
  const JsonValue root = parse_json(text, str(context, ": safetensors header"), limits);
  if (!root.is_object())
    throw InputError(str(context, ": safetensors header: expected a JSON object, found ", JsonValue::type_name(root.type())));
  for (const auto& [name, spec] : root.members()) {
    if (name == "__metadata__") {
      if (spec.is_null()) continue;
      for (const auto& [key, value] : spec.members()) {
        if (!value.is_string())
          throw InputError(str(context, ": __metadata__ ", display_name(key), ": expected a string value, found ",
                               JsonValue::type_name(value.type())));
        header.metadata.emplace(key, value.as_string());
      }
      continue;
    }
    header.entries.push_back(parse_entry(context, name, spec));
  }
  check_coverage(context, header.entries, bytes.size() - 8 - header.header_bytes);
  return header;
}

SafetensorsFile::SafetensorsFile(const std::string& path) : TensorFile(path), file_(detail::MappedFile::open(path)) {
  header_ = parse_safetensors_header(file_->bytes(), path);
  for (const SafetensorsEntry& entry : header_.entries) tensors_.push_back(entry.info);  // parallel
  index_tensors();
}

SafetensorsFile::~SafetensorsFile() = default;

TensorLayout SafetensorsFile::layout(const TensorInfo& info) const {
  const SafetensorsEntry& entry = header_.entries.at(static_cast<std::size_t>(&info - tensors_.data()));
  TensorLayout where;
  where.base = file_->bytes().data() + 8 + header_.header_bytes + entry.begin;
  where.strides.assign(info.shape.size(), 1);
  if (info.numel == 0) return where;  // nothing is read; suffix products could overflow past a 0
  for (std::size_t k = info.shape.size(); k-- > 1;) where.strides[k - 1] = where.strides[k] * info.shape[k];
  return where;
}

}  // namespace coact::io
