#include "coact/io/output_lock.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include "coact/core/errors.h"
#include "coact/core/log.h"
#include "coact/io/provenance.h"

namespace coact::io {
namespace {

namespace fs = std::filesystem;

std::string host_name() {
  char name[256] = {};
  if (::gethostname(name, sizeof name - 1) != 0) return "unknown host";
  return name;
}

// Locks the whole file for writing without waiting. Open-file-description locks conflict even
// between two descriptors of one process and survive the closing of other descriptors of the
// file; kernels without them get a classic POSIX record lock.
int try_lock(int fd) {
  struct flock lock {};
  lock.l_type = F_WRLCK;
  lock.l_whence = SEEK_SET;
#ifdef F_OFD_SETLK
  if (::fcntl(fd, F_OFD_SETLK, &lock) == 0) return 0;
  if (errno != EINVAL) return -1;
#endif
  return ::fcntl(fd, F_SETLK, &lock);
}

// The holder's line from the lock file (written right after it took the lock).
std::string holder_of(int fd) {
  char text[1024] = {};
  const ssize_t got = ::pread(fd, text, sizeof text - 1, 0);
  std::string line = got > 0 ? std::string(text, static_cast<std::size_t>(got)) : std::string();
  while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) line.pop_back();
  return line.empty() ? std::string("another process (it has not recorded itself yet)") : line;
}

bool same_inode(int fd, const std::string& path) {
  struct stat held {}, named {};
  return ::fstat(fd, &held) == 0 && ::stat(path.c_str(), &named) == 0 && held.st_dev == named.st_dev &&
         held.st_ino == named.st_ino;
}

}  // namespace

std::string lock_path_of(const std::string& output) {
  const fs::path path(output);
  return (path.parent_path() / ("." + path.filename().string() + ".lock")).string();
}

OutputLock::OutputLock(std::string output, const std::string& command)
    : output_(std::move(output)), lock_path_(lock_path_of(output_)) {
  // The holder removes the lock file when it is done, so the file we lock may be unlinked
  // between our open() and our lock: then lock the file now at the path instead.
  for (int attempt = 0; attempt < 16; ++attempt) {
    const int fd = ::open(lock_path_.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0)
      throw IoError(str(output_, ": cannot create its lock file ", lock_path_, ": ", std::strerror(errno)));
    if (try_lock(fd) != 0) {
      const int error = errno;
      if (error == EACCES || error == EAGAIN) {
        const std::string holder = holder_of(fd);
        ::close(fd);
        throw OutputBusyError(str(output_, ": another coact process is writing it: ", holder));
      }
      ::close(fd);
      if (error == ENOLCK || error == EOPNOTSUPP || error == ENOSYS) {
        log::warn(output_, ": the file system does not support locks (", std::strerror(error),
                  "): going on without making sure no other process writes it");
        return;
      }
      throw IoError(str(output_, ": cannot lock ", lock_path_, ": ", std::strerror(error)));
    }
    if (!same_inode(fd, lock_path_)) {
      ::close(fd);
      continue;
    }
    fd_ = fd;
    const std::string line =
        str("pid ", ::getpid(), " on host ", host_name(), " (", command, ", started ", utc_now(), ")\n");
    // The record is for other writers' messages only: a failure to write it changes nothing.
    const bool recorded = ::ftruncate(fd_, 0) == 0 && ::pwrite(fd_, line.data(), line.size(), 0) >= 0;
    (void)recorded;
    return;
  }
  throw IoError(str(output_, ": cannot take its lock ", lock_path_, ": it keeps being replaced"));
}

OutputLock::OutputLock(OutputLock&& other) noexcept
    : output_(std::move(other.output_)), lock_path_(std::move(other.lock_path_)), fd_(other.fd_) {
  other.fd_ = -1;
}

OutputLock::~OutputLock() {
  if (fd_ < 0) return;
  // Unlink while still holding the lock: a process that opened this file meanwhile finds, once
  // it gets the lock, that the path no longer names it, and starts again.
  ::unlink(lock_path_.c_str());
  ::close(fd_);
}

std::size_t remove_stale_partials(const std::string& output) {
  const fs::path path(output);
  const fs::path folder = path.parent_path().empty() ? fs::path(".") : path.parent_path();
  const std::string prefix = "." + path.filename().string() + ".partial-";
  std::size_t removed = 0;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(folder, ec)) {
    const std::string name = entry.path().filename().string();
    if (name.rfind(prefix, 0) != 0) continue;
    std::uintmax_t bytes = 0;
    std::error_code size_ec;
    if (entry.is_directory(size_ec)) {
      for (const auto& inner : fs::recursive_directory_iterator(entry.path(), size_ec))
        if (inner.is_regular_file(size_ec)) bytes += inner.file_size(size_ec);
    } else {
      bytes = entry.file_size(size_ec);
    }
    std::error_code remove_ec;
    fs::remove_all(entry.path(), remove_ec);
    if (remove_ec) {
      log::warn(output, ": cannot remove ", entry.path().string(), ", a temporary an interrupted run left: ",
                remove_ec.message());
      continue;
    }
    log::warn(output, ": removed ", entry.path().string(), " (", human_bytes(static_cast<double>(bytes)),
              "), the temporary file of an interrupted earlier run");
    ++removed;
  }
  return removed;
}

}  // namespace coact::io
