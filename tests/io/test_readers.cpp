#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <numeric>
#include <set>

#include "coact/core/errors.h"
#include "coact/core/prefetch.h"
#include "coact/io/activation_writer.h"
#include "coact/io/batch_reader.h"
#include "coact/io/shuffle.h"
#include "support/temp_dir.h"

namespace coact::io {
namespace {

using coact::testing::TempDir;

// Row r holds the values r + c/100 so every row is recognisable.
std::string write_indexed_store(const TempDir& dir, std::int64_t rows, std::int64_t d) {
  const std::string path = dir.file("indexed.h5");
  ActivationWriterOptions options;
  options.rows = rows;
  options.d = d;
  options.chunk_rows = 50;
  ActivationWriter writer(path, false, nullptr, options);
  std::vector<float> values(static_cast<std::size_t>(rows * d));
  for (std::int64_t r = 0; r < rows; ++r)
    for (std::int64_t c = 0; c < d; ++c) values[static_cast<std::size_t>(r * d + c)] = static_cast<float>(r) + static_cast<float>(c) / 100.0f;
  writer.write_rows(0, rows, values.data());
  writer.finish();
  return path;
}

std::int64_t row_id(const float* row) { return static_cast<std::int64_t>(std::lround(row[0])); }

TEST(OrderedBatchReader, RanksCoverEveryRowExactlyOnce) {
  TempDir dir;
  const std::int64_t rows = 1030, d = 3, batch = 100;
  const ActivationStore store = ActivationStore::open(write_indexed_store(dir, rows, d));
  for (int ranks = 1; ranks <= 4; ++ranks) {
    for (const std::int64_t requested : {std::int64_t{0}, std::int64_t{7}, std::int64_t{50}}) {
      std::vector<int> seen(static_cast<std::size_t>(rows), 0);
      std::int64_t total = -1;
      for (int rank = 0; rank < ranks; ++rank) {
        OrderedBatchReader reader(store, batch, requested, rank, ranks);
        EXPECT_EQ(reader.available_batches(), 10);
        total = reader.total_batches();
        OrderedBatch b;
        std::int64_t expected_index = rank;
        while (reader.next(b)) {
          EXPECT_EQ(b.index, expected_index) << "rank r reads batches r, r+P, ...";
          expected_index += ranks;
          EXPECT_EQ(b.first_row, b.index * batch);
          for (std::int64_t r = 0; r < b.rows; ++r) {
            ASSERT_EQ(row_id(b.values + r * d), b.first_row + r) << "rows in stored order";
            ++seen[static_cast<std::size_t>(b.first_row + r)];
          }
        }
      }
      EXPECT_EQ(total, requested == 7 ? 7 : 10);
      for (std::int64_t r = 0; r < rows; ++r)
        ASSERT_EQ(seen[static_cast<std::size_t>(r)], r < total * batch ? 1 : 0) << "row " << r << " ranks " << ranks;
    }
  }
}

TEST(OrderedBatchReader, BatchLargerThanStoreIsAnInputError) {
  TempDir dir;
  const ActivationStore store = ActivationStore::open(write_indexed_store(dir, 100, 2));
  try {
    OrderedBatchReader reader(store, 101, 0, 0, 1);
    FAIL();
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("larger than the store"), std::string::npos) << e.what();
  }
}

TEST(ShuffleSchedule, FollowsTheSeedRecipeBuffer) {
  const std::int64_t rows = 10000, batch = 50;
  ShuffleSchedule schedule(rows, {.seed = 52, .batch_rows = batch, .buffer_rows = 1000, .chunk_rows = 64});
  EXPECT_EQ(schedule.buffer_rows(), 1000);
  EXPECT_EQ(schedule.batches_per_phase(), 10) << "half the buffer is served between refills";
  // Phase 0 serves half of a buffer filled with the first 1000 rows: distinct rows from [0, 1000).
  std::set<std::int64_t> phase0;
  for (std::int64_t step = 0; step < 10; ++step)
    for (auto r : schedule.batch(step)) {
      EXPECT_LT(r, 1000);
      phase0.insert(r);
    }
  EXPECT_EQ(phase0.size(), 500u);
  // Phase 1 holds the 500 unserved rows plus the next fresh 500 (rows 1000..1499).
  std::set<std::int64_t> phase1;
  for (std::int64_t step = 10; step < 20; ++step)
    for (auto r : schedule.batch(step)) phase1.insert(r);
  EXPECT_EQ(phase1.size(), 500u);
  for (auto r : phase1) {
    EXPECT_TRUE(r < 1500) << r;
    EXPECT_EQ(phase0.count(r), 0u) << "a served row is not served again before its refill";
  }
  // Over a whole epoch (after the first), every row appears: chunk-permuted order covers all.
  std::vector<int> count(static_cast<std::size_t>(rows), 0);
  for (std::int64_t step = 0; step < 1000; ++step)
    for (auto r : schedule.batch(step)) ++count[static_cast<std::size_t>(r)];
  const auto never = std::count(count.begin(), count.end(), 0);
  EXPECT_LT(never, rows / 20) << "almost every row is served within 5 epochs";
}

TEST(ShuffleSchedule, DeterministicSeededAndResumable) {
  const ShuffleOptions options{.seed = 7, .batch_rows = 32, .buffer_rows = 512, .chunk_rows = 100};
  ShuffleSchedule a(5000, options), b(5000, options);
  ShuffleOptions other = options;
  other.seed = 8;
  ShuffleSchedule c(5000, other);
  std::vector<std::vector<std::int64_t>> sequence;
  for (std::int64_t step = 0; step < 300; ++step) {
    const auto x = a.batch(step);
    const auto y = b.batch(step);
    sequence.emplace_back(x.begin(), x.end());
    EXPECT_TRUE(std::equal(x.begin(), x.end(), y.begin()));
  }
  const auto z = c.batch(0);
  EXPECT_FALSE(std::equal(z.begin(), z.end(), sequence[0].begin())) << "the seed changes the stream";
  // A fresh schedule asked for step 217 directly (a resumed run) gives the same rows.
  ShuffleSchedule resumed(5000, options);
  for (std::int64_t step = 217; step < 300; ++step) {
    const auto x = resumed.batch(step);
    ASSERT_TRUE(std::equal(x.begin(), x.end(), sequence[static_cast<std::size_t>(step)].begin())) << step;
  }
  // Going back replays from the start.
  const auto back = resumed.batch(3);
  EXPECT_TRUE(std::equal(back.begin(), back.end(), sequence[3].begin()));
}

TEST(ShuffleSchedule, RejectsStoresSmallerThanTwoBatches) {
  EXPECT_THROW(ShuffleSchedule(100, {.batch_rows = 60}), InputError);
  EXPECT_THROW(ShuffleSchedule(100, {.batch_rows = 0}), UsageError);
}

TEST(ShuffledStream, RankSlicesFormTheSameGlobalBatchForAnyRankCount) {
  TempDir dir;
  const std::int64_t rows = 3000, d = 4, batch = 60;
  const ActivationStore store = ActivationStore::open(write_indexed_store(dir, rows, d));
  const ShuffleOptions options{.seed = 55, .batch_rows = batch, .buffer_rows = 600, .chunk_rows = 50};
  const std::int64_t steps = 40;
  // Single-rank reference.
  std::vector<std::vector<std::int64_t>> reference;
  {
    ShuffledStream stream(store, options, 0, 1, 0, steps);
    for (std::int64_t s = 0; s < steps; ++s) {
      std::int64_t step = -1;
      const float* rows_data = stream.next(&step);
      EXPECT_EQ(step, s);
      std::vector<std::int64_t> ids;
      for (std::int64_t r = 0; r < batch; ++r) ids.push_back(row_id(rows_data + r * d));
      reference.push_back(ids);
    }
  }
  for (int ranks = 2; ranks <= 3; ++ranks) {
    std::vector<std::vector<std::int64_t>> combined(static_cast<std::size_t>(steps));
    for (int rank = 0; rank < ranks; ++rank) {
      ShuffledStream stream(store, options, rank, ranks, 0, steps);
      EXPECT_EQ(stream.local_first(), batch * rank / ranks);
      for (std::int64_t s = 0; s < steps; ++s) {
        const float* rows_data = stream.next();
        for (std::int64_t r = 0; r < stream.local_rows(); ++r) combined[static_cast<std::size_t>(s)].push_back(row_id(rows_data + r * d));
      }
    }
    EXPECT_EQ(combined, reference) << ranks << " ranks";
  }
  // Resumed at step 25: the same batches as the uninterrupted stream.
  ShuffledStream resumed(store, options, 0, 1, 25, steps - 25);
  for (std::int64_t s = 25; s < steps; ++s) {
    const float* rows_data = resumed.next();
    for (std::int64_t r = 0; r < batch; ++r)
      ASSERT_EQ(row_id(rows_data + r * d), reference[static_cast<std::size_t>(s)][static_cast<std::size_t>(r)]);
  }
  EXPECT_THROW(resumed.next(), Error) << "reading past the requested steps is an error";
}

TEST(Prefetcher, DeliversInOrderAndRethrowsProducerErrorsWhereTheyHappen) {
  std::vector<std::int64_t> slots(3, -1);
  {
    Prefetcher p(3, 10, [&](int slot, std::int64_t item) { slots[static_cast<std::size_t>(slot)] = item * item; });
    for (std::int64_t i = 0; i < 10; ++i) {
      const int slot = p.next();
      ASSERT_GE(slot, 0);
      EXPECT_EQ(slots[static_cast<std::size_t>(slot)], i * i);
    }
    EXPECT_EQ(p.next(), -1);
  }
  Prefetcher failing(2, 5, [&](int, std::int64_t item) {
    if (item == 3) throw InputError("bad row in item 3");
  });
  for (int i = 0; i < 3; ++i) EXPECT_GE(failing.next(), 0);
  EXPECT_THROW(failing.next(), InputError);
  EXPECT_THROW(failing.next(), Error) << "nothing after a failed item";
}

}  // namespace
}  // namespace coact::io
