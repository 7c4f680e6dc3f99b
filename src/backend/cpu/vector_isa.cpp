// The launchers' run-time choice of vector width (parallel_for.h).
#include "cpu/env_switch.h"
#include "cpu/parallel_for.h"

namespace coact::backend::cpu {

const char* to_string(VectorIsa isa) { return isa == VectorIsa::Avx512 ? "avx512" : "baseline"; }

bool cpu_has_avx512() {
#if COACT_CPU_HAS_AVX512_BUILD
  // __builtin_cpu_supports also checks that the OS saves the AVX-512 state (XCR0).
  return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
         __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512dq");
#else
  return false;
#endif
}

VectorIsa vector_isa() {
  static const bool hardware = cpu_has_avx512();
  if (env_forces("COACT_CPU_VECTORS", "baseline")) return VectorIsa::Baseline;
  return hardware ? VectorIsa::Avx512 : VectorIsa::Baseline;
}

}  // namespace coact::backend::cpu
