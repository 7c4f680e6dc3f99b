// `coact plan`: what each stage of a study will need per rank on a job of P ranks, before
// submitting it: memory by purpose and place, and communication per step.
#pragma once

#include <vector>

#include "coact/core/resources.h"
#include "coact/pipeline/study.h"

namespace coact::pipeline {

// The seed groups the train stage forms on `ranks` ranks: train.parallel-seeds, else one per
// seed up to one per rank.
int train_groups(const Study& study, int ranks);

// The stages the study runs that coact can estimate, in pipeline order. Reads the shape of an
// existing store (data.source = store, or a store the study recorded before); throws
// ConfigError naming the key when the shape cannot be known yet or the layout does not fit.
std::vector<StageResources> plan_resources(const Study& study, int ranks);

}  // namespace coact::pipeline
