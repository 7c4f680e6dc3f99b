// An error that every rank of a collective comparison raises at the same point, so that the
// command exits on all ranks instead of aborting the job (coact/core/errors.h, collective()).
#pragma once

#include "coact/core/errors.h"

namespace coact::compare {

// Bad input that the ranks detected together (e.g. a NaN that one rank found and all learnt of).
class SharedInputError : public InputError {
 public:
  using InputError::InputError;
  bool collective() const noexcept override { return true; }
};

}  // namespace coact::compare
