// The truth a synthetic store carries (/ground_truth, written by coact synth): the true feature
// directions and their planted groups, read in one place; and the one matcher of features to
// true features by cosine, which training (recovery, MMCS), the comparison (pairs that hit the
// same true feature) and the community scoring (planted groups) share.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace coact::data {

struct GroundTruth {
  std::string file;                  // where it was read (the store's first file)
  std::int64_t features = 0, d = 0;  // true features and their width
  std::vector<float> directions;     // [features, d], unit rows
  std::vector<std::int64_t> group;   // [features], -1: in no group
};

// The truth of a store spec (a file, a folder of shards, a glob: its first file holds it);
// nullopt when the store has none (recorded activations). InputError for a /ground_truth whose
// datasets are missing or contradict each other, naming the file and the dataset.
std::optional<GroundTruth> read_ground_truth(const std::string& store);

// For each row of `rows` (count × d), the row of `targets` (m × d) of largest cosine (the lower
// index on ties) and that cosine, in double precision; zero rows have cosine 0 to everything.
struct NearestRows {
  std::vector<std::int64_t> index;
  std::vector<double> cosine;
};
NearestRows nearest_rows(const std::vector<float>& rows, const std::vector<float>& targets, std::int64_t d);

}  // namespace coact::data
