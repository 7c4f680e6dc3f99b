#include "coact/core/memory.h"

#include <string>

#include "coact/core/strings.h"

namespace coact {

void throw_out_of_memory(const AllocationPurpose& purpose, double bytes) {
  throw OutOfMemoryError(str("out of memory: cannot allocate ", human_bytes(bytes), " for ", purpose.what,
                             purpose.flag.empty() ? std::string() : str(" (lower ", purpose.flag, ")")));
}

}  // namespace coact
