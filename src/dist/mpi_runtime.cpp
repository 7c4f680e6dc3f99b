#include <mpi.h>

#include <cstdlib>
#include <set>
#include <string>

#include "coact/dist/mpi.h"
#include "mpi_check.h"

namespace coact::dist {

bool mpi_active() {
  int initialised = 0, finalised = 0;
  MPI_Initialized(&initialised);
  MPI_Finalized(&finalised);
  return initialised && !finalised;
}

MpiRuntime::MpiRuntime(int* argc, char*** argv) {
  if (!mpi_active()) {
    int provided = 0;
    COACT_MPI_CHECK(MPI_Init_thread(argc, argv, MPI_THREAD_FUNNELED, &provided));
    initialised_here_ = true;
  }
  // Errors come back as codes (and become MpiError) instead of killing the job silently.
  COACT_MPI_CHECK(MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN));
  MPI_Comm world = MPI_COMM_WORLD;
  world_ = std::make_unique<MpiComm>(&world, false);

  MPI_Comm node = MPI_COMM_NULL;
  COACT_MPI_CHECK(MPI_Comm_split_type(MPI_COMM_WORLD, MPI_COMM_TYPE_SHARED, world_->rank(), MPI_INFO_NULL, &node));
  COACT_MPI_CHECK(MPI_Comm_rank(node, &local_rank_));
  COACT_MPI_CHECK(MPI_Comm_size(node, &local_size_));
  // Hosts = number of node-local leaders.
  int leader = local_rank_ == 0 ? 1 : 0;
  COACT_MPI_CHECK(MPI_Allreduce(&leader, &host_count_, 1, MPI_INT, MPI_SUM, MPI_COMM_WORLD));
  MPI_Comm_free(&node);
}

MpiRuntime::~MpiRuntime() {
  world_.reset();
  if (initialised_here_ && mpi_active()) MPI_Finalize();
}

void MpiRuntime::abort(int exit_code) noexcept {
  if (mpi_active()) MPI_Abort(MPI_COMM_WORLD, exit_code);
  std::_Exit(exit_code);
}

std::string mpi_library_version() {
  char text[MPI_MAX_LIBRARY_VERSION_STRING];
  int length = 0;
  MPI_Get_library_version(text, &length);
  std::string version(text, static_cast<std::size_t>(length));
  const auto cut = version.find_first_of(",\n");
  if (cut != std::string::npos) version.resize(cut);
  int major = 0, minor = 0;
  MPI_Get_version(&major, &minor);
  return version + " (MPI " + std::to_string(major) + "." + std::to_string(minor) + ")";
}

std::string processor_name() {
  char name[MPI_MAX_PROCESSOR_NAME];
  int length = 0;
  if (MPI_Get_processor_name(name, &length) != MPI_SUCCESS) return "?";
  return std::string(name, static_cast<std::size_t>(length));
}

}  // namespace coact::dist
