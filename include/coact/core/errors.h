// The typed exceptions every coact module throws, and the check helpers behind the
// per-library check macros (COACT_MPI_CHECK, COACT_H5_CHECK, COACT_CUDA_CHECK, ...; each is
// defined by the module that owns the library). The `coact` command turns any of these into
// one line on stderr and a non-zero exit; tests catch them by type.
#pragma once

#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>

#include "coact/core/strings.h"

namespace coact {

class Error : public std::runtime_error {
 public:
  explicit Error(const std::string& message) : std::runtime_error(message) {}
  // Exit status of the `coact` command for this error.
  virtual int exit_code() const noexcept { return 1; }
  // True when every rank raises the same error at the same point (a bad flag, an existing
  // output checked by the root and broadcast): the command then exits cleanly on all ranks
  // instead of aborting the job.
  virtual bool collective() const noexcept { return false; }
  // Where in coact the failure was detected ("HDF5 call H5Dread(...) failed at
  // src/io/h5_dataset.cpp:88"), for developers: the command prints it only at
  // --log-level debug. what() is the user's line and never carries a source location.
  // Empty for errors about the user's input.
  const std::string& debug_context() const noexcept { return debug_context_; }

 protected:
  Error(const std::string& message, std::string debug_context)
      : std::runtime_error(message), debug_context_(std::move(debug_context)) {}

 private:
  std::string debug_context_;
};

// A bad command line or configuration: unknown flag, bad value, missing required option.
class UsageError : public Error {
 public:
  using Error::Error;
  int exit_code() const noexcept override { return 2; }
  bool collective() const noexcept override { return true; }
};

// A configuration file key or value that is wrong.
class ConfigError : public UsageError {
 public:
  using UsageError::UsageError;
};

// An output that exists and would be overwritten without --force.
class OutputExistsError : public Error {
 public:
  using Error::Error;
  bool collective() const noexcept override { return true; }
};

// An output another process is writing now (its lock is held): names the output and the
// holder's pid and host.
class OutputBusyError : public Error {
 public:
  using Error::Error;
  bool collective() const noexcept override { return true; }
};

// Input data that is missing, malformed or inconsistent: names the file and the object.
class InputError : public Error {
 public:
  using Error::Error;
};

// A system-level I/O failure (disk full, permission denied, rename failed).
class IoError : public Error {
 public:
  using Error::Error;
};

// NaN/Inf where a finite number is required (a diverging loss, a bad activation row).
class NumericError : public Error {
 public:
  using Error::Error;
};

// Work was interrupted by a signal (SIGTERM/SIGUSR1 from Slurm); state was saved. Ranks agree
// on the step at which they stop, so every rank raises it at the same point.
class InterruptedError : public Error {
 public:
  using Error::Error;
  int exit_code() const noexcept override { return 130; }
  bool collective() const noexcept override { return true; }
};

// Memory that could not be allocated: the message names what the memory was for, how much was
// asked for and, where one sets it, the flag that sizes it (coact/core/memory.h).
class OutOfMemoryError : public Error {
 public:
  using Error::Error;
};

// A failed third-party library call, in two parts: the user's line (what failed, in words:
// the file and object, or the operation) and the developer's context (the call, source file
// and line), kept apart so that error lines never show coact's source locations.
struct LibraryFailure {
  std::string message;
  std::string debug_context;
};

// A third-party library call that failed: what() says what failed; debug_context() names the
// call, source file and line.
class LibraryError : public Error {
 public:
  using Error::Error;
  explicit LibraryError(const LibraryFailure& failure) : Error(failure.message, failure.debug_context) {}
};
class MpiError : public LibraryError {
 public:
  using LibraryError::LibraryError;
};
class Hdf5Error : public LibraryError {
 public:
  using LibraryError::LibraryError;
};
class CudaError : public LibraryError {
 public:
  using LibraryError::LibraryError;
};
class CublasError : public LibraryError {
 public:
  using LibraryError::LibraryError;
};
class NcclError : public LibraryError {
 public:
  using LibraryError::LibraryError;
};

// "src/dist/mpi_comm.cpp" from an absolute __FILE__: the part from the project's top folder.
std::string_view source_location_path(const char* file) noexcept;

// A failed library call: message "<library> <function> failed: <detail>" (the function name
// without its arguments, e.g. "MPI MPI_Bcast failed: invalid root"); debug context
// "<library> call <call> failed at <file>:<line>".
LibraryFailure library_failure(std::string_view library, std::string_view call, std::string_view detail,
                               const char* file, int line);

}  // namespace coact

// Throws ErrorType with the streamed message when cond is false.
#define COACT_REQUIRE(cond, ErrorType, ...)        \
  do {                                              \
    if (!(cond)) throw ErrorType(::coact::str(__VA_ARGS__)); \
  } while (0)
