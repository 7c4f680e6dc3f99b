// The cpu backend's environment switches (COACT_CPU_VECTORS, COACT_CPU_BF16): unset, empty or
// "auto" leaves the choice to the hardware; one other value forces a fallback; anything else
// is refused by name.
#pragma once

#include <cstdlib>
#include <string>

#include "coact/core/errors.h"

namespace coact::backend::cpu {

// Whether `variable` forces `fallback`. Read on every call (a short scan of the environment), so
// a test can compare both choices in one process.
inline bool env_forces(const char* variable, const char* fallback) {
  const char* set = std::getenv(variable);
  if (!set || !*set) return false;
  const std::string value = set;
  if (value == fallback) return true;
  COACT_REQUIRE(value == "auto", UsageError, variable, ": '", value, "' is not one of auto, ", fallback);
  return false;
}

}  // namespace coact::backend::cpu
