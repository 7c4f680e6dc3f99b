// What a latent-sharded training run combines over its shards besides the step's sums
// (private to src/sae).
#pragma once

#include <vector>

#include "coact/dist/mpi.h"

namespace coact::sae::detail {

// Element-wise maximum of every rank's vector (the same length on each), on every rank.
std::vector<double> max_over_ranks(dist::MpiComm& comm, const std::vector<double>& mine);

}  // namespace coact::sae::detail
