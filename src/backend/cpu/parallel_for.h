// The cpu backend's launchers: run a shared COACT_HD functor over [0, n) with OpenMP. Each item
// writes only its own outputs, so neither the schedule nor the thread count changes results.
#pragma once

#include <cstdint>

namespace coact::backend::cpu {

// Below this many elements a parallel region costs more than it saves.
inline constexpr std::int64_t kParallelThreshold = 1 << 14;

// Cheap, uniform items (one element each).
template <class F>
void parallel_for(std::int64_t n, const F& f) {
#pragma omp parallel for schedule(static) if (n >= kParallelThreshold)
  for (std::int64_t i = 0; i < n; ++i) f(i);
}

// f(r, c) over a rows×cols matrix: rows in parallel (static: uniform work), a plain column loop
// inside that the compiler vectorises.
template <class F>
void parallel_for_rows(std::int64_t rows, std::int64_t cols, const F& f) {
#pragma omp parallel for schedule(static) if (rows * cols >= kParallelThreshold)
  for (std::int64_t r = 0; r < rows; ++r)
    for (std::int64_t c = 0; c < cols; ++c) f(r, c);
}

// Items that each do a row's or a column block's work, possibly uneven (a feature's active
// tokens): handed out in small chunks so no thread waits on another's long items.
template <class F>
void parallel_for_items(std::int64_t n, const F& f, std::int64_t chunk = 8) {
#pragma omp parallel for schedule(dynamic, chunk) if (n > 1)
  for (std::int64_t i = 0; i < n; ++i) f(i);
}

}  // namespace coact::backend::cpu
