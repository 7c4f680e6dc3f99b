// What a `coact run` does for each output, decided on the root before any work:
//
//   an output whose provenance `config` equals its stage's fingerprint text is complete: skip it
//   (report.md, which has no attributes, is checked against manifest.json instead);
//   an SAE with the same fingerprint that is not complete (a signal stopped it): resume it;
//   a missing output: make it;
//   an output made with another configuration: refuse, naming the first key that differs, unless
//   --force (then replace it);
//   an output whose inputs are being made again: make it again (it is this study's own output).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "coact/core/json_value.h"
#include "coact/pipeline/study.h"

namespace coact::pipeline {

enum class Action : std::uint8_t {
  Skip = 0,      // complete and matching
  Run = 1,       // missing: make it
  Resume = 2,    // an interrupted SAE: continue it
  Replace = 3,   // exists but stale (--force, or its inputs are made again): make it again
  External = 4,  // the data stage with data.source = store: nothing to make
  Later = 5,     // after run.stop-after: not requested
};
// "skipped", "ran", "resumed", "replaced", "external", "not requested" (as the manifest says
// what happened); `planned` gives the future tense for the log ("skip", "run", ...).
const char* to_string(Action action, bool planned = false);
inline bool does_work(Action a) { return a == Action::Run || a == Action::Resume || a == Action::Replace; }

struct StagePlan {
  Action data = Action::Skip;
  std::vector<Action> train, graph;  // per seed, in study order
  Action compare = Action::Skip, report = Action::Skip;

  std::string to_bytes() const;
  static StagePlan from_bytes(const std::string& bytes, std::size_t seeds);
};

// Root only. `previous` is the last manifest.json (null when there is none or it is unreadable).
// Throws OutputExistsError naming the output and the first differing key when an output was
// made with another configuration and --force was not given.
StagePlan make_plan(const Study& study, const JsonValue* previous);

// The first difference between two fingerprint texts, as "train.steps is 2000 here, 1500 in the
// file" (empty when equal).
std::string first_difference(const std::string& stored, const std::string& wanted);

}  // namespace coact::pipeline
