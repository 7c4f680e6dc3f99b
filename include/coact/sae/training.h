// `coact train`: SAEs for one or more seeds, data-parallel over MPI ranks.
//
// With P ranks and S seeds, min(S, P) rank groups (MPI_Comm_split) train seeds at once; a
// group with several seeds trains them one after another. Inside a group every rank draws its
// slice of each global batch from the shuffled stream (a pure function of (data seed, step)),
// computes its share of the gradients, the shares are summed (NCCL on GPUs, MPI on CPU), and
// every rank takes the same step — so the result equals one process on the same batches.
// With --latent-shards T a group of g ranks is g/T data ranks × T shards: each rank holds n/T
// latents (W_enc columns, b_enc, W_dec rows and their Adam moments; trainer.h says how a step
// is split), so an SAE too wide for one device trains over several. A checkpoint is one file
// of the whole SAE, which the shards write and read in slices, and resumes under any T.
// The group root writes sae_<seed>.h5 checkpoints atomically every N steps, at the end, and
// when a signal (Slurm preemption) arrives; --resume continues bit-identically.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "coact/backend/backend.h"
#include "coact/core/options.h"
#include "coact/io/activation_store.h"
#include "coact/sae/checkpoint.h"
#include "coact/sae/config.h"

namespace coact::dist {
class MpiRuntime;
}

namespace coact::sae {

struct TrainingOptions {
  std::string activations;          // store spec
  std::string out_dir;              // sae_<seed>.h5 go here
  std::vector<std::uint64_t> seeds{52};
  SaeConfig config;                 // recipe and hyper-parameters; d_in, n_features, seed, lr are set per run
  std::optional<double> lr;         // absent: the recipe's default for n
  std::optional<std::int64_t> d_in;        // absent: the store's d; otherwise it must match
  std::optional<std::int64_t> n_features;  // dictionary size; absent: expansion × d
  std::optional<std::int64_t> expansion;   // absent (and no n_features): 8
  std::optional<std::int64_t> steps;       // optimiser steps of the global batch
  std::optional<std::int64_t> tokens;      // training tokens (steps = tokens / batch); neither: one pass
  std::int64_t batch_rows = 4096;   // global batch
  std::int64_t latent_shards = 1;   // ranks each SAE's latents are split over (a divisor of the group's ranks)
  std::int64_t buffer_rows = 0;     // shuffle buffer (0: 384 batches, at most the store)
  std::int64_t chunk_rows = 4096;
  std::int64_t data_seed = -1;      // -1: each SAE's own seed
  io::Normalisation normalisation = io::Normalisation::None;
  std::int64_t checkpoint_every = 1000;
  std::int64_t log_every = 50;
  bool resume = false;
  bool resume_anyway = false;       // resume although the configuration differs (recorded)
  bool force = false;
  backend::DeviceRequest device = backend::DeviceRequest::Auto;
  std::string command_line;
  std::string config_text;
};

// Every option of a training run a user sets (flags of coact train, keys of a study's [train]
// section): seeds, size, steps or tokens, batching, data order, normalisation, intervals, the
// learning rate and every SaeConfig hyper-parameter. Paths, resume/force, device and
// provenance belong to the caller.
const options::Table<TrainingOptions>& training_table();

// Applies given values to `o`: a given `recipe` first (its defaults replace every
// hyper-parameter), then every other field, each checked and named by `label`.
void apply_training_values(const std::map<std::string, options::Value>& given, TrainingOptions& o,
                           const options::Labeler& label);

// "52,55" -> {52, 55}: non-negative integers, no repeats. Throws UsageError.
std::vector<std::uint64_t> parse_seed_list(const std::string& text);
std::string seed_list_text(const std::vector<std::uint64_t>& seeds);  // "52,55"

// The steps a run takes: `steps`, or tokens / batch, or one pass over `store_rows`.
std::int64_t resolved_steps(const TrainingOptions& o, std::int64_t store_rows);

// The dictionary size for activations of width d: --n, else --expansion × d (8 × d when neither);
// throws when --d-in, --n and --expansion disagree with d or n is not a multiple of d.
std::int64_t resolved_width(const TrainingOptions& o, std::int64_t d);

// --latent-shards against the SAE's n latents (0: not known yet), the job's layout (`ranks` in
// `groups` seed groups, split as train_saes splits them) and the recipe: UsageError naming the
// flag unless it divides every group's ranks.
void check_latent_shards(const TrainingOptions& options, std::int64_t n, int ranks, int groups);

struct TrainedSae {
  std::uint64_t seed = 0;
  std::string path;
  std::int64_t steps = 0;
  bool already_complete = false;  // found complete with --resume: nothing to do
  StepMetrics last;
  double ground_truth_mmcs = -1;
  double seconds = 0;
};

// Collective over the world communicator. Bad options and existing outputs are reported
// before any training starts. Returns, on the world root, one entry per seed.
std::vector<TrainedSae> train_saes(dist::MpiRuntime& mpi, const TrainingOptions& options);

// Mean over the rows of `truth` (m × d) of the largest cosine with any row of `dictionary`
// (n × d), and how many truth rows have one above `threshold`.
struct Recovery {
  double mmcs = 0;
  std::int64_t recovered = 0;
  std::int64_t total = 0;
};
Recovery ground_truth_recovery(const std::vector<float>& truth, const std::vector<float>& dictionary, std::int64_t d,
                               double threshold = 0.9);
// The same from each truth row's largest cosine.
Recovery recovery_of(const std::vector<double>& best_cosines, double threshold = 0.9);

// "sae_<seed>.h5" in `dir`.
std::string sae_path(const std::string& dir, std::uint64_t seed);

}  // namespace coact::sae
