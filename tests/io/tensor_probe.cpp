// Test driver for the interchange readers (run by interchange_test.py, never installed).
//
//   tensor_probe describe FILE              JSON: format, metadata, tensors (name, dtype, shape, sum)
//   tensor_probe convert IN OUT             load_tensors(IN) and save_safetensors(OUT) as float32
//   tensor_probe ints FILE NAME             JSON array of the integer tensor NAME (read_i64)
//   tensor_probe require FILE NAME D0,D1..  read_f32 with an expected shape
//   tensor_probe tree FILE.pt               the unpickled object as JSON (tensors as descriptors)
//   tensor_probe json FILE                  parse_json_file and write the value back as JSON
//   tensor_probe dump FILE OUTDIR           every tensor (open_tensor_file, read_f32) as raw
//                                           float32 OUTDIR/<i>.f32, listed in OUTDIR/index.json
//   tensor_probe gguf FILE                  JSON: version, alignment, typed metadata, tensor infos
//   tensor_probe gguf-hf FILE OUTDIR        the model parameters as JSON, and dump of the
//                                           Hugging Face view (GgufHuggingFaceView)
//
// A coact::Error prints its one-line message on stderr and exits 1; any other exception
// exits 3, so the test can tell a handled bad input from an unexpected failure.
#include <cstdio>
#include <exception>
#include <fstream>
#include <iostream>
#include <limits>
#include <string>

#include "coact/core/errors.h"
#include "coact/core/json.h"
#include "coact/core/json_value.h"
#include "coact/io/gguf.h"
#include "coact/io/gguf_model.h"
#include "coact/io/safetensors.h"
#include "coact/io/tensors.h"
#include "coact/io/torch_pickle.h"

