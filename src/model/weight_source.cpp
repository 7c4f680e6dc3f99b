// Tensor files behind WeightSource: one file, or the shards of a Hugging Face index.
#include "coact/model/weight_source.h"

#include <algorithm>
#include <filesystem>
#include <map>

#include "coact/core/errors.h"
#include "coact/core/json_value.h"
#include "coact/core/strings.h"

namespace coact::model {
namespace {

namespace fs = std::filesystem;

// One or more tensor files; each name is looked up in the file that holds it.
class TensorFiles final : public WeightSource {
 public:
  TensorFiles(std::string path, std::vector<std::unique_ptr<io::TensorFile>> files)
      : path_(std::move(path)), files_(std::move(files)) {
    for (std::size_t f = 0; f < files_.size(); ++f)
      for (const io::TensorInfo& t : files_[f]->tensors()) {
        const auto [it, inserted] = owner_.emplace(t.name, f);
        COACT_REQUIRE(inserted, InputError, path_, ": tensor ", t.name, " is in two shards (",
                      files_[it->second]->path(), " and ", files_[f]->path(), ")");
      }
  }
  const std::string& path() const override { return path_; }
  std::string format() const override {
    const std::string kind = files_.front()->format();
    return files_.size() == 1 ? kind : str(kind, " (", files_.size(), " shards)");
  }
  const io::TensorInfo* find(std::string_view name) const override {
    const auto it = owner_.find(name);
    return it == owner_.end() ? nullptr : files_[it->second]->find(name);
  }
  std::vector<float> read_f32(std::string_view name) const override {
    const auto it = owner_.find(name);
    if (it == owner_.end()) throw InputError(str(path_, ": no tensor ", name, " (", listing(), ")"));
    return files_[it->second]->read_f32(name);
  }
  std::vector<std::string> names() const override {
    std::vector<std::string> all;
    for (const auto& file : files_)
      for (const io::TensorInfo& t : file->tensors()) all.push_back(t.name);
    return all;
  }
  const io::TensorFile* single_file() const override { return files_.size() == 1 ? files_.front().get() : nullptr; }

 private:
  std::string path_;
  std::vector<std::unique_ptr<io::TensorFile>> files_;
  std::map<std::string, std::size_t, std::less<>> owner_;
};

// The shards an index names, in the order they first appear.
std::unique_ptr<WeightSource> open_index(const std::string& path) {
  const JsonValue index = parse_json_file(path);
  const JsonValue& map = index.at("weight_map");
  if (!map.is_object()) map.fail("expected an object of tensor name → shard file");
  std::vector<std::string> shards;
  for (const auto& member : map.members()) {
    const std::string& shard = member.second.as_string();
    COACT_REQUIRE(!shard.empty() && shard.find('/') == std::string::npos && shard != "..", InputError, path,
                  ": shard \"", shard, "\" is not a file name beside the index");
    if (std::find(shards.begin(), shards.end(), shard) == shards.end()) shards.push_back(shard);
  }
  COACT_REQUIRE(!shards.empty(), InputError, path, ": the weight_map names no shard");
  std::vector<std::unique_ptr<io::TensorFile>> files;
  for (const std::string& shard : shards)
    files.push_back(io::open_tensor_file((fs::path(path).parent_path() / shard).string()));
  auto source = std::make_unique<TensorFiles>(path, std::move(files));
  // Every tensor the index names must be in the shard it names.
  for (const auto& member : map.members())
    COACT_REQUIRE(source->find(member.first), InputError, path, ": tensor ", member.first, " is not in its shard ",
                  member.second.as_string());
  return source;
}

}  // namespace

std::vector<float> WeightSource::read(std::string_view name, const io::Shape& shape) const {
  const io::TensorInfo* info = find(name);
  if (!info)
    throw InputError(str(path(), ": no tensor ", name, " (expected shape ", io::shape_string(shape), "; ", listing(), ")"));
  if (info->shape != shape)
    throw InputError(str(path(), ": tensor ", name, ": expected shape ", io::shape_string(shape), ", found ",
                         io::shape_string(info->shape)));
  return read_f32(name);
}

std::string WeightSource::listing() const {
  const std::vector<std::string> all = names();
  std::string text = str("the file holds ", all.size(), " tensors", all.empty() ? "" : ": ");
  for (std::size_t i = 0; i < all.size() && i < 6; ++i) text += str(i ? ", " : "", all[i]);
  if (all.size() > 6) text += ", ...";
  return text;
}

std::unique_ptr<WeightSource> open_weights(const std::string& path) {
  std::error_code ec;
  if (fs::is_directory(path, ec)) {
    for (const char* name : {"model.safetensors.index.json", "model.safetensors", "pytorch_model.bin.index.json",
                             "pytorch_model.bin"}) {
      const fs::path candidate = fs::path(path) / name;
      if (fs::exists(candidate, ec)) return open_weights(candidate.string());
    }
    throw InputError(str(path, ": a directory without model.safetensors, model.safetensors.index.json or ",
                         "pytorch_model.bin"));
  }
  if (path.size() >= 11 && path.compare(path.size() - 11, 11, ".index.json") == 0) return open_index(path);
  std::vector<std::unique_ptr<io::TensorFile>> files;
  files.push_back(io::open_tensor_file(path));
  return std::make_unique<TensorFiles>(path, std::move(files));
}

}  // namespace coact::model
