// Errors that every rank of a collective comparison raises at the same point, so that the
// command exits on all ranks instead of aborting the job (coact/core/errors.h, collective()).
#pragma once

#include <string>

#include "coact/core/errors.h"

namespace coact::compare {

// Bad input that the ranks detected together (e.g. a NaN that one rank found and all learnt of).
class SharedInputError : public InputError {
 public:
  using InputError::InputError;
  bool collective() const noexcept override { return true; }
};

// A failure of work done on the root alone (loading, validation), re-raised on every rank with
// the root's message and exit status.
class SharedFailure : public Error {
 public:
  SharedFailure(const std::string& message, int code) : Error(message), code_(code) {}
  int exit_code() const noexcept override { return code_; }
  bool collective() const noexcept override { return true; }

 private:
  int code_;
};

}  // namespace coact::compare
