// `coact train`: SAEs for one or more seeds, data-parallel over MPI ranks.
//
// With P ranks and S seeds, min(S, P) rank groups (MPI_Comm_split) train seeds at once; a
// group with several seeds trains them one after another. Inside a group every rank draws its
// slice of each global batch from the shuffled stream (a pure function of (data seed, step)),
// computes its share of the gradients, the shares are summed (NCCL on GPUs, MPI on CPU), and
// every rank takes the same step — so the result equals one process on the same batches.
// The group root writes sae_<seed>.h5 checkpoints atomically every N steps, at the end, and
// when a signal (Slurm preemption) arrives; --resume continues bit-identically.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "coact/backend/backend.h"
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
  std::vector<std::uint64_t> seeds;
  SaeConfig config;                 // recipe and hyper-parameters; d_in, n_features, seed are set per run
  double lr_override = -1;          // > 0: this learning rate; else the recipe's default for n
  std::int64_t d_in = 0;            // 0: take the store's d; otherwise it must match
  std::int64_t n_features = 0;      // dictionary size; 0: expansion × d
  std::int64_t expansion = 0;
  std::int64_t steps = 0;           // optimiser steps of the global batch
  std::int64_t batch_rows = 4096;   // global batch
  std::int64_t buffer_rows = 0;     // shuffle buffer (0: 384 batches, at most the store)
  std::int64_t chunk_rows = 4096;
  std::int64_t data_seed = -1;      // -1: each SAE's own seed
  io::Normalisation normalisation = io::Normalisation::None;
  std::int64_t checkpoint_every = 1000;
  std::int64_t log_every = 50;
  bool resume = false;
  bool force = false;
  backend::DeviceRequest device = backend::DeviceRequest::Auto;
  std::string command_line;
  std::string config_text;
};

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

// "sae_<seed>.h5" in `dir`.
std::string sae_path(const std::string& dir, std::uint64_t seed);

}  // namespace coact::sae
