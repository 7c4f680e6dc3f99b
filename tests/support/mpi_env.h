// Access to the MPI world inside MPI tests (initialised by mpi_test_main.cpp).
#pragma once

#include <mpi.h>

#include "coact/dist/mpi.h"

namespace coact::testing {

// A world communicator wrapper for tests (MPI is already initialised by main).
inline dist::MpiComm& world() {
  static MPI_Comm comm = MPI_COMM_WORLD;
  static dist::MpiComm wrapper(&comm, false);
  return wrapper;
}

}  // namespace coact::testing
