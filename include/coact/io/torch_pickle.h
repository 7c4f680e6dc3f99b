// PyTorch checkpoints (torch.save since 1.6: a zip holding <prefix>/data.pkl and one blob per
// storage in <prefix>/data/<key>) read through a restricted unpickler that never runs code.
//
// The unpickler is a small stack machine for pickle protocols 2-5 that builds plain values
// (None, bool, int, float, str, bytes, list, tuple, dict/OrderedDict) and tensors. The only
// callables it knows are the tensor-rebuild functions of torch.save, and it knows them by name:
// nothing is imported or executed. Any other global (os.system, builtins.eval, a model class)
// is refused with an InputError naming it, as are the opcodes that create arbitrary objects.
// Limits on values, memo entries, stack size and nesting keep a hostile file from exhausting
// memory. docs/formats.md ("Interchange") lists the opcodes and globals.
#pragma once

#include <cstdint>
#include <deque>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "coact/io/tensors.h"

namespace coact::io {

namespace detail {
class MappedFile;
}
class ZipReader;

struct PickleLimits {
  std::size_t max_pickle_bytes = std::size_t{256} << 20;  // data.pkl of a large model is a few MB
  std::size_t max_values = std::size_t{1} << 20;          // each value costs ~200 bytes
  std::size_t max_memo = std::size_t{1} << 20;
  std::size_t max_stack = std::size_t{1} << 20;  // values on the stack, all marks together
  // Elements of all lists, tuples and dicts together: a memoised value can be referenced
  // again and again at one byte each, so this bounds memory independently of max_values.
  std::size_t max_items = std::size_t{1} << 24;
  std::size_t max_marks = 4096;                  // open MARKs (nesting while building)
  std::size_t max_depth = 64;                    // nesting when flattening tensors by name
  std::size_t max_visits = std::size_t{1} << 22;  // values visited when flattening (shared values count each time)
};

// One unpickled value. Values live in a PickleTree and point to each other (a memoised value
// may appear in several places).
struct PickleValue {
  enum class Kind : std::uint8_t { None, Bool, Int, Float, String, Bytes, List, Tuple, Dict, Global, Storage, Tensor };
  Kind kind = Kind::None;
  bool boolean = false;
  std::int64_t integer = 0;
  double real = 0.0;
  // String/Bytes: the contents; Global: "module.name"; Storage: the storage key.
  std::string text;
  // List/Tuple elements.
  std::vector<PickleValue*> items;
  // Dict entries in insertion order (OrderedDict and dict alike).
  std::vector<std::pair<PickleValue*, PickleValue*>> entries;

  // Storage (from a persistent id) and Tensor: element type and element count.
  DType dtype = DType::F32;
  std::int64_t numel = 0;
  // Storage: the device it was saved from ("cpu", "cuda:0"); coact reads it on the host.
  std::string location;

  // Tensor: a view of a storage (validated to lie inside it).
  const PickleValue* storage = nullptr;
  std::int64_t storage_offset = 0;
  Shape shape;
  Shape strides;

  // The value under string key `key` of a Dict, or nullptr (also when this is not a Dict).
  const PickleValue* get(std::string_view key) const;
  // "a dict", "a tensor", "an int", ...
  static const char* kind_name(Kind kind);
};

class PickleTree {
 public:
  PickleTree() = default;
  // Values point at each other: moving keeps their addresses, a copy would not.
  PickleTree(PickleTree&&) = default;
  PickleTree& operator=(PickleTree&&) = default;
  PickleTree(const PickleTree&) = delete;
  PickleTree& operator=(const PickleTree&) = delete;

  const PickleValue& root() const { return *root_; }
  // Every storage the pickle referenced, in first-reference order.
  const std::vector<const PickleValue*>& storages() const { return storages_; }

 private:
  friend class Unpickler;
  std::deque<PickleValue> values_;  // stable addresses
  std::vector<const PickleValue*> storages_;
  PickleValue* root_ = nullptr;
};

// Runs the restricted unpickler over `pickle` (the bytes of data.pkl). `context` names the
// source in errors ("model.pt: data.pkl"). Throws InputError for malformed or hostile input.
// Checks each tensor's view against its storage's element count. The fuzzer's entry point.
PickleTree unpickle_restricted(std::span<const std::uint8_t> pickle, const std::string& context,
                               const PickleLimits& limits = {});

// (name, tensor) for every tensor reachable from `root` through dict keys and list/tuple
// indices, joined with '.' ("encoder.weight", "state_dict.W_enc", "layers.0.w"); a tensor at
// the root is named "". Throws InputError (naming `context`) on cycles, nesting deeper than
// limits.max_depth, or two tensors flattening to the same name.
std::vector<std::pair<std::string, const PickleValue*>> flatten_tensors(const PickleValue& root, const std::string& context,
                                                                        const PickleLimits& limits = {});

// A torch.save zip checkpoint. tensors() are the flattened tensors of the pickle (for a state
// dict, its keys); root() is the whole unpickled object for other layouts.
class TorchFile final : public TensorFile {
 public:
  explicit TorchFile(const std::string& path, const PickleLimits& limits = {});
  ~TorchFile() override;
  const char* format() const override { return "pytorch"; }
  const PickleValue& root() const { return tree_.root(); }
  // The archive's folder name ("archive", or the file stem for older PyTorch).
  const std::string& prefix() const { return prefix_; }

 protected:
  TensorLayout layout(const TensorInfo& info) const override;

 private:
  struct StorageData;
  std::shared_ptr<const detail::MappedFile> file_;
  std::unique_ptr<ZipReader> zip_;
  std::string prefix_;
  PickleTree tree_;
  std::vector<const PickleValue*> tensor_values_;  // parallel to tensors_
  std::unique_ptr<StorageData> storage_data_;
};

}  // namespace coact::io
