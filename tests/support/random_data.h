// Random test inputs from a fixed seed (std::mt19937, so every platform draws the same values).
#pragma once

#include <cstddef>
#include <random>
#include <vector>

namespace coact::testing {

// n floats uniform in [lo, hi).
inline std::vector<float> uniform_floats(std::size_t n, unsigned seed, float lo = -1.0f, float hi = 1.0f) {
  std::mt19937 gen(seed);
  std::uniform_real_distribution<float> dist(lo, hi);
  std::vector<float> v(n);
  for (auto& x : v) x = dist(gen);
  return v;
}

}  // namespace coact::testing
