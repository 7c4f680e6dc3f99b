// Graceful interruption: SIGTERM (Slurm preemption and time limits send it), SIGUSR1 (sbatch
// --signal) and SIGINT set a flag that long loops poll at step boundaries, so a job can write a
// checkpoint and exit, and a requeued job resumes from it.
#pragma once

namespace coact {

// Installs the handlers (idempotent). A second SIGINT removes the temporary files of outputs
// in flight (coact/core/signal_cleanup.h), restores the default and ends the process at once,
// for a user who really means Ctrl-C.
void install_interrupt_handlers();
// Whether a signal has arrived since installation (or the last clear).
bool interrupt_requested();
// The signal number that arrived first (0 if none).
int interrupt_signal();
void clear_interrupt();

}  // namespace coact
