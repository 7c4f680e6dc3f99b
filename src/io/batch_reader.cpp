#include "coact/io/batch_reader.h"

#include "coact/core/errors.h"
#include "coact/core/prefetch.h"

namespace coact::io {

OrderedBatchReader::OrderedBatchReader(const ActivationStore& store, std::int64_t batch_rows,
                                       std::int64_t requested_batches, int rank, int ranks,
                                       Normalisation normalisation, int prefetch_slots)
    : store_(store), batch_rows_(batch_rows), normalisation_(normalisation) {
  COACT_REQUIRE(batch_rows > 0, UsageError, "batch size must be positive (got ", batch_rows, ")");
  COACT_REQUIRE(ranks > 0 && rank >= 0 && rank < ranks, Error, "OrderedBatchReader: rank ", rank, " of ", ranks);
  if (batch_rows > store.rows())
    throw InputError(str(store.spec(), ": a batch of ", batch_rows, " rows is larger than the store's ", store.rows(),
                         " rows"));
  available_ = store.rows() / batch_rows;
  total_ = requested_batches > 0 ? std::min(requested_batches, available_) : available_;
  for (std::int64_t b = rank; b < total_; b += ranks) local_.push_back(b);

  slots_.assign(static_cast<std::size_t>(std::max(1, prefetch_slots)),
                std::vector<float>(static_cast<std::size_t>(batch_rows * store.d())));
  prefetcher_ = std::make_unique<Prefetcher>(
      static_cast<int>(slots_.size()), static_cast<std::int64_t>(local_.size()), [this](int slot, std::int64_t item) {
        float* out = slots_[static_cast<std::size_t>(slot)].data();
        const std::int64_t first = local_[static_cast<std::size_t>(item)] * batch_rows_;
        store_.read_rows(first, batch_rows_, out);
        store_.normalise(normalisation_, batch_rows_, out);
      });
}

OrderedBatchReader::~OrderedBatchReader() = default;

bool OrderedBatchReader::next(OrderedBatch& batch) {
  const int slot = prefetcher_->next();
  if (slot < 0) return false;
  const std::int64_t b = local_[static_cast<std::size_t>(returned_++)];
  batch.index = b;
  batch.first_row = b * batch_rows_;
  batch.rows = batch_rows_;
  batch.values = slots_[static_cast<std::size_t>(slot)].data();
  return true;
}

double OrderedBatchReader::wait_seconds() const { return prefetcher_->wait_seconds(); }

}  // namespace coact::io
