// Files to remove when a signal ends the process: the temporary files of outputs still being
// written (io::AtomicOutput registers them). Without this, Ctrl-C, a batch system's SIGTERM or
// the file size limit (SIGXFSZ) would leave `.NAME.partial-*` files behind; the next run of the
// same output removes those too (io::OutputLock), but a writer that is told to stop should not
// leave them in the first place.
//
// The table is fixed-size and lock-free, so the signal handler only reads atomics and calls
// unlink(2), both async-signal-safe.
#pragma once

#include <string>

namespace coact {

// Registers `path` to be unlinked if a signal ends the process. Returns a ticket for
// forget_on_signal, or -1 when the table is full or the path longer than PATH_MAX (the file is
// then left for the next run's stale-partial sweep).
int remove_on_signal(const std::string& path) noexcept;
// Unregisters a ticket from remove_on_signal (-1 is ignored).
void forget_on_signal(int ticket) noexcept;

// Unlinks every registered file now. Async-signal-safe; called by the handlers below and by the
// second-Ctrl-C path of install_interrupt_handlers.
void remove_registered_files() noexcept;

// Installs (once; later calls do nothing) the handlers that use the table:
//  - SIGINT, SIGTERM, SIGHUP, when their disposition is still the default: remove the
//    registered files, then end the process by the same signal (the exit status is unchanged).
//    A handler the program installed itself (install_interrupt_handlers: stop at the next step
//    boundary) is kept.
//  - SIGXFSZ (a write crossed `ulimit -f`), when still the default: remove the registered files
//    and return, so the write fails with EFBIG and the command reports "File too large"
//    instead of being killed with the partial file left behind.
void install_signal_cleanup();

// Whether SIGXFSZ has arrived since install_signal_cleanup (the file size limit was exceeded).
bool file_size_limit_exceeded() noexcept;

}  // namespace coact
