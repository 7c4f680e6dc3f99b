// Serial steps of a collective command, run on the root and made collective: the comparison,
// the report, loading and validating inputs before the other ranks read them.
#pragma once

#include <functional>
#include <string>

#include "coact/dist/comm.h"

namespace coact::dist {

// Runs `work` on rank 0 of `comm` only. If it throws, every rank raises the same error (same
// message and exit code), so a job ends with one message instead of an abort or a hang.
void run_on_root(Comm& comm, const std::function<void()>& work);

// Runs `work` on every rank of `comm`. If it throws on any rank, every rank raises the error of
// the lowest rank that failed (same message and exit code): reads each rank makes of its own
// share of a file end the job alike instead of leaving the others waiting.
void run_on_every_rank(Comm& comm, const std::function<void()>& work);

// The root's `text` on every rank of `comm`.
std::string broadcast_string(Comm& comm, std::string text);

}  // namespace coact::dist
