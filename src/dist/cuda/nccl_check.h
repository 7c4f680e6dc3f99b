// COACT_NCCL_CHECK(call): a failed NCCL call throws NcclError naming the call and NCCL's
// reason (file and line in its debug context). Only for CUDA-built sources of the dist module.
#pragma once

#include <nccl.h>

#include "coact/core/errors.h"

namespace coact::dist {

inline void nccl_check(ncclResult_t status, const char* call, const char* file, int line) {
  if (status != ncclSuccess)
    throw NcclError(library_failure("NCCL", call, ncclGetErrorString(status), file, line));
}

}  // namespace coact::dist

#define COACT_NCCL_CHECK(call) ::coact::dist::nccl_check((call), #call, __FILE__, __LINE__)
