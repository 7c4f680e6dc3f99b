#include "coact/core/signal_cleanup.h"

#include <climits>
#include <unistd.h>

#include <atomic>
#include <csignal>
#include <cstring>
#include <mutex>

namespace coact {
namespace {

// One registered file. `state` orders the hand-over between the registering thread and the
// handler: the path is written while the slot is Filling and read only when Armed.
enum SlotState : int { Free = 0, Filling = 1, Armed = 2 };
struct Slot {
  std::atomic<int> state{Free};
  char path[PATH_MAX];
};
static_assert(std::atomic<int>::is_always_lock_free, "the signal handler needs lock-free atomics");

// Outputs in flight at once: a command writes a handful (a store's shards are one per rank).
constexpr int kSlots = 64;
Slot g_slots[kSlots];

volatile std::sig_atomic_t g_file_size_exceeded = 0;

extern "C" void remove_and_reraise(int signal) {
  remove_registered_files();
  // SA_RESETHAND restored the default action and the signal is blocked while this handler
  // runs: raising it again ends the process by it as soon as the handler returns.
  std::raise(signal);
}

extern "C" void remove_on_file_size_limit(int) {
  g_file_size_exceeded = 1;
  remove_registered_files();
}

void install_if_default(int signal, void (*handler)(int), int flags) {
  struct sigaction current {};
  if (sigaction(signal, nullptr, &current) != 0) return;
  if ((current.sa_flags & SA_SIGINFO) != 0 || current.sa_handler != SIG_DFL) return;
  struct sigaction action {};
  action.sa_handler = handler;
  sigemptyset(&action.sa_mask);
  action.sa_flags = flags;
  sigaction(signal, &action, nullptr);
}

}  // namespace

int remove_on_signal(const std::string& path) noexcept {
  if (path.size() >= PATH_MAX) return -1;
  for (int i = 0; i < kSlots; ++i) {
    int expected = Free;
    if (!g_slots[i].state.compare_exchange_strong(expected, Filling)) continue;
    std::memcpy(g_slots[i].path, path.c_str(), path.size() + 1);
    g_slots[i].state.store(Armed);
    return i;
  }
  return -1;
}

void forget_on_signal(int ticket) noexcept {
  if (ticket >= 0 && ticket < kSlots) g_slots[ticket].state.store(Free);
}

void remove_registered_files() noexcept {
  for (auto& slot : g_slots)
    if (slot.state.load() == Armed) ::unlink(slot.path);
}

void install_signal_cleanup() {
  static std::once_flag once;
  std::call_once(once, [] {
    for (int signal : {SIGINT, SIGTERM, SIGHUP}) install_if_default(signal, remove_and_reraise, SA_RESETHAND);
    // SA_RESTART: other system calls in progress resume; the write that crossed the limit
    // fails with EFBIG either way.
    install_if_default(SIGXFSZ, remove_on_file_size_limit, SA_RESTART);
  });
}

bool file_size_limit_exceeded() noexcept { return g_file_size_exceeded != 0; }

}  // namespace coact
