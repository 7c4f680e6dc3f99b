#include "coact/core/interrupt.h"

#include <csignal>
#include <initializer_list>

#include "coact/core/signal_cleanup.h"

namespace coact {
namespace {

// Written by the signal handler: only lock-free atomic types are safe there.
volatile std::sig_atomic_t g_signal = 0;
volatile std::sig_atomic_t g_interrupts = 0;

extern "C" void on_signal(int signal) {
  if (g_signal == 0) g_signal = signal;
  if (signal == SIGINT) g_interrupts = g_interrupts + 1;
  if (signal == SIGINT && g_interrupts >= 2) {
    remove_registered_files();  // outputs being written go with the process
    std::signal(SIGINT, SIG_DFL);
    std::raise(SIGINT);
  }
}

}  // namespace

void install_interrupt_handlers() {
  struct sigaction action {};
  action.sa_handler = on_signal;
  sigemptyset(&action.sa_mask);
  action.sa_flags = SA_RESTART;  // reads and writes in progress complete
  for (int signal : {SIGTERM, SIGUSR1, SIGINT}) sigaction(signal, &action, nullptr);
}

bool interrupt_requested() { return g_signal != 0; }
int interrupt_signal() { return g_signal; }
void clear_interrupt() {
  g_signal = 0;
  g_interrupts = 0;
}

}  // namespace coact
