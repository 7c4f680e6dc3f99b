// The flags of a command that reads a study file (coact run, coact plan): --config, --out,
// --device, --threads and every key as --section.key, and the study they describe.
#pragma once

#include "cli.h"
#include "coact/pipeline/study.h"

namespace coact::app {

// Adds --out, --device, --threads and --<section>.<key> for every study key.
void add_study_flags(CommandLine& cli);

// Loads --config with the command line's values winning; UsageError without --config.
pipeline::Study load_study_from(const CommandLine& cli, const Invocation& invocation);

}  // namespace coact::app
