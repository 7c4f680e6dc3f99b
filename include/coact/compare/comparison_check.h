// What `coact describe` says about a comparison file (compare.h5), what `describe --check`
// verifies, and the cheap consistency checks every reader of the file makes when it opens it.
//
//   - require_consistent_comparison_attributes (read_comparison calls it): n_saes >= 2, a
//     threshold in [−1, 1], a known match and method, ground_truth 0 or 1, every SAE group
//     with positive d_in and n_features and a graph of n_features nodes, every pair group
//     naming its own SAEs (first, second) with a shared fraction in [0, 1], and every pair
//     dataset of length n_features of the pair's first SAE (shapes only).
//   - describe_comparison: those checks and the file's contents (read_comparison).
//   - check_comparison: the data too: matchings within [0, n_second) and one-to-one, cosines
//     in [−1, 1] (NaN only where the widths differ), `shared` 0/1 and equal to "similarity >=
//     threshold", shared_fraction and shared_features equal to what `shared` gives, and the
//     /summary matrices [n_saes, n_saes] equal to the pair values (NaN on the diagonal).
// Each failure is one InputError naming the file and the attribute or dataset.
#pragma once

#include <cstdint>
#include <string>

#include "coact/compare/comparison.h"

namespace coact::io {
class File;
}

namespace coact::compare {

struct ComparisonSummary {
  ComparisonFile file;  // SAEs, their graphs and every pair's values, as read_comparison gives
  std::string method;   // "exact" or "greedy" assignment
};

struct ComparisonCheckReport {
  std::int64_t pairs = 0;
  std::int64_t matched_features = 0;  // entries of the matchings checked
  std::int64_t summary_values = 0;    // entries of the /summary matrices checked
};

// Root, SAE-group and pair-group consistency of an open compare file (see above). The
// coact_kind is checked by the caller.
void require_consistent_comparison_attributes(const io::File& file);

ComparisonSummary describe_comparison(const std::string& path);

ComparisonCheckReport check_comparison(const std::string& path);

}  // namespace coact::compare
