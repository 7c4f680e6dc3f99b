// Test driver for the interchange readers (run by interchange_test.py, never installed).
//
//   tensor_probe describe FILE              JSON: format, metadata, tensors (name, dtype, shape, sum)
//   tensor_probe convert IN OUT             load_tensors(IN) and save_safetensors(OUT) as float32
//   tensor_probe ints FILE NAME             JSON array of the integer tensor NAME (read_i64)
//   tensor_probe require FILE NAME D0,D1..  read_f32 with an expected shape
//   tensor_probe tree FILE.pt               the unpickled object as JSON (tensors as descriptors)
//   tensor_probe json FILE                  parse_json_file and write the value back as JSON
//
// A coact::Error prints its one-line message on stderr and exits 1; any other exception
// exits 3, so the test can tell a handled bad input from an unexpected failure.
#include <cstdio>
#include <exception>
#include <iostream>
#include <string>

#include "coact/core/errors.h"
#include "coact/core/json.h"
#include "coact/core/json_value.h"
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

int run(int argc, char** argv) {
  const std::string command = argc > 1 ? argv[1] : "";
  if (command == "describe" && argc == 3) return describe(argv[2]);
  if (command == "convert" && argc == 4) return convert(argv[2], argv[3]);
  if (command == "ints" && argc == 4) return ints(argv[2], argv[3]);
  if (command == "require" && argc == 5) return require(argv[2], argv[3], argv[4]);
  if (command == "tree" && argc == 3) return tree(argv[2]);
  if (command == "json" && argc == 3) return json(argv[2]);
  std::cerr << "usage: tensor_probe describe|convert|ints|require|tree|json ARGS\n";
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
