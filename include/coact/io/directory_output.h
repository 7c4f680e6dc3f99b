// An output made of several files in one folder (a SAELens export: sae_weights.safetensors and
// cfg.json; a report's plots), written as one: every file is refused without --force if it
// exists, before anything is written; each is written under its own temporary name in the
// folder (an io::AtomicOutput) and renamed into place only by commit(), after all of them are
// complete. A failure before commit() leaves the folder exactly as it was, so a second export
// or report into the same folder never half-overwrites the first. (The renames themselves are
// one per file: with --force, a crash in the middle of commit() can leave some files new and
// some old; commit() renames in the order given, so put a file that refers to the others last.)
//
// Tools that write files under their own names (the Python plotting scripts) write into
// staging_directory() instead; commit() takes each declared file from there when it was not
// written at its temporary path.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "coact/io/atomic_output.h"

namespace coact::io {

class DirectoryOutput {
 public:
  // `flag` names the option in messages. The folder must exist or its parent must
  // (check_output_directory; UsageError otherwise); it is created when missing, and removed
  // again by the destructor if nothing was committed into it. OutputExistsError naming the
  // first existing file when `force` is false.
  DirectoryOutput(std::string flag, std::string directory, std::vector<std::string> files, bool force);
  // Removes the temporaries (and the staging folder) unless committed.
  ~DirectoryOutput();
  DirectoryOutput(const DirectoryOutput&) = delete;
  DirectoryOutput& operator=(const DirectoryOutput&) = delete;

  const std::string& directory() const { return directory_; }
  const std::vector<std::string>& files() const { return files_; }
  // Where to write `file` (one of the declared names; Error otherwise).
  const std::string& temporary_path(const std::string& file) const;
  // "<directory>/<file>".
  std::string final_path(const std::string& file) const;
  // A private folder inside the output folder (".<first file>.partial-<token>", removed with
  // the output's other temporaries) for tools that write the declared files by name.
  const std::string& staging_directory();

  // Moves every declared file into place, in the order given. IoError naming the first file
  // that was written neither at its temporary path nor in the staging folder.
  void commit();
  // The same for the declared files that were written; the others are left out (and any
  // existing file of that name untouched). Returns the names moved into place.
  std::vector<std::string> commit_written();
  bool committed() const { return committed_; }

 private:
  std::vector<std::string> gather(bool require_all);
  std::string flag_;
  std::string directory_;
  std::vector<std::string> files_;
  std::vector<std::unique_ptr<AtomicOutput>> outputs_;  // one per file, same order
  std::string staging_;
  bool created_directory_ = false;
  bool committed_ = false;
};

}  // namespace coact::io
