#pragma once

#include <memory>

#include "coact/backend/backend.h"

namespace coact::backend::cpu {

std::unique_ptr<Backend> make_cpu_backend();
// "OpenBLAS 0.3.21 ..." as the library reports itself.
std::string blas_description();

}  // namespace coact::backend::cpu
