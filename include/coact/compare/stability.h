// How stable each feature is across N seeds (compare.h5 "/stability", docs/formats.md), from
// the pairwise matchings the comparison made and the SAEs' decoder rows:
//   - per feature: in how many other seeds its matched decoder cosine reaches each threshold,
//     and its mean matched cosine over the other seeds;
//   - per pair: the shared fraction at several thresholds (matched cosine), the best cosine of
//     every feature in the other SAE, and PW-MCC, the pairwise mean max cosine (the mean of
//     the two directions' means of the best cosines);
//   - a null model beside each measure: the same pair with the second SAE's decoder turned by
//     a random rotation (Haar, seeded), which keeps each dictionary's own geometry and removes
//     any alignment between the two. The null's per-feature counts and fractions use the best
//     cosine, not a matching, so they are an upper bound of what a matching could reach by
//     chance;
//   - stable (matched at the threshold in every other seed) against unstable (in none)
//     features, compared on frequency, degree, clustering and community size.
// Never forms an n × n matrix: the best cosines are read from the matching's first pass of cost
// tiles, and the null's from one more pass of the same tiles (blocked_matching.h), over every rank.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "coact/backend/backend.h"
#include "coact/compare/blocked_matching.h"
#include "coact/compare/pair_comparison.h"

namespace coact::io {
class File;
}

namespace coact::compare {

struct StabilityOptions {
  std::vector<double> thresholds{0.5, 0.6, 0.7, 0.8, 0.9};  // the study's threshold is added
  double threshold = 0.7;            // the threshold of "stable" (the comparison's)
  std::uint64_t null_seed = 0;       // seed of the random rotation
};

struct PairStability {
  std::size_t first = 0, second = 0;
  std::vector<float> max_cosine_first, max_cosine_second;            // best cosine of each feature in the other SAE
  std::vector<float> null_max_cosine_first, null_max_cosine_second;  // the same against the rotated other SAE
  double pw_mcc = 0, null_pw_mcc = 0;
  std::vector<double> shared_fraction_at;    // [T] first's features whose matched cosine >= t
  std::vector<double> max_fraction_at;       // [T] features (both SAEs) whose best cosine >= t
  std::vector<double> null_max_fraction_at;  // [T] the same in the null
};

// Features of one SAE grouped by how many other seeds they are matched in (at `threshold`).
struct StabilityGroup {
  std::string name;                 // "stable", "partial", "unstable"
  std::int64_t features = 0;
  double median_frequency = 0, median_degree = 0, mean_clustering = 0;
  double isolated_fraction = 0;     // degree 0
  double median_community_size = 0; // size of the feature's community (see community_source)
  std::int64_t communities = 0;     // distinct communities the group's features fall in
};

struct SaeStability {
  std::vector<std::int32_t> stable_count;       // [T × n] other seeds with matched cosine >= t
  std::vector<std::int32_t> null_stable_count;  // [T × n] other seeds whose rotated decoder has a cosine >= t
  std::vector<float> mean_matched_cosine;       // [n] over the other seeds (NaN when matched in none)
  std::vector<std::int64_t> count_histogram;      // [T × S] features matched in c = 0..S−1 other seeds
  std::vector<std::int64_t> null_count_histogram; // [T × S]
  std::vector<std::int64_t> best_count_histogram; // [T × S] the same by best cosine (the null's measure) instead of the match
  std::string community_source;                 // "louvain", "label_propagation" or "component"
  std::vector<StabilityGroup> groups;           // stable, partial (S > 2), unstable
};

struct Stability {
  std::vector<double> thresholds;  // sorted, the study's threshold among them
  std::size_t threshold_index = 0; // index of `threshold` in `thresholds`
  double threshold = 0;
  std::uint64_t null_seed = 0;
  std::size_t saes = 0;
  std::vector<PairStability> pairs;  // same order as the comparison's pairs
  std::vector<SaeStability> per_sae;
  std::vector<double> pw_mcc, null_pw_mcc;  // [S × S], NaN on the diagonal
};

// A d × d rotation drawn from the Haar measure (Gaussian matrix, Gram–Schmidt, row-major),
// reproducible from the seed.
std::vector<float> random_rotation(std::int64_t d, std::uint64_t seed);

// One pair's best cosines both ways, from its matching (BlockedMatchingOptions): the decoders'
// (nearest, the first pass) and the null model's, against the second decoder turned by the
// random rotation (null_rotation, one more pass).
struct PairNearest {
  NearestCosines decoder, null;
};

// Stability of the SAEs from the comparison's pairs and each pair's best cosines (`nearest`,
// in the order of `pairs`). nullopt when the decoders cannot be compared (SAEs of different
// activation widths).
std::optional<Stability> feature_stability(const std::vector<SaeSide>& saes, const std::vector<GraphSide>& graphs,
                                           const std::vector<PairResult>& pairs, const std::vector<PairNearest>& nearest,
                                           const StabilityOptions& options);

// Writes /stability into an open compare.h5 (docs/formats.md).
void write_stability(io::File& file, const Stability& stability);

// Reads /stability back; nullopt when the file has none.
std::optional<Stability> read_stability(const std::string& path);

// The report's "Stability across seeds" section; `seeds` names the SAEs in order.
std::string stability_markdown(const Stability& stability, const std::vector<std::int64_t>& seeds);

}  // namespace coact::compare
