// Ordered batches for graph building: batch b = rows [bB, (b+1)B) in stored order; rank r of
// P reads batches r, r+P, r+2P, ... so no row is read by two ranks. A prefetch thread reads
// the next batch while the caller computes on the current one.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "coact/io/activation_store.h"

namespace coact {
class Prefetcher;
}

namespace coact::io {

struct OrderedBatch {
  std::int64_t index = -1;      // global batch number b
  std::int64_t first_row = 0;   // b * B
  std::int64_t rows = 0;        // B
  const float* values = nullptr;  // rows × d, valid until the next call to next()
};

class OrderedBatchReader {
 public:
  // Uses the first `requested_batches` full batches (<= 0: every full batch). Throws
  // InputError when one batch is larger than the store. Fewer batches than requested is not
  // an error here: compare available_batches() with the request and decide.
  OrderedBatchReader(const ActivationStore& store, std::int64_t batch_rows, std::int64_t requested_batches, int rank,
                     int ranks, Normalisation normalisation = Normalisation::None, int prefetch_slots = 2);
  ~OrderedBatchReader();

  std::int64_t batch_rows() const { return batch_rows_; }
  // Full batches the store holds.
  std::int64_t available_batches() const { return available_; }
  // Batches used by all ranks together: min(requested, available).
  std::int64_t total_batches() const { return total_; }
  // This rank's batch numbers, in the order next() returns them.
  const std::vector<std::int64_t>& local_batches() const { return local_; }

  // The next batch of this rank; false when done.
  bool next(OrderedBatch& batch);
  // Seconds the caller waited for reads (0 when I/O keeps up).
  double wait_seconds() const;

 private:
  const ActivationStore& store_;
  std::int64_t batch_rows_;
  std::int64_t available_;
  std::int64_t total_;
  Normalisation normalisation_;
  std::vector<std::int64_t> local_;
  std::vector<std::vector<float>> slots_;
  std::int64_t returned_ = 0;  // batches handed out by next()
  std::unique_ptr<Prefetcher> prefetcher_;
};

}  // namespace coact::io
