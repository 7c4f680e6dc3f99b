// Where a model's tensors come from, behind one small interface (name → float32 tensor), so
// the family loaders (weights.h) read a single safetensors or PyTorch .pt file, the shards of
// a Hugging Face checkpoint (model.safetensors.index.json, or a directory holding it) and a
// GGUF file alike. Half, bfloat16 and (for GGUF) quantised tensors are read as float32.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "coact/io/shape.h"
#include "coact/io/tensors.h"

namespace coact::model {

class WeightSource {
 public:
  virtual ~WeightSource() = default;
  // The path the weights were opened from, for messages.
  virtual const std::string& path() const = 0;
  // "safetensors", "pytorch" or "gguf".
  virtual std::string format() const = 0;
  // The tensor's name, dtype and row-major shape, or null when no file holds it.
  virtual const io::TensorInfo* find(std::string_view name) const = 0;
  // The tensor as float32 (InputError naming the file when it is missing).
  virtual std::vector<float> read_f32(std::string_view name) const = 0;
  // Every tensor name, in file order (shard by shard).
  virtual std::vector<std::string> names() const = 0;
  // The underlying file when there is exactly one (a GGUF's metadata lives there), else null.
  virtual const io::TensorFile* single_file() const = 0;

  // read_f32 after checking the shape; the errors name the file, the tensor and both shapes:
  // "<file>: no tensor x (expected shape [4, 8]; the file holds 12 tensors: a, b, ...)",
  // "<file>: tensor x: expected shape [4, 8], found [4, 9]".
  std::vector<float> read(std::string_view name, const io::Shape& shape) const;
  // "the file holds 12 tensors: a, b, c, d, e, f, ..."
  std::string listing() const;
};

// Opens `path`: a tensor file (safetensors, .pt), a Hugging Face shard index
// (model.safetensors.index.json), a GGUF file (its tensors under Hugging Face names, see
// io/gguf_model.h), or a directory holding model.safetensors.index.json, model.safetensors or
// pytorch_model.bin.
std::unique_ptr<WeightSource> open_weights(const std::string& path);

// Whether the file starts with GGUF's magic (its config then comes from its metadata).
bool is_gguf_file(const std::string& path);

}  // namespace coact::model
