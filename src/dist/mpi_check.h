// COACT_MPI_CHECK(call): an MPI call that does not return MPI_SUCCESS throws MpiError naming
// the call, with MPI's own error text (file and line in its debug context). Only for sources
// that include mpi.h (the dist module).
#pragma once

#include <mpi.h>

#include "coact/core/errors.h"

namespace coact::dist {

inline void mpi_check(int status, const char* call, const char* file, int line) {
  if (status == MPI_SUCCESS) return;
  char text[MPI_MAX_ERROR_STRING];
  int length = 0;
  if (MPI_Error_string(status, text, &length) != MPI_SUCCESS) length = 0;
  throw MpiError(library_failure("MPI", call, std::string_view(text, static_cast<std::size_t>(length)), file, line));
}

}  // namespace coact::dist

#define COACT_MPI_CHECK(call) ::coact::dist::mpi_check((call), #call, __FILE__, __LINE__)
