// The output-safety layer of one command, in one object. A command makes it right after
// parsing its flags, before it reads or computes anything, and keeps it until its outputs are
// committed:
//
//   io::CommandOutputs outputs("coact train", store_inputs("--activations", activations),
//                              {io::OutputSpec::folder("--out", dir, {"sae_52.h5", "sae_55.h5"})},
//                              force, &mpi.world());
//
// In order, on the root (every rank of `comm` constructs it; the root's verdict is broadcast so
// every rank throws the same collective error and no rank hangs):
//   1. check_output_path / check_output_directory for each output (UsageError naming the flag);
//   2. require_outputs_not_inputs (UsageError naming both flags; --force does not override);
//   3. a folder output that does not exist is created (never its parents) and removed again at
//      the end if nothing was written into it;
//   4. every written file is locked (OutputLock: OutputBusyError naming the holder's pid and
//      host), one writer per output for as long as this object lives;
//   5. under its lock, the temporaries interrupted runs left for that file are removed and
//      reported (remove_stale_partials);
//   6. an existing output is refused without `force` (OutputExistsError), unless its spec says
//      the command decides (a resumed checkpoint, a graph updated in place).
// Only the root holds locks: the ranks of one job are one writer.
//
// Writing itself still goes through io::AtomicOutput / io::DirectoryOutput (temporary name,
// rename on commit); those check existence again at the moment of writing.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "coact/io/output_lock.h"
#include "coact/io/output_paths.h"

namespace coact::dist {
class MpiComm;
}

namespace coact::io {

class CommandOutputs {
 public:
  // `command` ("coact train") is recorded in the lock files for other writers' messages.
  CommandOutputs(const std::string& command, std::vector<LabelledPath> inputs, std::vector<OutputSpec> outputs,
                 bool force, dist::MpiComm* comm = nullptr);
  // Releases the locks; removes folder outputs it created that are still empty.
  ~CommandOutputs();
  CommandOutputs(const CommandOutputs&) = delete;
  CommandOutputs& operator=(const CommandOutputs&) = delete;

  const std::vector<OutputSpec>& outputs() const { return outputs_; }
  // The locks this process holds (none on non-root ranks).
  const std::vector<OutputLock>& locks() const { return locks_; }

 private:
  void prepare(const std::string& command, const std::vector<LabelledPath>& inputs, bool force);
  void release() noexcept;

  std::vector<OutputSpec> outputs_;
  std::vector<OutputLock> locks_;
  std::vector<std::string> created_folders_;
};

}  // namespace coact::io
