#include "coact/core/prefetch.h"

#include <chrono>

#include "coact/core/errors.h"

namespace coact {

Prefetcher::Prefetcher(int slots, std::int64_t count, Fill fill)
    : slots_(slots < 1 ? 1 : slots), count_(count), fill_(std::move(fill)), errors_(static_cast<std::size_t>(slots_)) {
  thread_ = std::thread([this] { run(); });
}

Prefetcher::~Prefetcher() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stop_ = true;
  }
  changed_.notify_all();
  thread_.join();
}

void Prefetcher::run() {
  struct Done {
    Prefetcher* self;
    ~Done() {
      {
        std::lock_guard<std::mutex> lock(self->mutex_);
        self->producer_done_ = true;
      }
      self->changed_.notify_all();
    }
  } done{this};
  for (std::int64_t item = 0; item < count_; ++item) {
    const int slot = static_cast<int>(item % slots_);
    {
      // A slot is free once the consumer released the item that used it `slots_` items ago.
      std::unique_lock<std::mutex> lock(mutex_);
      changed_.wait(lock, [&] { return stop_ || item - released_ < slots_; });
      if (stop_) return;
    }
    std::exception_ptr error;
    try {
      fill_(slot, item);
    } catch (...) {
      error = std::current_exception();
    }
    {
      std::lock_guard<std::mutex> lock(mutex_);
      errors_[static_cast<std::size_t>(slot)] = error;
      ++produced_;
    }
    changed_.notify_all();
    if (error) return;  // nothing after a failed item is produced
  }
}

int Prefetcher::next() {
  std::unique_lock<std::mutex> lock(mutex_);
  if (consumed_ > released_) ++released_;  // give back the previous slot
  changed_.notify_all();
  if (consumed_ >= count_) return -1;
  const auto start = std::chrono::steady_clock::now();
  changed_.wait(lock, [&] { return produced_ > consumed_ || producer_done_; });
  if (produced_ <= consumed_) throw Error("prefetch: the reader stopped after an earlier error");
  wait_seconds_ += std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  const int slot = static_cast<int>(consumed_ % slots_);
  ++consumed_;
  if (errors_[static_cast<std::size_t>(slot)]) std::rethrow_exception(errors_[static_cast<std::size_t>(slot)]);
  return slot;
}

}  // namespace coact
