// What `coact train` (and a study's train stage) will hold on its busiest rank and send per
// step, from the options, the store's shape and the job's layout, before any work.
#pragma once

#include <cstddef>
#include <cstdint>

#include "coact/core/resources.h"
#include "coact/sae/training.h"

namespace coact::sae {

struct StoreShape {
  std::int64_t rows = 0;
  std::int64_t d = 0;
  std::size_t element_bytes = 4;  // float32 4, float16 2
  bool memory_mapped = true;      // rows are read through memory maps (not the HDF5 fallback)
};

// `ranks` ranks train `groups` SAEs at once (one per group, ranks split evenly), as train_saes
// lays them out. Throws as train_saes would for options that do not fit the store.
StageResources training_resources(const TrainingOptions& o, const StoreShape& store, int ranks, int groups);

// The shape of an existing store (coact plan on a study whose data exist).
StoreShape store_shape(const io::ActivationStore& store);

}  // namespace coact::sae
