// Ground-truth synthetic activations: a superposition of known sparse features, so SAE
// recovery and graph structure can be scored against the truth (the embedded default data set:
// nothing needs downloading).
//
//   x = Σ_i a_i f_i + offset + noise,   a_i >= 0
//
// f_i: n_true unit directions in R^d. Feature i fires independently with probability p_i, which
// follows a Zipf law over a random ranking (p = max_probability / rank^zipf_exponent, at least
// min_probability): many rare features, few common ones, like real SAE latents. Correlated
// groups: a share of the features is split into groups; per token each group "event" happens
// with group_probability, and then each member also fires with within_group_probability, so
// members co-activate and the co-activation graph has planted structure. Magnitudes are
// uniform in [magnitude_min, magnitude_max]; noise is Gaussian per dimension.
//
// Every value is addressed by a counter-based RNG keyed on (seed, row), so any rank can make
// any row and the data set is identical whatever the number of ranks.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "coact/core/options.h"
#include "coact/io/h5.h"

namespace coact::dist {
class MpiComm;
}

namespace coact::data {

struct SynthConfig {
  std::int64_t rows = 409600;  // tokens (25 batches of 16,384)
  std::int64_t d = 64;
  std::int64_t features = 256;  // n_true
  double zipf_exponent = 0.7;
  double max_probability = 0.25;
  double min_probability = 1e-4;
  double grouped_fraction = 0.5;  // share of features that belong to a group
  std::int64_t group_size = 4;
  double group_probability = 0.05;
  double within_group_probability = 0.8;
  double magnitude_min = 0.5;
  double magnitude_max = 1.5;
  double noise = 0.02;        // per-dimension standard deviation
  double offset_norm = 0.0;   // norm of a constant offset vector (0: none)
  io::ElementType dtype = io::ElementType::F32;
  std::int64_t truth_rows = 4096;  // rows whose true codes are stored in /ground_truth/codes
  std::uint64_t seed = 0;

  // Throws UsageError naming the field (as its flag, "--rows") when a value is out of range
  // or two values contradict each other.
  void validate() const;
};

// SynthConfig's fields (coact synth's flags, a study's [synth] keys) with their ranges. The
// upper bounds keep every value representable in the stored dtype (float16 holds |x| <= 65504).
const options::Table<SynthConfig>& synth_table();
// The store's size on disk (activations; the ground truth is small), and how it comes about
// ("--rows 409,600 × d 64 × 4 bytes"), for the free-space check before any work.
double synth_store_bytes(const SynthConfig& config);
std::string synth_store_size_text(const SynthConfig& config);

// Cross-field checks (min-probability <= max-probability, magnitude-min <= magnitude-max),
// named by `label`.
void check_synth_combination(const SynthConfig& config, const options::Labeler& label);

class SyntheticGenerator {
 public:
  explicit SyntheticGenerator(const SynthConfig& config);

  const SynthConfig& config() const { return config_; }
  const std::vector<float>& directions() const { return directions_; }          // [features, d]
  const std::vector<double>& probabilities() const { return probabilities_; }   // [features]
  const std::vector<std::int64_t>& groups() const { return groups_; }           // [features], -1: none
  const std::vector<float>& offset() const { return offset_; }                  // [d]
  // Expected active features per row (analytic).
  double expected_l0() const;

  // Rows [first, first + count): activations into out[count × d]; the true codes into
  // codes[count × features] when not null. Parallel over rows (OpenMP).
  void generate(std::int64_t first, std::int64_t count, float* out, float* codes = nullptr) const;

 private:
  SynthConfig config_;
  std::vector<float> directions_;
  std::vector<double> probabilities_;
  std::vector<std::int64_t> groups_;
  std::vector<std::int64_t> group_members_begin_;  // CSR over groups: members of group g
  std::vector<std::int64_t> group_members_;
  std::vector<float> offset_;
};

// Writes a synthetic activation store at `path` with every rank of `comm` generating and
// writing its share of fixed global blocks (one collective file), or, with `shards`, one shard
// file per rank in the directory `path`. Includes /ground_truth. Collective.
void write_synthetic_store(const std::string& path, bool force, bool shards, dist::MpiComm& comm,
                           const SynthConfig& config, const std::string& command_line, const std::string& config_text);

}  // namespace coact::data
