// Test driver for HDF5 storage corner cases (run by h5_storage_test.py, never installed).
//
//   h5_probe dataset FILE NAME   JSON: shape and values of dataset NAME read as float64
//   h5_probe store SPEC          JSON: rows, d and every value of an activation store (float32)
//
// A coact::Error prints its one-line message on stderr and exits 1; any other exception exits 3.
#include <exception>
#include <iostream>
#include <string>
#include <vector>

#include "coact/core/errors.h"
#include "coact/core/json.h"
#include "coact/io/activation_store.h"
#include "coact/io/h5.h"

namespace {

using namespace coact;

template <class T>
void write_values(JsonWriter& j, const std::vector<T>& values) {
  j.key("values").begin_array();
  for (const T v : values) j.value(static_cast<double>(v));
  j.end_array();
}

int dataset(const std::string& path, const std::string& name) {
  const io::File file = io::File::open(path);
  const io::Dataset d = file.dataset(name);
  JsonWriter j;
  j.begin_object().key("shape").begin_array();
  for (const auto e : d.shape()) j.value(e);
  j.end_array();
  write_values(j, d.read_all<double>());
  std::cout << j.end_object().str() << std::endl;
  return 0;
}

int store(const std::string& spec) {
  const io::ActivationStore s = io::ActivationStore::open(spec);
  std::vector<float> rows(static_cast<std::size_t>(s.rows() * s.d()));
  s.read_rows(0, s.rows(), rows.data());
  JsonWriter j;
  j.begin_object().field("rows", s.rows()).field("d", s.d()).field("memory_mapped", s.memory_mapped());
  write_values(j, rows);
  std::cout << j.end_object().str() << std::endl;
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    const std::vector<std::string> args(argv + 1, argv + argc);
    if (args.size() == 3 && args[0] == "dataset") return dataset(args[1], args[2]);
    if (args.size() == 2 && args[0] == "store") return store(args[1]);
    std::cerr << "usage: h5_probe dataset FILE NAME | store SPEC" << std::endl;
    return 2;
  } catch (const Error& e) {
    std::cerr << e.what() << std::endl;
    return 1;
  } catch (const std::exception& e) {
    std::cerr << "unexpected: " << e.what() << std::endl;
    return 3;
  }
}
