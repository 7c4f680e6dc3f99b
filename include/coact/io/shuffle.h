// The shuffled training stream. Its global batches are a pure function of (seed, step), so
// they are the same for any number of ranks, and a resumed run re-creates them from the step.
//
// The schedule follows the seed recipe's buffer (Nanda's 1L-Sparse-Autoencoder): a buffer of S
// rows (384 batches by default) is filled from the store, shuffled, and served from its start
// in batches of B; when half of it has been served (floor(S / 2B) batches) the served half is
// refilled with the next S/2 rows and the whole buffer is shuffled again. Fresh rows come in
// stored order in the first epoch and in a seeded permutation of chunks in later epochs. The
// buffer holds row indices, not rows: rows are gathered from the memory-mapped store, and
// rank r of P reads only its slice [B·r/P, B·(r+1)/P) of each global batch.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "coact/io/activation_store.h"

namespace coact {
class Prefetcher;
}

namespace coact::io {

struct ShuffleOptions {
  std::uint64_t seed = 0;
  std::int64_t batch_rows = 4096;    // B: the global batch, over all ranks
  std::int64_t buffer_rows = 0;      // S: 0 = min(384·B, N), rounded down to even
  std::int64_t chunk_rows = 4096;    // unit of the per-epoch order of fresh rows
};

// Which global rows make up each batch (no I/O). Batches must be requested in increasing
// step order; an earlier step restarts the simulation from step 0.
class ShuffleSchedule {
 public:
  ShuffleSchedule(std::int64_t store_rows, const ShuffleOptions& options);

  std::int64_t buffer_rows() const { return buffer_rows_; }
  std::int64_t batches_per_phase() const { return batches_per_phase_; }
  // Global row indices of batch `step` (B of them).
  std::span<const std::int64_t> batch(std::int64_t step);

 private:
  void start_phase(std::int64_t phase);
  std::int64_t next_fresh_row();

  std::int64_t rows_;
  ShuffleOptions options_;
  std::int64_t buffer_rows_;
  std::int64_t batches_per_phase_;
  std::vector<std::int64_t> buffer_;  // row indices
  std::int64_t phase_ = -1;           // phase whose shuffle buffer_ holds
  // Cursor in the stream of fresh rows: the epoch, its chunk order, and the next row.
  std::int64_t epoch_ = -1;
  std::vector<std::int64_t> epoch_chunks_;
  std::int64_t chunk_position_ = 0;  // index into epoch_chunks_
  std::int64_t row_in_chunk_ = 0;
};

class ShuffledStream {
 public:
  // Starts at `start_step` (a resumed run passes its checkpoint's step). Reads ahead with a
  // prefetch thread; `steps` bounds how far (<= 0: unbounded).
  ShuffledStream(const ActivationStore& store, const ShuffleOptions& options, int rank, int ranks,
                 std::int64_t start_step, std::int64_t steps, Normalisation normalisation = Normalisation::None,
                 int prefetch_slots = 2);
  ~ShuffledStream();

  // This rank's rows of the next global batch (local_rows() × d floats, valid until the next
  // call) and the step it belongs to.
  const float* next(std::int64_t* step = nullptr);
  std::int64_t local_rows() const { return local_rows_; }
  std::int64_t local_first() const { return local_first_; }
  // The step the next call to next() returns.
  std::int64_t position() const { return next_step_; }
  double wait_seconds() const;

 private:
  const ActivationStore& store_;
  ShuffleSchedule schedule_;  // used by the prefetch thread only
  Normalisation normalisation_;
  std::int64_t start_step_;
  std::int64_t local_first_, local_rows_;
  std::int64_t next_step_;
  std::vector<std::vector<float>> slots_;
  std::unique_ptr<Prefetcher> prefetcher_;
};

}  // namespace coact::io
