// The cpu backend's launcher: runs a shared COACT_HD functor over [0, n) with OpenMP.
#pragma once

#include <cstdint>

namespace coact::backend::cpu {

// Below this many elements a parallel region costs more than it saves.
inline constexpr std::int64_t kParallelThreshold = 1 << 14;

template <class F>
void parallel_for(std::int64_t n, const F& f) {
#pragma omp parallel for schedule(static) if (n >= kParallelThreshold)
  for (std::int64_t i = 0; i < n; ++i) f(i);
}

}  // namespace coact::backend::cpu
