// Writes NumPy .npy files (format 1.0, little endian, C order) so Python checks can read C++
// results with np.load and nothing else.
#pragma once

#include <cstdint>
#include <fstream>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <vector>

namespace coact::testing {

template <class T>
const char* npy_descr() {
  if constexpr (std::is_same_v<T, float>) return "<f4";
  else if constexpr (std::is_same_v<T, double>) return "<f8";
  else if constexpr (std::is_same_v<T, std::int32_t>) return "<i4";
  else {
    static_assert(std::is_same_v<T, std::int64_t>, "unsupported npy element type");
    return "<i8";
  }
}

template <class T>
void write_npy(const std::string& path, const std::vector<T>& data, const std::vector<std::int64_t>& shape) {
  std::string dims;
  std::int64_t count = 1;
  for (const auto s : shape) {
    dims += std::to_string(s) + ", ";
    count *= s;
  }
  if (count != static_cast<std::int64_t>(data.size())) throw std::runtime_error("write_npy: shape does not match data: " + path);
  std::string header = std::string("{'descr': '") + npy_descr<T>() + "', 'fortran_order': False, 'shape': (" + dims + "), }";
  const std::size_t unpadded = 10 + header.size() + 1;  // magic(6) + version(2) + length(2) + header + '\n'
  header.append((64 - unpadded % 64) % 64, ' ');
  header += '\n';
  std::ofstream out(path, std::ios::binary);
  out.write("\x93NUMPY\x01\x00", 8);
  const auto length = static_cast<std::uint16_t>(header.size());
  const char length_bytes[2] = {static_cast<char>(length & 0xff), static_cast<char>(length >> 8)};
  out.write(length_bytes, 2);
  out.write(header.data(), static_cast<std::streamsize>(header.size()));
  out.write(reinterpret_cast<const char*>(data.data()), static_cast<std::streamsize>(data.size() * sizeof(T)));
  if (!out) throw std::runtime_error("write_npy: cannot write " + path);
}

}  // namespace coact::testing