namespace {

using namespace coact;

void write_shape(JsonWriter& j, const io::Shape& shape) {
  j.begin_array();
  for (const auto d : shape) j.value(d);
  j.end_array();
}

int describe(const std::string& path) {
  const auto file = io::open_tensor_file(path);
  JsonWriter j;
  j.begin_object().field("format", file->format());
  j.key("metadata").begin_object();
  if (const auto* st = dynamic_cast<const io::SafetensorsFile*>(file.get()))
    for (const auto& [k, v] : st->metadata()) j.field(k, v);
  j.end_object();
  j.key("tensors").begin_array();
  for (const io::TensorInfo& t : file->tensors()) {
    const auto values = file->read_f32(t.name);
    double sum = 0.0;
    for (const float v : values) sum += v;
    j.begin_object().field("name", t.name).field("dtype", io::dtype_name(t.dtype)).key("shape");
    write_shape(j, t.shape);
    j.field("sum", sum).end_object();
  }
  j.end_array().end_object();
  std::cout << j.str() << "\n";
  return 0;
}

int convert(const std::string& in, const std::string& out) {
  const io::TensorMap tensors = io::load_tensors(in);
  std::map<std::string, std::string> metadata{{"converted_by", "tensor_probe"}};
  io::save_safetensors(out, /*force=*/true, tensors, metadata);
  return describe(out);
}

int ints(const std::string& path, const std::string& name) {
  const auto file = io::open_tensor_file(path);
  std::vector<std::int64_t> values(static_cast<std::size_t>(file->info(name).numel));
  file->read_i64(name, values);
  JsonWriter j;
  j.begin_array();
  for (const auto v : values) j.value(v);
  j.end_array();
  std::cout << j.str() << "\n";
  return 0;
}

int require(const std::string& path, const std::string& name, const std::string& dims) {
  io::Shape shape;
  for (const auto& d : split(dims, ',')) if (!d.empty()) shape.push_back(std::stoll(d));
  const auto file = io::open_tensor_file(path);
  const auto values = file->read_f32(name, shape);
  std::cout << values.size() << "\n";
  return 0;
}

void write_pickle(JsonWriter& j, const io::PickleValue& v, int depth) {
  using Kind = io::PickleValue::Kind;
  if (depth > 64) throw InputError("tree: nesting too deep to print");
  switch (v.kind) {
    case Kind::None: j.null(); break;
    case Kind::Bool: j.value(v.boolean); break;
    case Kind::Int: j.value(v.integer); break;
    case Kind::Float: j.value(v.real); break;
    case Kind::String: j.value(v.text); break;
    case Kind::Bytes: j.begin_object().field("bytes", static_cast<std::int64_t>(v.text.size())).end_object(); break;
    case Kind::List:
    case Kind::Tuple:
      j.begin_array();
      for (const auto* item : v.items) write_pickle(j, *item, depth + 1);
      j.end_array();
      break;
    case Kind::Dict:
      j.begin_object();
      for (const auto& [key, value] : v.entries) {
        j.key(key->kind == Kind::String ? key->text : key->kind == Kind::Int ? std::to_string(key->integer) : "?");
        write_pickle(j, *value, depth + 1);
      }
      j.end_object();
      break;
    case Kind::Global: j.begin_object().field("global", v.text).end_object(); break;
    case Kind::Storage: j.begin_object().field("storage", v.text).end_object(); break;
    case Kind::Tensor:
      j.begin_object().field("tensor", io::dtype_name(v.dtype)).key("shape");
      write_shape(j, v.shape);
      j.end_object();
      break;
  }
}

int tree(const std::string& path) {
  const io::TorchFile file(path);
  JsonWriter j;
  write_pickle(j, file.root(), 0);
  std::cout << j.str() << "\n";
  return 0;
}

void write_json(JsonWriter& j, const JsonValue& v) {
  switch (v.type()) {
    case JsonValue::Type::Null: j.null(); break;
    case JsonValue::Type::Bool: j.value(v.as_bool()); break;
    case JsonValue::Type::Number:
      if (v.is_integer())
        j.value(v.as_int());
      else
        j.value(v.as_double());
      break;
    case JsonValue::Type::String: j.value(v.as_string()); break;
    case JsonValue::Type::Array:
      j.begin_array();
      for (const auto& e : v.as_array()) write_json(j, e);
      j.end_array();
      break;
    case JsonValue::Type::Object:
      j.begin_object();
      for (const auto& [k, e] : v.members()) {
        j.key(k);
        write_json(j, e);
      }
      j.end_object();
      break;
  }
}

int json(const std::string& path) {
  const JsonValue root = parse_json_file(path);
  JsonWriter j;
  write_json(j, root);
  std::cout << j.str() << "\n";
  return 0;
}

void dump_tensors(const io::TensorFile& file, const std::string& dir, JsonWriter& j) {
  j.begin_array();
  std::size_t index = 0;
  for (const io::TensorInfo& t : file.tensors()) {
    const auto values = file.read_f32(t.name);
    const std::string name = std::to_string(index++) + ".f32";
    std::ofstream(dir + "/" + name, std::ios::binary)
        .write(reinterpret_cast<const char*>(values.data()), static_cast<std::streamsize>(values.size() * sizeof(float)));
    j.begin_object().field("name", t.name).field("dtype", io::dtype_name(t.dtype)).field("file", name).key("shape");
    write_shape(j, t.shape);
    j.end_object();
  }
  j.end_array();
}

int dump(const std::string& path, const std::string& dir) {
  const auto file = io::open_tensor_file(path);
  JsonWriter j;
  j.begin_object().field("format", file->format()).key("tensors");
  dump_tensors(*file, dir, j);
  j.end_object();
  std::ofstream(dir + "/index.json") << j.str() << "\n";
  return 0;
}

void write_uint(JsonWriter& j, std::uint64_t v) {
  if (v > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) j.value(std::to_string(v));
  else j.value(static_cast<std::int64_t>(v));
}

void write_gguf_value(JsonWriter& j, const io::GgufValue& v) {
  j.begin_object().field("type", io::gguf_value_type_name(v.type()));
  if (v.is_array()) j.field("element_type", io::gguf_value_type_name(v.element_type()));
  j.key("value");
  if (const auto* text = v.as_string()) j.value(*text);
  else if (const auto b = v.as_bool()) j.value(*b);
  else if (const auto f = v.as_float()) j.value(*f);
  else if (const auto i = v.as_int()) j.value(*i);
  else if (const auto u = v.as_uint()) write_uint(j, *u);
  else if (const auto* texts = v.as_strings()) {
    j.begin_array();
    for (const auto& t : *texts) j.value(t);
    j.end_array();
  } else if (const auto* arrays = v.as_arrays()) {
    j.begin_array();
    for (const auto& a : *arrays) write_gguf_value(j, a);
    j.end_array();
  } else if (const auto floats = v.as_floats()) {
    j.begin_array();
    for (const double x : *floats) j.value(x);
    j.end_array();
  } else if (const auto bools = v.as_bools()) {
    j.begin_array();
    for (const bool flag : *bools) j.value(flag);
    j.end_array();
  } else if (const auto ints = v.as_ints()) {
    j.begin_array();
    for (const auto n : *ints) j.value(n);
    j.end_array();
  } else {
    j.null();  // an array of uint64 beyond int64
  }
  j.end_object();
}

int gguf(const std::string& path) {
  const io::GgufFile file(path);
  JsonWriter j;
  j.begin_object().field("version", static_cast<std::int64_t>(file.version()));
  j.field("alignment", static_cast<std::int64_t>(file.alignment())).key("metadata").begin_array();
  for (const auto& [key, value] : file.metadata().entries()) {
    j.begin_array().value(key);
    write_gguf_value(j, value);
    j.end_array();
  }
  j.end_array().key("tensors").begin_array();
  for (const io::GgufTensorInfo& t : file.gguf_tensors()) {
    j.begin_object().field("name", t.name).field("type", io::gguf_type_name(t.type)).key("shape");
    write_shape(j, t.shape);
    j.field("offset", static_cast<std::int64_t>(t.offset)).field("bytes", static_cast<std::int64_t>(t.bytes));
    j.field("readable", io::gguf_type_readable(t.type)).end_object();
  }
  j.end_array().end_object();
  std::cout << j.str() << "\n";
  return 0;
}

template <class T>
void optional_field(JsonWriter& j, const char* name, const std::optional<T>& v) {
  j.key(name);
  if (v) j.value(*v);
  else j.null();
}

int gguf_hf(const std::string& path, const std::string& dir) {
  const io::GgufHuggingFaceView view(std::make_shared<const io::GgufFile>(path));
  const io::GgufModelParams& p = view.params();
  JsonWriter j;
  j.begin_object().key("params").begin_object();
  j.field("architecture", p.architecture).field("name", p.name).field("block_count", p.block_count);
  j.field("embedding_length", p.embedding_length).field("feed_forward_length", p.feed_forward_length);
  j.field("head_count", p.head_count).field("head_count_kv", p.head_count_kv).field("context_length", p.context_length);
  j.field("vocab_size", p.vocab_size).field("head_dim", p.head_dim()).field("tied_embeddings", p.tied_embeddings);
  optional_field(j, "rope_freq_base", p.rope_freq_base);
  optional_field(j, "rms_norm_epsilon", p.rms_norm_epsilon);
  optional_field(j, "rope_dimension_count", p.rope_dimension_count);
  optional_field(j, "bos_token_id", p.bos_token_id);
  optional_field(j, "eos_token_id", p.eos_token_id);
  j.end_object().key("tensors");
  dump_tensors(view, dir, j);
  j.end_object();
  std::ofstream(dir + "/index.json") << j.str() << "\n";
  return 0;
}

int run(int argc, char** argv) {
  const std::string command = argc > 1 ? argv[1] : "";
  if (command == "describe" && argc == 3) return describe(argv[2]);
  if (command == "convert" && argc == 4) return convert(argv[2], argv[3]);
  if (command == "ints" && argc == 4) return ints(argv[2], argv[3]);
  if (command == "require" && argc == 5) return require(argv[2], argv[3], argv[4]);
  if (command == "tree" && argc == 3) return tree(argv[2]);
  if (command == "json" && argc == 3) return json(argv[2]);
  if (command == "dump" && argc == 4) return dump(argv[2], argv[3]);
  if (command == "gguf" && argc == 3) return gguf(argv[2]);
  if (command == "gguf-hf" && argc == 4) return gguf_hf(argv[2], argv[3]);
  std::cerr << "usage: tensor_probe describe|convert|ints|require|tree|json|dump|gguf|gguf-hf ARGS\n";
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return run(argc, argv);
  } catch (const coact::Error& e) {
    std::cerr << e.what() << "\n";
    return 1;
  } catch (const std::exception& e) {
    std::cerr << "unexpected exception: " << e.what() << "\n";
    return 3;
  }
}
