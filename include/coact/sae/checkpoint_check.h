// What `coact describe` says about an SAE file (sae_<seed>.h5), what `describe --check`
// verifies, and the cheap consistency checks every reader of the file makes when it opens it.
//
// Three levels, from cheap to thorough:
//   - require_consistent_sae_attributes: root attributes only (read_checkpoint calls it): the
//     shape and recipe attributes agree with the stored configuration, `complete` is 0 or 1
//     and agrees with `step` / `total_steps`, the normalisation is a known one.
//   - describe_sae: those checks plus dataset shapes; no parameter is read.
//   - check_sae: everything: every parameter and optimiser moment read and finite, second
//     moments >= 0, dead-feature counters >= 0, every metrics column of one length and finite.
// Each failure is one InputError naming the file and the attribute or dataset.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace coact::io {
class File;
}

namespace coact::sae {

// The last row of the metrics table.
struct LoggedMetrics {
  std::int64_t step = 0;
  std::int64_t tokens = 0;
  double loss = 0, l0 = 0, fvu = 0, dead_fraction = 0;
};

struct SaeSummary {
  std::string path;
  std::int64_t d_in = 0;
  std::int64_t n_features = 0;
  std::string recipe;              // "nanda-1l" | "topk"
  std::int64_t seed = 0;
  std::int64_t step = 0;           // optimiser steps taken
  std::int64_t total_steps = 0;    // the run's target (0 for an imported SAE)
  bool complete = false;
  std::int64_t ranks = 1;
  bool has_optimizer_state = false;  // false: exported / imported, cannot be resumed
  std::string normalisation;       // the training stream's input normalisation
  std::string activations;         // the training store, as given to `coact train`
  double ground_truth_mmcs = -1;   // -1: unknown
  std::int64_t metric_rows = 0;
  std::optional<LoggedMetrics> last;  // the last logged row, when the table has one
};

// What check_sae scanned.
struct SaeCheckReport {
  std::int64_t parameters = 0;   // values of W_enc, b_enc, W_dec, b_dec
  std::int64_t optimizer_values = 0;
  std::int64_t metric_rows = 0;
};

// Root-attribute consistency of an open sae file (see above); InputError "<file>:/: attribute
// '<name>' ...". The coact_kind is checked by the caller.
void require_consistent_sae_attributes(const io::File& file);

// The summary of `path` (kind "sae"), after the cheap checks and the datasets' shapes.
SaeSummary describe_sae(const std::string& path);

// The full scan (see above); InputError naming the first bad object.
SaeCheckReport check_sae(const std::string& path);

}  // namespace coact::sae
