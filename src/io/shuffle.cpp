#include "coact/io/shuffle.h"

#include <algorithm>
#include <limits>

#include "coact/core/errors.h"
#include "coact/core/log.h"
#include "coact/core/prefetch.h"
#include "coact/core/rng.h"

namespace coact::io {

namespace {
// Stream tags: independent random streams for the buffer shuffles and the epoch orders.
constexpr std::uint64_t kBufferShuffleTag = 0x5348554646ull;  // "SHUFF"
constexpr std::uint64_t kEpochOrderTag = 0x45504f4348ull;     // "EPOCH"

// Fisher–Yates with a counter-based stream: the permutation depends only on (seed, stream).
template <class T>
void shuffle(std::vector<T>& values, std::uint64_t seed, std::uint64_t stream) {
  CounterRng rng(seed, stream);
  for (std::size_t i = values.size(); i > 1; --i) {
    const std::size_t j = static_cast<std::size_t>(rng.below(i));
    std::swap(values[i - 1], values[j]);
  }
}
}  // namespace

ShuffleSchedule::ShuffleSchedule(std::int64_t store_rows, const ShuffleOptions& options)
    : rows_(store_rows), options_(options) {
  COACT_REQUIRE(options_.batch_rows > 0, UsageError, "batch size must be positive (got ", options_.batch_rows, ")");
  COACT_REQUIRE(options_.chunk_rows > 0, UsageError, "shuffle chunk rows must be positive");
  if (2 * options_.batch_rows > rows_)
    throw InputError(str("a training batch of ", options_.batch_rows, " rows needs a store of at least ",
                         2 * options_.batch_rows, " rows (the shuffle buffer serves half of itself), but it has ", rows_));
  std::int64_t s = options_.buffer_rows > 0 ? options_.buffer_rows : 384 * options_.batch_rows;
  s = std::min(s, rows_);
  s -= s % 2;
  COACT_REQUIRE(s >= 2 * options_.batch_rows, UsageError, "shuffle buffer of ", s, " rows is smaller than two batches of ",
                options_.batch_rows);
  buffer_rows_ = s;
  batches_per_phase_ = s / (2 * options_.batch_rows);
  buffer_.assign(static_cast<std::size_t>(s), 0);
}

std::int64_t ShuffleSchedule::next_fresh_row() {
  const std::int64_t chunks = (rows_ + options_.chunk_rows - 1) / options_.chunk_rows;
  if (epoch_ < 0 || chunk_position_ == chunks) {  // a new epoch: its chunk order
    ++epoch_;
    chunk_position_ = 0;
    row_in_chunk_ = 0;
    epoch_chunks_.resize(static_cast<std::size_t>(chunks));
    for (std::int64_t c = 0; c < chunks; ++c) epoch_chunks_[static_cast<std::size_t>(c)] = c;
    if (epoch_ > 0) shuffle(epoch_chunks_, mix_seed(options_.seed, kEpochOrderTag), static_cast<std::uint64_t>(epoch_));
  }
  const std::int64_t chunk = epoch_chunks_[static_cast<std::size_t>(chunk_position_)];
  const std::int64_t row = chunk * options_.chunk_rows + row_in_chunk_;
  // The last chunk of the store may be short.
  const std::int64_t chunk_size = std::min(options_.chunk_rows, rows_ - chunk * options_.chunk_rows);
  if (++row_in_chunk_ == chunk_size) {
    row_in_chunk_ = 0;
    ++chunk_position_;
  }
  return row;
}

void ShuffleSchedule::start_phase(std::int64_t phase) {
  if (phase < phase_) {  // going back: replay from the start
    phase_ = -1;
    epoch_ = -1;
  }
  while (phase_ < phase) {
    ++phase_;
    // Phase 0 fills the whole buffer; later phases refill the half that was served.
    const std::int64_t fill = phase_ == 0 ? buffer_rows_ : buffer_rows_ / 2;
    for (std::int64_t i = 0; i < fill; ++i) buffer_[static_cast<std::size_t>(i)] = next_fresh_row();
    shuffle(buffer_, mix_seed(options_.seed, kBufferShuffleTag), static_cast<std::uint64_t>(phase_));
  }
}

std::span<const std::int64_t> ShuffleSchedule::batch(std::int64_t step) {
  COACT_REQUIRE(step >= 0, Error, "ShuffleSchedule: negative step");
  start_phase(step / batches_per_phase_);
  const std::int64_t offset = (step % batches_per_phase_) * options_.batch_rows;
  return {buffer_.data() + offset, static_cast<std::size_t>(options_.batch_rows)};
}

ShuffledStream::ShuffledStream(const ActivationStore& store, const ShuffleOptions& options, int rank, int ranks,
                               std::int64_t start_step, std::int64_t steps, Normalisation normalisation,
                               int prefetch_slots)
    : store_(store), schedule_(store.rows(), options), normalisation_(normalisation), start_step_(start_step),
      next_step_(start_step) {
  COACT_REQUIRE(ranks > 0 && rank >= 0 && rank < ranks, Error, "ShuffledStream: rank ", rank, " of ", ranks);
  local_first_ = options.batch_rows * rank / ranks;
  local_rows_ = options.batch_rows * (rank + 1) / ranks - local_first_;
  if (start_step > 0 && start_step / schedule_.batches_per_phase() > 8)
    log::info("restoring the data stream at step ", start_step, " (replaying ", start_step / schedule_.batches_per_phase(),
              " buffer refills)");
  slots_.assign(static_cast<std::size_t>(std::max(1, prefetch_slots)),
                std::vector<float>(static_cast<std::size_t>(local_rows_ * store.d())));
  const std::int64_t count = steps > 0 ? steps : std::numeric_limits<std::int64_t>::max();
  prefetcher_ = std::make_unique<Prefetcher>(static_cast<int>(slots_.size()), count, [this](int slot, std::int64_t item) {
    const auto rows = schedule_.batch(start_step_ + item).subspan(static_cast<std::size_t>(local_first_),
                                                                 static_cast<std::size_t>(local_rows_));
    float* out = slots_[static_cast<std::size_t>(slot)].data();
    store_.gather_rows(rows, out);
    store_.normalise(normalisation_, local_rows_, out);
  });
}

ShuffledStream::~ShuffledStream() = default;

const float* ShuffledStream::next(std::int64_t* step) {
  const int slot = prefetcher_->next();
  if (slot < 0) throw Error("ShuffledStream: read past the number of steps it was opened for");
  if (step) *step = next_step_;
  ++next_step_;
  return slots_[static_cast<std::size_t>(slot)].data();
}

double ShuffledStream::wait_seconds() const { return prefetcher_->wait_seconds(); }

}  // namespace coact::io
