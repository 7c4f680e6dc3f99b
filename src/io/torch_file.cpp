#include <cstdio>
#include <map>
#include <mutex>
#include <set>

#include "coact/core/errors.h"
#include "coact/io/torch_pickle.h"
#include "coact/io/zip_reader.h"
#include "display_name.h"
#include "mapped_file.h"

namespace coact::io {
namespace {

using detail::display_name;
using Kind = PickleValue::Kind;

// A dict key as a name component, or nullopt for keys that have no natural spelling (tuples,
// bytes): tensors under those are not listed.
std::optional<std::string> key_component(const PickleValue& key) {
  switch (key.kind) {
    case Kind::String: return key.text;
    case Kind::Int: return std::to_string(key.integer);
    case Kind::Bool: return std::string(key.boolean ? "True" : "False");
    case Kind::None: return std::string("None");
    default: return std::nullopt;
  }
}

class Flattener {
 public:
  Flattener(const std::string& context, const PickleLimits& limits) : context_(context), limits_(limits) {}

  void visit(const PickleValue& v, const std::string& name, std::size_t depth) {
    if (++visits_ > limits_.max_visits)
      throw InputError(str(context_, ": more than ", limits_.max_visits, " values visited while listing tensors (limit)"));
    if (v.kind == Kind::Tensor) {
      if (!names_.insert(name).second)
        throw InputError(str(context_, ": two tensors are both named \"", display_name(name), "\" once nested keys are joined with '.'"));
      out_.emplace_back(name, &v);
      return;
    }
    if (v.kind != Kind::Dict && v.kind != Kind::List && v.kind != Kind::Tuple) return;
    if (depth >= limits_.max_depth)
      throw InputError(str(context_, ": containers nested deeper than ", limits_.max_depth, " levels at \"", display_name(name), "\" (limit)"));
    if (!open_.insert(&v).second) throw InputError(str(context_, ": the pickle contains a cycle at \"", display_name(name), "\""));
    const auto child = [&](const std::string& part) { return name.empty() ? part : name + "." + part; };
    if (v.kind == Kind::Dict) {
      for (const auto& [key, value] : v.entries)
        if (const auto part = key_component(*key)) visit(*value, child(*part), depth + 1);
    } else {
      for (std::size_t i = 0; i < v.items.size(); ++i) visit(*v.items[i], child(std::to_string(i)), depth + 1);
    }
    open_.erase(&v);
  }

  std::vector<std::pair<std::string, const PickleValue*>> take() { return std::move(out_); }

 private:
  const std::string& context_;
  const PickleLimits& limits_;
  std::size_t visits_ = 0;
  std::set<const PickleValue*> open_;  // containers on the current path
  std::set<std::string> names_;
  std::vector<std::pair<std::string, const PickleValue*>> out_;
};

}  // namespace

std::vector<std::pair<std::string, const PickleValue*>> flatten_tensors(const PickleValue& root, const std::string& context,
                                                                        const PickleLimits& limits) {
  Flattener flattener(context, limits);
  flattener.visit(root, "", 0);
  return flattener.take();
}

// Storage blobs, read (CRC-checked, inflated if compressed) on first use and kept.
struct TorchFile::StorageData {
  std::mutex mutex;
  std::map<const PickleValue*, ZipBlob> blobs;
  std::map<const PickleValue*, const ZipEntry*> entries;
};

TorchFile::TorchFile(const std::string& path, const PickleLimits& limits)
    : TensorFile(path), file_(detail::MappedFile::open(path)), storage_data_(std::make_unique<StorageData>()) {
  zip_ = std::make_unique<ZipReader>(file_->bytes(), path);

  // torch.save writes every record under one folder: "archive/" (or the file stem before
  // PyTorch 2), with the pickle at <prefix>/data.pkl.
  const ZipEntry* pickle_entry = nullptr;
  for (const ZipEntry& e : zip_->entries()) {
    const auto slash = e.name.find('/');
    if (slash == std::string::npos || slash == 0 || e.name.compare(slash, std::string::npos, "/data.pkl") != 0) continue;
    if (pickle_entry != nullptr)
      throw InputError(str(path, ": the zip holds several */data.pkl records (", display_name(pickle_entry->name), ", ", display_name(e.name), ")"));
    pickle_entry = &e;
    prefix_ = e.name.substr(0, slash);
  }
  if (pickle_entry == nullptr) throw InputError(str(path, ": zip archive without a <folder>/data.pkl record: not a PyTorch checkpoint"));
  if (const ZipEntry* order = zip_->find(prefix_ + "/byteorder")) {
    const ZipBlob blob = zip_->read(*order);
    const std::string_view text(reinterpret_cast<const char*>(blob.bytes().data()), blob.bytes().size());
    if (text != "little")
      throw InputError(str(path, ": byteorder record says ", display_name(text.substr(0, 16)), "; only little-endian checkpoints are supported"));
  }
  if (pickle_entry->size > limits.max_pickle_bytes)
    throw InputError(str(path, ": data.pkl of ", pickle_entry->size, " bytes exceeds the limit of ", limits.max_pickle_bytes));
  const ZipBlob pickle = zip_->read(*pickle_entry);
  tree_ = unpickle_restricted(pickle.bytes(), str(path, ": data.pkl"), limits);

  // Each storage's record must exist and hold its elements (views were checked against the
  // element count while unpickling).
  for (const PickleValue* storage : tree_.storages()) {
    const std::string record = str(prefix_, "/data/", storage->text);
    const ZipEntry* entry = zip_->find(record);
    if (entry == nullptr) throw InputError(str(path, ": storage ", display_name(storage->text), ": record ", display_name(record), " is missing"));
    std::uint64_t needed = 0;
    if (__builtin_mul_overflow(static_cast<std::uint64_t>(storage->numel), dtype_size(storage->dtype), &needed) ||
        entry->size < needed)
      throw InputError(str(path, ": storage ", display_name(storage->text), ": record holds ", entry->size, " bytes, but ",
                           storage->numel, " ", dtype_name(storage->dtype), " elements need ", needed));
    storage_data_->entries.emplace(storage, entry);
  }

  for (const auto& [name, value] : flatten_tensors(tree_.root(), path, limits)) {
    TensorInfo info;
    info.name = name;
    info.dtype = value->dtype;
    info.shape = value->shape;
    info.numel = value->numel;
    tensors_.push_back(std::move(info));
    tensor_values_.push_back(value);
  }
  index_tensors();
}

TorchFile::~TorchFile() = default;

TensorLayout TorchFile::layout(const TensorInfo& info) const {
  const auto index = static_cast<std::size_t>(&info - tensors_.data());
  const PickleValue* tensor = tensor_values_.at(index);
  TensorLayout where;
  where.offset = tensor->storage_offset;
  where.strides = tensor->strides;
  std::lock_guard<std::mutex> lock(storage_data_->mutex);
  auto it = storage_data_->blobs.find(tensor->storage);
  if (it == storage_data_->blobs.end())
    it = storage_data_->blobs.emplace(tensor->storage, zip_->read(*storage_data_->entries.at(tensor->storage))).first;
  where.base = it->second.bytes().data();
  return where;
}

}  // namespace coact::io
