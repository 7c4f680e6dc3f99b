// Tensor and dataset shapes, shared by the HDF5 layer and the tensor-file readers.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace coact::io {

using Shape = std::vector<std::int64_t>;
std::string shape_string(const Shape& shape);  // "[1024, 512]"

}  // namespace coact::io
