// The checks of a study that need files or the job's layout, all before any work, so a bad
// study fails in seconds instead of after hours in the queue and the first stage.
#pragma once

#include "coact/pipeline/study.h"

namespace coact::dist {
class MpiRuntime;
}

namespace coact::pipeline {

// On every rank: the job's size and GPUs (one per rank). On the root: inputs exist, the
// store's width fits the SAE, the batch fits the store. Collective: every rank throws the same
// ConfigError naming the key. Adds the identity of external inputs (an existing store, the
// model and token files) to the fingerprint texts.
void check_study(Study& study, dist::MpiRuntime& mpi);

}  // namespace coact::pipeline
