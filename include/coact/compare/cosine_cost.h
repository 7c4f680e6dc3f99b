// The feature-matching cost between two SAEs: cost[i, j] = 1 − cos(a_i, b_j) for the rows of
// two row-major matrices (decoder rows W_dec1 [n1×d], W_dec2 [n2×d]), as float32, computed
// with one Backend::gemm on row-normalised copies. A row of zero norm has cosine 0 with
// everything (cost 1). In bf16 (backend/precision.h) the GEMM reads the normalised rows
// rounded to bfloat16: each cosine is then off by at most about 2^-7 (1 − cos by the same).
#pragma once

#include <vector>

#include "coact/backend/backend.h"
#include "coact/core/tensor.h"

namespace coact::compare {

// a, b and cost are host memory; cost is n1×n2 (any row stride >= n2). On the cpu backend
// the GEMM writes straight into `cost`; on cuda it goes through one device buffer of the
// cost's size. Extra memory besides that: the normalised copies of a and b. Throws
// InputError when the widths differ or an entry is NaN/Inf.
void cosine_cost(backend::Backend& backend, MatrixView<const float> a, MatrixView<const float> b,
                 MatrixView<float> cost, backend::Precision precision = backend::Precision::Fp32);

// The same into a new contiguous n1×n2 vector.
std::vector<float> cosine_cost(backend::Backend& backend, MatrixView<const float> a, MatrixView<const float> b,
                               backend::Precision precision = backend::Precision::Fp32);

}  // namespace coact::compare
