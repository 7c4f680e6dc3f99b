// Tensor files behind WeightSource. The formats themselves are io's: safetensors (single or a
// shard index), PyTorch .pt, and GGUF seen under Hugging Face names (io/gguf_model.h).
#include "coact/model/weight_source.h"

#include <filesystem>
#include <fstream>

#include "coact/core/errors.h"
#include "coact/core/strings.h"
#include "coact/io/gguf_model.h"

namespace coact::model {
namespace {

namespace fs = std::filesystem;

class OneTensorFile final : public WeightSource {
 public:
  OneTensorFile(std::string path, std::unique_ptr<io::TensorFile> file) : path_(std::move(path)), file_(std::move(file)) {}
  const std::string& path() const override { return path_; }
  std::string format() const override { return file_->format(); }
  const io::TensorInfo* find(std::string_view name) const override { return file_->find(name); }
  std::vector<float> read_f32(std::string_view name) const override {
    if (!file_->find(name)) throw InputError(str(path_, ": no tensor ", name, " (", listing(), ")"));
    return file_->read_f32(name);
  }
  std::vector<std::string> names() const override {
    std::vector<std::string> all;
    for (const io::TensorInfo& t : file_->tensors()) all.push_back(t.name);
    return all;
  }
  const io::TensorFile* single_file() const override { return file_.get(); }

 private:
  std::string path_;
  std::unique_ptr<io::TensorFile> file_;
};

}  // namespace

bool is_gguf_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  char magic[4] = {0, 0, 0, 0};
  in.read(magic, sizeof magic);
  return in.gcount() == 4 && std::string_view(magic, 4) == "GGUF";
}

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
    for (const char* name : {"model.safetensors.index.json", "model.safetensors", "pytorch_model.bin"}) {
      const fs::path candidate = fs::path(path) / name;
      if (fs::exists(candidate, ec)) return open_weights(candidate.string());
    }
    throw InputError(str(path, ": a directory without model.safetensors, model.safetensors.index.json or ",
                         "pytorch_model.bin"));
  }
  // GGUF tensors are read under Hugging Face's names, with llama.cpp's rotary rows put back.
  if (is_gguf_file(path)) return std::make_unique<OneTensorFile>(path, io::open_gguf_as_huggingface(path));
  return std::make_unique<OneTensorFile>(path, io::open_tensor_file(path));
}

}  // namespace coact::model
