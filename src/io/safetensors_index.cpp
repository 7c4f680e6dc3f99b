// Sharded safetensors checkpoints: model.safetensors.index.json and its shards.
#include <filesystem>
#include <unordered_map>

#include "coact/core/errors.h"
#include "coact/core/json.h"
#include "coact/core/json_value.h"
#include "coact/io/safetensors.h"
#include "display_name.h"

namespace coact::io {

using detail::display_name;

namespace {

namespace fs = std::filesystem;

// A shard name from the index: relative, inside the index's folder.
fs::path shard_path(const fs::path& folder, const JsonValue& name) {
  const std::string& text = name.as_string();
  const fs::path relative(text);
  if (text.empty() || relative.is_absolute()) name.fail("expected a shard file name relative to the index's folder");
  for (const fs::path& part : relative) {
    if (part == "..") name.fail("a shard name must not leave the index's folder (\"..\")");
  }
  return folder / relative;
}

}  // namespace

ShardedSafetensorsFile::ShardedSafetensorsFile(const std::string& index_json) : TensorFile(index_json) {
  const JsonValue root = parse_json_file(index_json);
  if (!root.is_object()) root.fail("expected an object with a \"weight_map\"");
  const JsonValue& weight_map = root.at("weight_map");
  if (!weight_map.is_object()) weight_map.fail(str("expected an object mapping tensor names to shard files, found ",
                                                   JsonValue::type_name(weight_map.type())));
  const fs::path folder = fs::path(index_json).parent_path();

  // Open each shard once, in the order the index first names it.
  std::unordered_map<std::string, std::size_t> shard_index;
  std::vector<std::size_t> shard_of_entry;
  for (const auto& [name, shard] : weight_map.members()) {
    const std::string file = shard_path(folder, shard).string();
    auto [it, inserted] = shard_index.emplace(file, shards_.size());
    if (inserted) shards_.push_back(std::make_unique<SafetensorsFile>(file));
    shard_of_entry.push_back(it->second);
  }

  // Every listed tensor is in its shard...
  std::vector<std::size_t> listed(shards_.size(), 0);
  const auto& members = weight_map.members();
  for (std::size_t k = 0; k < members.size(); ++k) {
    const std::string& name = members[k].first;
    const SafetensorsFile& file = *shards_[shard_of_entry[k]];
    const TensorInfo* info = file.find(name);
    if (info == nullptr) {
      throw InputError(str(index_json, ": weight_map lists tensor ", display_name(name), " in ", file.path(),
                           ", which does not hold it"));
    }
    ++listed[shard_of_entry[k]];
    tensors_.push_back(*info);
    sources_.emplace_back(&file, info);
  }
  // ...and every shard tensor is listed, under that shard (a count per shard suffices: the
  // listed names were found in their shard and names are unique in the map).
  for (std::size_t s = 0; s < shards_.size(); ++s) {
    if (listed[s] == shards_[s]->tensors().size()) continue;
    for (const TensorInfo& t : shards_[s]->tensors()) {
      const JsonValue* entry = weight_map.find(t.name);
      if (entry == nullptr || shard_path(folder, *entry).string() != shards_[s]->path()) {
        throw InputError(str(index_json, ": tensor ", display_name(t.name), " of ", shards_[s]->path(),
                             entry == nullptr ? " is not in the weight_map" : " is mapped to another shard"));
      }
    }
  }
  index_tensors();
}

ShardedSafetensorsFile::~ShardedSafetensorsFile() = default;

std::vector<std::string> ShardedSafetensorsFile::shard_paths() const {
  std::vector<std::string> paths;
  for (const auto& shard : shards_) paths.push_back(shard->path());
  return paths;
}

const std::string& ShardedSafetensorsFile::shard_of(std::string_view name) const {
  return sources_[static_cast<std::size_t>(&info(name) - tensors_.data())].first->path();
}

TensorLayout ShardedSafetensorsFile::layout(const TensorInfo& info) const {
  const auto& [shard, tensor] = sources_[static_cast<std::size_t>(&info - tensors_.data())];
  return layout_of(*shard, *tensor);
}

}  // namespace coact::io
