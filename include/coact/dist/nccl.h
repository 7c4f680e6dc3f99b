// NCCL collectives on device buffers of one GPU per rank (CUDA build). The communicator is
// made the llm.c way: rank 0 creates the ncclUniqueId, MPI broadcasts it, every rank calls
// ncclCommInitRank on the GPU its backend uses. Collectives run on the backend's stream.
#pragma once

#include <memory>
#include <string>

#include "coact/backend/backend.h"
#include "coact/dist/mpi.h"

namespace coact::dist {

// Whether this build has NCCL.
bool nccl_compiled();
// "2.27.3", or "" when not compiled.
std::string nccl_version();

// A Comm over the ranks of `mpi`, on `gpu` (a cuda backend). Throws UsageError when the build
// has no NCCL or the backend is not a GPU.
std::unique_ptr<Comm> make_nccl_comm(MpiComm& mpi, backend::Backend& gpu);

// The Comm a data-parallel job should use for device buffers of `compute`: NCCL when compute
// is a GPU, else MPI itself (host memory is the cpu backend's device memory).
std::unique_ptr<Comm> make_gradient_comm(MpiComm& mpi, backend::Backend& compute);

}  // namespace coact::dist
