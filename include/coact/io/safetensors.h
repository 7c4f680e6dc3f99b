// safetensors files (Hugging Face): an 8-byte little-endian header length N, N bytes of JSON
// mapping each tensor name to {dtype, shape, data_offsets [begin, end)} plus an optional
// "__metadata__" string map, then the data buffer, which the tensors must cover exactly, in
// any order, without holes or overlaps. docs/formats.md ("Interchange") has the details.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "coact/io/tensors.h"

namespace coact::io {

namespace detail {
class MappedFile;
}

// The header limit of the reference implementation: real headers are at most a few MB.
inline constexpr std::uint64_t kMaxSafetensorsHeader = 100'000'000;

struct SafetensorsEntry {
  TensorInfo info;
  std::uint64_t begin = 0;  // byte range in the data buffer
  std::uint64_t end = 0;
};

struct SafetensorsHeader {
  std::uint64_t header_bytes = 0;  // N
  std::vector<SafetensorsEntry> entries;  // header order
  std::map<std::string, std::string> metadata;
};

// Parses and validates the header of the file image `bytes` (all of it: the check that the
// tensors cover the data buffer needs the file size). `context` names the file in errors.
// Throws InputError for anything malformed; never reads outside `bytes`. The entry point the
// fuzzer drives.
SafetensorsHeader parse_safetensors_header(std::span<const std::uint8_t> bytes, const std::string& context);

class SafetensorsFile final : public TensorFile {
 public:
  explicit SafetensorsFile(const std::string& path);
  ~SafetensorsFile() override;
  const char* format() const override { return "safetensors"; }
  const std::map<std::string, std::string>& metadata() const { return header_.metadata; }

 protected:
  TensorLayout layout(const TensorInfo& info) const override;

 private:
  std::shared_ptr<const detail::MappedFile> file_;
  SafetensorsHeader header_;  // entries parallel to tensors_
};

// A checkpoint split into shards (Hugging Face's save_pretrained for large models):
// model.safetensors.index.json holds {"metadata": {...}, "weight_map": {tensor: shard file}}
// and the shards lie beside it. Each shard is opened as a SafetensorsFile; the tensors are
// listed in weight_map order. The index and the shards must agree exactly: a listed tensor
// missing from its shard, or a shard tensor the index does not list (or lists under another
// shard), is an InputError naming both files. Shard names are paths relative to the index's
// folder, without ".." and not absolute.
class ShardedSafetensorsFile final : public TensorFile {
 public:
  explicit ShardedSafetensorsFile(const std::string& index_json);
  ~ShardedSafetensorsFile() override;
  const char* format() const override { return "safetensors"; }
  // The shard files in the order the index first names them.
  std::vector<std::string> shard_paths() const;
  // The shard holding `name`.
  const std::string& shard_of(std::string_view name) const;

 protected:
  TensorLayout layout(const TensorInfo& info) const override;

 private:
  std::vector<std::unique_ptr<SafetensorsFile>> shards_;
  std::vector<std::pair<const SafetensorsFile*, const TensorInfo*>> sources_;  // parallel to tensors_
};

// One float32 tensor to write; `values` must hold numel(shape) elements.
struct NamedTensor {
  std::string name;
  Shape shape;
  std::span<const float> values;
};

// Writes a float32 safetensors file as the reference implementation does: tensors sorted by
// name, contiguous, header padded with spaces to a multiple of 8 bytes. Written through
// AtomicOutput (temporary name, rename when complete); an existing file is an
// OutputExistsError unless `force`. Bad arguments (empty or repeated names, the reserved name
// "__metadata__", a size that does not match the shape) are UsageErrors.
void save_safetensors(const std::string& path, bool force, std::span<const NamedTensor> tensors,
                      const std::map<std::string, std::string>& metadata = {});
void save_safetensors(const std::string& path, bool force, const TensorMap& tensors,
                      const std::map<std::string, std::string>& metadata = {});

}  // namespace coact::io
