#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <set>

#include "coact/core/errors.h"
#include "coact/core/json.h"
#include "coact/io/atomic_output.h"
#include "coact/io/safetensors.h"

namespace coact::io {
namespace {

// Closes the stream on every path; close() reports a failed final flush (disk full).
class OutputStream {
 public:
  explicit OutputStream(const std::string& path) : path_(path), file_(std::fopen(path.c_str(), "wb")) {
    if (file_ == nullptr) throw IoError(str(path, ": cannot create: ", std::strerror(errno)));
  }
  ~OutputStream() {
    if (file_ != nullptr) std::fclose(file_);
  }
  OutputStream(const OutputStream&) = delete;
  OutputStream& operator=(const OutputStream&) = delete;

  void write(const void* data, std::size_t bytes) {
    if (bytes > 0 && std::fwrite(data, 1, bytes, file_) != bytes) throw IoError(str(path_, ": write failed: ", std::strerror(errno)));
  }
  // Flushes, syncs (the rename that follows must not publish a file whose data is not on disk)
  // and closes.
  void close() {
    const bool ok = std::fflush(file_) == 0 && ::fsync(::fileno(file_)) == 0;
    const int saved = errno;
    const bool closed = std::fclose(file_) == 0;
    file_ = nullptr;
    if (!ok || !closed) throw IoError(str(path_, ": write failed: ", std::strerror(ok ? errno : saved)));
  }

 private:
  std::string path_;
  std::FILE* file_;
};

}  // namespace

void save_safetensors(const std::string& path, bool force, std::span<const NamedTensor> tensors,
                      const std::map<std::string, std::string>& metadata) {
  std::vector<const NamedTensor*> order;
  std::set<std::string_view> names;
  for (const NamedTensor& t : tensors) {
    if (t.name.empty()) throw UsageError(str(path, ": a tensor to write has an empty name"));
    if (t.name == "__metadata__") throw UsageError(str(path, ": \"__metadata__\" is reserved and cannot name a tensor"));
    if (!names.insert(t.name).second) throw UsageError(str(path, ": tensor name ", t.name, " given twice"));
    const auto numel = checked_numel(t.shape);
    if (!numel || static_cast<std::uint64_t>(*numel) != t.values.size())
      throw UsageError(str(path, ": tensor ", t.name, ": shape ", shape_string(t.shape), " does not match its ",
                           t.values.size(), " values"));
    order.push_back(&t);
  }
  // Sorted by name, as the reference writer orders tensors of one dtype.
  std::sort(order.begin(), order.end(), [](const NamedTensor* a, const NamedTensor* b) { return a->name < b->name; });

  JsonWriter header;
  header.begin_object();
  if (!metadata.empty()) {
    header.key("__metadata__").begin_object();
    for (const auto& [key, value] : metadata) header.field(key, value);
    header.end_object();
  }
  std::uint64_t offset = 0;
  for (const NamedTensor* t : order) {
    const std::uint64_t bytes = t->values.size() * sizeof(float);
    header.key(t->name).begin_object().field("dtype", "F32").key("shape").begin_array();
    for (const std::int64_t dim : t->shape) header.value(dim);
    header.end_array().key("data_offsets").begin_array();
    header.value(static_cast<std::int64_t>(offset)).value(static_cast<std::int64_t>(offset + bytes));
    header.end_array().end_object();
    offset += bytes;
  }
  header.end_object();
  // Pad with spaces so the data buffer starts 8-byte aligned (8 + N is a multiple of 8).
  std::string text = header.str();
  text.append((8 - text.size() % 8) % 8, ' ');

  AtomicOutput output(path, force);
  OutputStream out(output.temporary_path());
  std::uint8_t length[8];
  for (int i = 0; i < 8; ++i) length[i] = static_cast<std::uint8_t>(static_cast<std::uint64_t>(text.size()) >> (8 * i));
  out.write(length, sizeof length);
  out.write(text.data(), text.size());
  for (const NamedTensor* t : order) out.write(t->values.data(), t->values.size_bytes());
  out.close();
  output.commit();
}

void save_safetensors(const std::string& path, bool force, const TensorMap& tensors,
                      const std::map<std::string, std::string>& metadata) {
  std::vector<NamedTensor> views;
  views.reserve(tensors.size());
  for (const auto& [name, tensor] : tensors) views.push_back({name, tensor.shape, tensor.values});
  save_safetensors(path, force, views, metadata);
}

}  // namespace coact::io
