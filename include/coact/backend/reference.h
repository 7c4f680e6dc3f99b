// Plain, obviously-correct CPU implementations of every Backend op: the reference the op tests
// compare each backend against (the habit of ggml's test-backend-ops). Slow on purpose.
#pragma once

#include <cstdint>

#include "coact/backend/backend.h"
#include "coact/backend/sparse.h"

namespace coact::backend::reference {

// Every op of op_list.h as a free function. gemm_mixed rounds the operands to the precision's
// input format (bf16 or tf32) and sums in double. The transformer ops
// (reference_transformer.cpp) use double arithmetic with the C library's exp, erf and tanh,
// independent of the approximations the backends share.
#define COACT_DECLARE_REFERENCE_OP(result, name, parameters) result name parameters;
COACT_BACKEND_OPS(COACT_DECLARE_REFERENCE_OP)
#undef COACT_DECLARE_REFERENCE_OP

}  // namespace coact::backend::reference
