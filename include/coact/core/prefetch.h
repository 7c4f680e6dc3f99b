// Overlaps reading with compute: a background thread fills the next item (a batch) into one
// of several slots while the caller works on the current one. The producer is called with
// (slot, item index) in item order; exceptions it throws are re-thrown by next() on the
// consumer's thread, in order, so a bad row is reported where the batch is used.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <exception>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace coact {

class Prefetcher {
 public:
  // fill(slot, item) produces item `item` into slot `slot` (0..slots-1). Items 0..count-1.
  using Fill = std::function<void(int slot, std::int64_t item)>;

  Prefetcher(int slots, std::int64_t count, Fill fill);
  ~Prefetcher();
  Prefetcher(const Prefetcher&) = delete;
  Prefetcher& operator=(const Prefetcher&) = delete;

  // Waits for the next item; returns its slot, or -1 after the last item. The slot returned
  // by the previous call is handed back to the producer by this call.
  int next();
  std::int64_t count() const { return count_; }
  // Seconds next() spent waiting for the producer (0 when reading keeps up with compute).
  double wait_seconds() const { return wait_seconds_; }

 private:
  void run();

  const int slots_;
  const std::int64_t count_;
  Fill fill_;
  std::mutex mutex_;
  std::condition_variable changed_;
  std::int64_t produced_ = 0;  // items finished by the producer
  std::int64_t consumed_ = 0;  // items handed to the consumer
  std::int64_t released_ = 0;  // items whose slot the consumer gave back
  std::vector<std::exception_ptr> errors_;  // per slot
  bool stop_ = false;
  bool producer_done_ = false;  // the producer returned (finished, stopped or failed)
  double wait_seconds_ = 0;
  std::thread thread_;
};

}  // namespace coact
