// `coact <command> [options]`: initialises MPI, dispatches to the command, and turns every
// error into one line on stderr and a non-zero exit. An error raised by one rank alone aborts
// the whole job (MPI_Abort), so the other ranks never hang in a collective.
#include <cstdlib>
#include <exception>
#include <fstream>
#include <iostream>
#include <new>
#include <string>
#include <vector>

#include "coact/core/errors.h"
#include "coact/core/interrupt.h"
#include "coact/core/signal_cleanup.h"
#include "coact/core/log.h"
#include "coact/dist/mpi.h"
#include "coact/io/atomic_output.h"
#include "coact/version.h"
#include "commands.h"

namespace {

using coact::app::commands;

void print_usage(std::ostream& out) {
  out << "Usage: coact <command> [options]\n\n"
         "coact trains sparse autoencoders on transformer activations and compares their features\n"
         "through co-activation graphs, on MPI ranks with CPU or CUDA backends.\n\nCommands:\n";
  for (const auto& c : commands()) {
    std::string name = c.name;
    name.resize(12, ' ');
    out << "  " << name << c.summary << "\n";
  }
  out << "\nRun 'coact <command> --help' for a command's options. 'coact --version' prints the version.\n";
}

std::string one_line(std::string text) {
  for (char& c : text)
    if (c == '\n' || c == '\r') c = ' ';
  return text;
}

// The command's exit status, written by the root to $COACT_EXIT_STATUS_FILE when set: a
// launcher signalled to stop (mpirun exits 1 whatever its ranks return) hides the 130 of a
// run that checkpointed, and batch scripts requeue on it (jobs/lib/job.sh).
int report_status(const coact::dist::MpiRuntime& mpi, int code) {
  const char* path = std::getenv("COACT_EXIT_STATUS_FILE");
  if (path && *path && mpi.is_root()) std::ofstream(path, std::ios::trunc) << code << "\n";
  return code;
}

// Reports an error and returns the exit code, or aborts the job when other ranks cannot know.
int fail(coact::dist::MpiRuntime& mpi, const std::string& prefix, const std::string& message, int code,
         bool collective) {
  if (collective || mpi.size() == 1) {
    if (mpi.is_root()) std::cerr << prefix << one_line(message) << std::endl;
    return code;
  }
  std::cerr << prefix << (mpi.size() > 1 ? "[rank " + std::to_string(mpi.rank()) + "] " : "") << one_line(message)
            << std::endl;
  coact::io::remove_pending_outputs();
  coact::dist::MpiRuntime::abort(code);
}

int dispatch(coact::dist::MpiRuntime& mpi, int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  if (args.empty()) {
    if (mpi.is_root()) print_usage(std::cerr);
    return 2;
  }
  const std::string& first = args.front();
  if (first == "--help" || first == "-h" || first == "help") {
    if (mpi.is_root()) print_usage(std::cout);
    return 0;
  }
  if (first == "--version" || first == "-V") {
    if (mpi.is_root()) std::cout << "coact " << COACT_VERSION_STRING << std::endl;
    return 0;
  }
  for (const auto& c : commands()) {
    if (first == c.name) {
      coact::app::Invocation invocation{mpi, c.name, std::vector<std::string>(args.begin() + 1, args.end())};
      return c.run(invocation);
    }
  }
  if (first.rfind("-", 0) == 0) throw coact::UsageError("unrecognised option '" + first + "' before the command (see coact --help)");
  throw coact::UsageError("unknown command '" + first + "' (see coact --help)");
}

}  // namespace

int main(int argc, char** argv) {
  // Commands that checkpoint stop at their next step on SIGTERM/SIGUSR1/SIGINT (exit 130); set
  // before MPI starts, so a signal during start-up is not lost. Every other command removes
  // the temporaries of its unfinished outputs and ends by the signal.
  const std::string command = argc > 1 ? argv[1] : "";
  if (command == "train" || command == "run" || command == "demo") coact::install_interrupt_handlers();
  coact::install_signal_cleanup();
  std::unique_ptr<coact::dist::MpiRuntime> mpi;
  try {
    mpi = std::make_unique<coact::dist::MpiRuntime>(&argc, &argv);
  } catch (const std::exception& e) {
    std::cerr << "coact: cannot start MPI: " << one_line(e.what()) << std::endl;
    return 1;
  }
  coact::log::configure({coact::log::Level::Info, mpi->rank(), mpi->size(), false});
  const std::string prefix = "coact" + (argc > 1 && argv[1][0] != '-' ? " " + std::string(argv[1]) : std::string()) + ": ";
  try {
    return report_status(*mpi, dispatch(*mpi, argc, argv));
  } catch (const coact::Error& e) {
    // Where it failed inside coact or a library (call, source file and line) is for developers.
    if (!e.debug_context().empty()) coact::log::debug(e.debug_context());
    report_status(*mpi, e.exit_code());
    return fail(*mpi, prefix, e.what(), e.exit_code(), e.collective());
  } catch (const std::bad_alloc&) {
    return fail(*mpi, prefix, "out of memory", 1, false);
  } catch (const std::exception& e) {
    return fail(*mpi, prefix, e.what(), 1, false);
  }
}
