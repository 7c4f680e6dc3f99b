// When a pass over a matrix is worth an OpenMP team. Internal to the compare module.
#pragma once

#include <cstdint>

namespace coact::compare::lap {

// Below about this many entries a pass takes tens of microseconds, less than starting and
// joining a team costs on a busy machine.
inline bool worth_a_team(std::int64_t entries) { return entries >= (std::int64_t{1} << 18); }

}  // namespace coact::compare::lap
