// The two blocked matchers over a CosineTiles (blocked_matching.h describes both). Collective:
// every rank runs the same control flow; the root solves. Internal to the compare module.
#pragma once

#include "blocked/cosine_tiles.h"
#include "coact/compare/blocked_matching.h"
#include "coact/dist/comm.h"

namespace coact::compare::blocked {

BlockedMatching exact_matching(CosineTiles& tiles, dist::Comm& comm, const BlockedMatchingOptions& options);
BlockedMatching greedy_matching(CosineTiles& tiles, dist::Comm& comm, const BlockedMatchingOptions& options);

// Sends the root's matching, matched costs, total cost and certificate to every rank.
void share_result(dist::Comm& comm, BlockedMatching& result, std::int64_t rows);

}  // namespace coact::compare::blocked
