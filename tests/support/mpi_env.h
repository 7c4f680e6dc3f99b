// Access to the MPI world inside MPI tests (initialised by mpi_test_main.cpp).
#pragma once

#include <mpi.h>

#include <vector>

#include "coact/dist/mpi.h"

namespace coact::testing {

// A world communicator wrapper for tests (MPI is already initialised by main).
inline dist::MpiComm& world() {
  static MPI_Comm comm = MPI_COMM_WORLD;
  static dist::MpiComm wrapper(&comm, false);
  return wrapper;
}

// The latent shard counts the world's ranks allow: every T > 1 dividing P.
inline std::vector<int> shard_counts() {
  std::vector<int> out;
  for (int t = 2; t <= world().size(); ++t)
    if (world().size() % t == 0) out.push_back(t);
  return out;
}

}  // namespace coact::testing
