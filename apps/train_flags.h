// What `coact train` and the [train] section of a `coact run` study share: the training flags
// read into sae::TrainingOptions, with the same checks. The flags have the same names in both;
// `prefix` is "" for coact train (errors name "--steps") and "train." for a study (errors name
// "train.steps").
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "cli.h"
#include "coact/sae/training.h"

namespace coact::app {

// "52,55" -> {52, 55}: non-negative integers, no repeats. Throws UsageError naming `name`.
std::vector<std::uint64_t> parse_seed_list(const std::string& text, const std::string& name);

// Reads recipe, size, steps/tokens, batching, data order, normalisation, checkpoint and log
// intervals and every hyper-parameter given (absent ones keep the recipe's defaults) into `o`.
// Leaves seeds, paths, device, resume/force and provenance to the caller. Throws UsageError.
void read_training_flags(const po::variables_map& values, const std::string& prefix, sae::TrainingOptions& o);

}  // namespace coact::app
