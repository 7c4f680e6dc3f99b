// Moving a latent-sharded SAE between its shards and the one file that holds it whole
// (private to src/sae; training.cpp's checkpoints).
#pragma once

#include "coact/dist/mpi.h"
#include "coact/sae/sae.h"
#include "coact/sae/trainer.h"

namespace coact::sae::detail {

// This shard's latents of a whole trainer state (Adam moments, dead and resampling counters).
TrainerState state_features(const TrainerState& whole, const FeatureShard& shard);

// Collective over `shards` (the ranks holding the shards of one SAE, in shard order): the whole
// parameters and state on its rank 0, empty elsewhere.
SaeTensors gather_tensors(const dist::MpiComm& shards, const SaeTensors& mine);
TrainerState gather_state(const dist::MpiComm& shards, const TrainerState& mine);

}  // namespace coact::sae::detail
