// The cpu backend's launchers: run a shared COACT_HD functor over [0, n) with OpenMP. Each item
// writes only its own outputs, so neither the schedule nor the thread count changes results.
//
// Vector width is chosen at run time. The build targets baseline x86-64 (SSE2) so one binary
// runs on every node of a cluster, but the functors' loops are memory- and vector-bound: each
// launcher is compiled a second time for AVX-512 (the OpenMP region GCC outlines inherits the
// target, and the functor inlined into it is vectorised 16 floats wide) and runs that version
// when the processor has it. Floating-point contraction is off in the whole build
// (CMakeLists.txt), so both versions round every operation identically: the choice changes
// speed, never a result.
#pragma once

#include <cstdint>

namespace coact::backend::cpu {

// Below this many elements a parallel region costs more than it saves.
inline constexpr std::int64_t kParallelThreshold = 1 << 14;

enum class VectorIsa { Baseline, Avx512 };
const char* to_string(VectorIsa isa);  // "baseline" | "avx512"
// AVX-512 (F, BW, VL, DQ) present and enabled by the OS.
bool cpu_has_avx512();
// The launchers' choice: AVX-512 when present, unless COACT_CPU_VECTORS=baseline (auto is the
// default; any other value is refused).
VectorIsa vector_isa();

#if defined(__x86_64__) && defined(__GNUC__)
#define COACT_CPU_AVX512 __attribute__((target("avx512f,avx512bw,avx512vl,avx512dq")))
#define COACT_CPU_HAS_AVX512_BUILD 1
#else
#define COACT_CPU_HAS_AVX512_BUILD 0
#endif

namespace launch {

// Each launcher body is written once and instantiated twice, with and without the target.
#define COACT_CPU_LAUNCHERS(ATTR, SUFFIX)                                                 \
  template <class F>                                                                     \
  ATTR void parallel_for##SUFFIX(std::int64_t n, const F& f) {                           \
    _Pragma("omp parallel for schedule(static) if (n >= kParallelThreshold)")            \
    for (std::int64_t i = 0; i < n; ++i) f(i);                                           \
  }                                                                                      \
  template <class F>                                                                     \
  ATTR void parallel_for_rows##SUFFIX(std::int64_t rows, std::int64_t cols, const F& f) { \
    _Pragma("omp parallel for schedule(static) if (rows * cols >= kParallelThreshold)")  \
    for (std::int64_t r = 0; r < rows; ++r)                                              \
      for (std::int64_t c = 0; c < cols; ++c) f(r, c);                                   \
  }                                                                                      \
  template <class F>                                                                     \
  ATTR void parallel_for_items##SUFFIX(std::int64_t n, const F& f, std::int64_t chunk) { \
    _Pragma("omp parallel for schedule(dynamic, chunk) if (n > 1)")                      \
    for (std::int64_t i = 0; i < n; ++i) f(i);                                           \
  }

COACT_CPU_LAUNCHERS(, _baseline)
#if COACT_CPU_HAS_AVX512_BUILD
COACT_CPU_LAUNCHERS(COACT_CPU_AVX512, _avx512)
#endif
#undef COACT_CPU_LAUNCHERS

}  // namespace launch

#if COACT_CPU_HAS_AVX512_BUILD
#define COACT_CPU_DISPATCH(name, ...)                                              \
  (vector_isa() == VectorIsa::Avx512 ? launch::name##_avx512(__VA_ARGS__) : launch::name##_baseline(__VA_ARGS__))
#else
#define COACT_CPU_DISPATCH(name, ...) launch::name##_baseline(__VA_ARGS__)
#endif

// Cheap, uniform items (one element each).
template <class F>
void parallel_for(std::int64_t n, const F& f) {
  COACT_CPU_DISPATCH(parallel_for, n, f);
}

// f(r, c) over a rows×cols matrix: rows in parallel (static: uniform work), a plain column loop
// inside that the compiler vectorises.
template <class F>
void parallel_for_rows(std::int64_t rows, std::int64_t cols, const F& f) {
  COACT_CPU_DISPATCH(parallel_for_rows, rows, cols, f);
}

// Items that each do a row's or a column block's work, possibly uneven (a feature's active
// tokens): handed out in small chunks so no thread waits on another's long items.
template <class F>
void parallel_for_items(std::int64_t n, const F& f, std::int64_t chunk = 8) {
  COACT_CPU_DISPATCH(parallel_for_items, n, f, chunk);
}

#undef COACT_CPU_DISPATCH

}  // namespace coact::backend::cpu
