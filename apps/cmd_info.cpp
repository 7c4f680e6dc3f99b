// coact info: what this build is and what this job sees — version, compiled backends, library
// versions, visible devices, and one line per rank (host, local rank, threads, backend).
#include <boost/version.hpp>
#include <iostream>
#include <sstream>

#include "coact/backend/backend.h"
#include "coact/core/strings.h"
#include "coact/dist/nccl.h"
#include "coact/io/h5.h"
#include "coact/version.h"
#include "commands.h"

namespace coact::app {
namespace {

std::string boost_version() {
  return str(BOOST_VERSION / 100000, ".", BOOST_VERSION / 100 % 1000, ".", BOOST_VERSION % 100);
}

std::string pad(std::string text, std::size_t width) {
  if (text.size() < width) text.resize(width, ' ');
  return text;
}

}  // namespace

int run_info(const Invocation& invocation) {
  CommandLine cli("info", "[options]",
                  "Prints the coact version, compiled backends, library versions, visible devices, and the\n"
                  "ranks and threads of this job (run it under mpirun/srun to see the job's layout).");
  cli.add_compute_flags();
  if (!cli.parse(invocation)) return 0;

  auto& mpi = invocation.mpi;
  const auto compute = backend::make_backend(backend::parse_device_request(cli.device()), mpi.local_rank());

  // One line per rank, gathered on the root so the report is printed once.
  const std::string line = str("rank ", mpi.rank(), "  host ", dist::processor_name(), "  local rank ", mpi.local_rank(),
                               "/", mpi.local_size(), "  threads ", backend::cpu_threads(), "  backend ",
                               compute->name());
  std::string padded = line;
  padded.resize(256, '\0');
  std::vector<char> lines(static_cast<std::size_t>(mpi.size()) * 256);
  mpi.world().allgather(padded.data(), lines.data(), 256);
  if (!mpi.is_root()) return 0;

  std::ostringstream out;
  out << "coact " << COACT_VERSION_STRING << "\n";
  out << "  backends    cpu" << (backend::cuda_compiled() ? ", cuda (compiled)" : "") << "\n";
  out << "  libraries\n";
  out << "    " << pad("MPI", 14) << dist::mpi_library_version() << "\n";
  out << "    " << pad("HDF5", 14) << io::hdf5_version() << "\n";
  out << "    " << pad("Boost", 14) << boost_version() << "\n";
  for (const auto& component : backend::describe_components()) {
    out << "    " << pad(component.name, 14) << component.version << "\n";
  }
  if (dist::nccl_compiled()) out << "    " << pad("NCCL", 14) << dist::nccl_version() << "\n";
  const int gpus = backend::cuda_device_count();
  out << "  devices     cpu" << (gpus > 0 ? str(", ", gpus, " CUDA device(s)") : std::string(", no CUDA device visible"))
      << "\n";
  out << "  compute     " << compute->description() << "\n";
  out << "  ranks       " << mpi.size() << " on " << mpi.host_count() << " host(s)\n";
  for (int r = 0; r < mpi.size(); ++r) out << "    " << std::string(lines.data() + r * 256) << "\n";
  std::cout << out.str() << std::flush;
  return 0;
}

}  // namespace coact::app
