// One writer per output: an exclusive lock beside each output file, held while the command
// runs, and the sweep of temporaries an interrupted earlier run left behind.
//
// The lock file is "<dir>/.<name>.lock" (docs/formats.md, "Lock files"). It holds one line of
// text naming the holder (pid, host, command, start time) for the message a second writer
// gets; the lock itself is a kernel record lock (fcntl, open-file-description locks where the
// kernel has them), so a process that is killed, even by SIGKILL, releases it: a lock file
// left on disk by a dead process is simply taken over. The holder removes the file when it
// releases the lock.
//
// Under MPI the ranks of one job are one writer: only the root takes the locks
// (io::CommandOutputs does this); ranks never lock.
//
// Network file systems. On NFS, fcntl locks go through the NFS lock protocol (NLM for NFSv3,
// built into NFSv4), so they exclude writers on other hosts too, provided the file system is
// mounted with locking (the default). A mount with `nolock` or `local_lock=all` keeps locks
// local to each host: two hosts can then both take the lock, and nothing warns them. When a
// host that holds a lock dies, the server releases the lock only after its lease expires
// (NFSv4, typically 90 s) or the host reboots (NLM), so a job restarted at once on another
// host may find the output busy for that long: the message names the dead holder's host and
// pid. A file system that refuses locks altogether (ENOLCK, EOPNOTSUPP) gets a warning, and the
// command goes on without the lock.
#pragma once

#include <cstddef>
#include <string>

namespace coact::io {

// "<dir>/.<name>.lock" for output "<dir>/<name>".
std::string lock_path_of(const std::string& output);

class OutputLock {
 public:
  // Takes the lock of `output` at once or throws OutputBusyError "<output>: being written by
  // pid P on host H (<command>, started <time>)". `command` ("coact train") is recorded for
  // that message. IoError when the lock file cannot be created (e.g. a read-only folder).
  OutputLock(std::string output, const std::string& command);
  // Removes the lock file and releases the lock.
  ~OutputLock();
  OutputLock(OutputLock&& other) noexcept;
  OutputLock& operator=(OutputLock&&) = delete;
  OutputLock(const OutputLock&) = delete;
  OutputLock& operator=(const OutputLock&) = delete;

  const std::string& output() const { return output_; }
  const std::string& lock_path() const { return lock_path_; }
  // False when the file system refused locking and the command runs unlocked (warned).
  bool held() const { return fd_ >= 0; }

 private:
  std::string output_;
  std::string lock_path_;
  int fd_ = -1;
};

// Removes the temporaries "<dir>/.<name>.partial-*" (files, or folders that io::DirectoryOutput
// stages in) that interrupted runs of `output` left, reporting each with log::warn and its
// size. Call it only while holding the output's lock: a temporary of a live writer would
// otherwise be taken away. Returns how many were removed.
std::size_t remove_stale_partials(const std::string& output);

}  // namespace coact::io
