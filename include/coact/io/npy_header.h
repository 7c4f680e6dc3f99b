// The header of a NumPy .npy file (format versions 1.0 to 3.0), parsed strictly: the magic,
// the version, the header length, and the Python dict literal
//   {'descr': '<i4', 'fortran_order': False, 'shape': (3, 4), }
// with nothing but padding after it. The token readers (.npy token files) and the .npz tensor
// files (NpzFile) read headers through it.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace coact::io {

struct NpyHeader {
  std::string descr;  // '<i4', '|u1', ...
  bool fortran_order = false;
  std::vector<std::int64_t> shape;
  std::int64_t data_offset = 0;  // bytes before the array data
};

// `prefix` holds at least the file's first min(size, 64 KiB + 12) bytes; `path` names the file
// in messages. Throws InputError for anything that is not a well-formed header.
NpyHeader parse_npy_header(const std::string& prefix, const std::string& path);

}  // namespace coact::io
