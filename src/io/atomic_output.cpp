#include "coact/io/atomic_output.h"

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <mutex>
#include <set>

#include "coact/core/errors.h"
#include "coact/core/signal_cleanup.h"
#include "coact/dist/mpi.h"

namespace coact::io {
namespace {

namespace fs = std::filesystem;

// Temporaries still pending, for remove_pending_outputs() on the abort path.
std::mutex g_pending_mutex;
std::set<std::string>& pending() {
  static std::set<std::string> paths;
  return paths;
}

std::uint64_t unique_token() {
  const auto now = static_cast<std::uint64_t>(std::chrono::steady_clock::now().time_since_epoch().count());
  return (static_cast<std::uint64_t>(::getpid()) << 32) ^ now;
}

}  // namespace

void require_writable_output(const std::string& path, bool force) {
  std::error_code ec;
  if (fs::exists(path, ec) && !force)
    throw OutputExistsError(str(path, ": output exists; pass --force to overwrite it"));
  if (fs::is_directory(path, ec)) throw OutputExistsError(str(path, ": is a directory, expected a file name"));
}

AtomicOutput::AtomicOutput(std::string final_path, bool force, dist::MpiComm* comm)
    : final_path_(std::move(final_path)), comm_(comm) {
  // Root decides (one file-system view) and shares the verdict, so all ranks agree.
  std::uint8_t verdict = 0;  // 0 ok, 1 exists, 2 is a directory, 3 cannot create parent
  std::uint64_t token = unique_token();
  const bool root = comm_ == nullptr || comm_->is_root();
  std::string parent_error;
  if (root) {
    std::error_code ec;
    if (fs::is_directory(final_path_, ec))
      verdict = 2;
    else if (fs::exists(final_path_, ec) && !force)
      verdict = 1;
    else {
      const fs::path parent = fs::path(final_path_).parent_path();
      if (!parent.empty() && !fs::exists(parent, ec)) {
        fs::create_directories(parent, ec);
        if (ec) {
          verdict = 3;
          parent_error = ec.message();
        }
      }
    }
  }
  if (comm_ && comm_->size() > 1) {
    verdict = comm_->broadcast_value(verdict, 0);
    token = comm_->broadcast_value(token, 0);
  }
  if (verdict == 1) throw OutputExistsError(str(final_path_, ": output exists; pass --force to overwrite it"));
  if (verdict == 2) throw OutputExistsError(str(final_path_, ": is a directory, expected a file name"));
  if (verdict == 3)
    throw IoError(str(final_path_, ": cannot create its directory", parent_error.empty() ? "" : ": " + parent_error));

  const fs::path path(final_path_);
  char suffix[32];
  std::snprintf(suffix, sizeof suffix, "%016llx", static_cast<unsigned long long>(token));
  temporary_path_ = (path.parent_path() / ("." + path.filename().string() + ".partial-" + suffix)).string();
  if (root) {
    std::lock_guard<std::mutex> lock(g_pending_mutex);
    pending().insert(temporary_path_);
    // A signal that ends the process (Ctrl-C, SIGTERM, SIGXFSZ) takes the temporary with it.
    install_signal_cleanup();
    signal_ticket_ = remove_on_signal(temporary_path_);
  }
}

AtomicOutput::~AtomicOutput() {
  if (committed_) return;
  if (comm_ == nullptr || comm_->is_root()) {
    std::remove(temporary_path_.c_str());
    forget_on_signal(signal_ticket_);
    std::lock_guard<std::mutex> lock(g_pending_mutex);
    pending().erase(temporary_path_);
  }
}

void AtomicOutput::commit() {
  if (committed_) return;
  dist::MpiComm* c = comm_;
  if (c && c->size() > 1) c->barrier();  // every rank has closed its part of the file
  std::uint8_t ok = 1;
  std::string reason;
  if (comm_ == nullptr || comm_->is_root()) {
    if (std::rename(temporary_path_.c_str(), final_path_.c_str()) != 0) {
      ok = 0;
      reason = std::strerror(errno);
      // The SIGXFSZ handler removed the temporary: say why, not just "no such file".
      if (file_size_limit_exceeded()) reason = "the file size limit (ulimit -f) was exceeded while writing it";
    }
    std::lock_guard<std::mutex> lock(g_pending_mutex);
    if (ok) {
      pending().erase(temporary_path_);
      forget_on_signal(signal_ticket_);
      signal_ticket_ = -1;
    }
  }
  if (c && c->size() > 1) ok = c->broadcast_value(ok, 0);
  if (!ok) throw IoError(str(final_path_, ": cannot move the finished output into place", reason.empty() ? "" : ": " + reason));
  committed_ = true;
}

void remove_pending_outputs() noexcept {
  std::lock_guard<std::mutex> lock(g_pending_mutex);
  for (const auto& path : pending()) std::remove(path.c_str());
  pending().clear();
}

}  // namespace coact::io
