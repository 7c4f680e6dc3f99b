// Normalised mean squared error: a size-independent distance between a result and its
// reference (ggml's test-backend-ops measure). 0 for identical arrays.
#pragma once

#include <cstddef>
#include <vector>

namespace coact::testing {

inline double nmse(const std::vector<float>& got, const std::vector<float>& want) {
  double err = 0, ref = 0;
  for (std::size_t i = 0; i < want.size(); ++i) {
    const double d = static_cast<double>(got[i]) - want[i];
    err += d * d;
    ref += static_cast<double>(want[i]) * want[i];
  }
  return ref > 0 ? err / ref : err;
}

}  // namespace coact::testing
