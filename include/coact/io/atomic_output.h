// Atomic outputs: a file is written under a temporary name in its final directory and renamed
// over the final name only when complete, so readers never see a partial file and a failed run
// leaves any previous output intact. An existing output is refused without --force.
// The temporary is removed when the writer fails (destructor), when the job aborts
// (remove_pending_outputs) and when a signal ends the process (coact/core/signal_cleanup.h);
// one left by a process killed outright (SIGKILL, a node failure) is removed by the next run of
// the same output (io::CommandOutputs, under the output's lock).
#pragma once

#include <string>

namespace coact::dist {
class MpiComm;
}

namespace coact::io {

class AtomicOutput {
 public:
  // Checks the destination (on the root when `comm` is given; the verdict is broadcast so every
  // rank throws the same OutputExistsError) and creates missing parent directories. Every rank
  // of `comm` gets the same temporary path.
  AtomicOutput(std::string final_path, bool force, dist::MpiComm* comm = nullptr);
  // Removes the temporary file unless commit() succeeded.
  ~AtomicOutput();
  AtomicOutput(const AtomicOutput&) = delete;
  AtomicOutput& operator=(const AtomicOutput&) = delete;

  const std::string& final_path() const { return final_path_; }
  // Where to write: "<dir>/.<name>.partial-<token>".
  const std::string& temporary_path() const { return temporary_path_; }

  // Renames the temporary file over the final path (root only, after a barrier when parallel);
  // after this the destructor removes nothing.
  void commit();
  bool committed() const { return committed_; }

 private:
  std::string final_path_;
  std::string temporary_path_;
  dist::MpiComm* comm_;
  bool committed_ = false;
  int signal_ticket_ = -1;  // the temporary's entry in the signal cleanup table (root only)
};

// Fails with OutputExistsError when `path` exists and `force` is false.
void require_writable_output(const std::string& path, bool force);

// Removes the temporary files of every AtomicOutput still pending in this process. Called on
// the fatal-error path right before MPI_Abort, when destructors will not run.
void remove_pending_outputs() noexcept;

}  // namespace coact::io
