// Ranks write disjoint row ranges of one file collectively (parallel HDF5), then every rank
// reads it back. The 3-rank run leaves collective_np3.h5 for the h5py test.
#include <gtest/gtest.h>

#include <filesystem>

#include "coact/core/errors.h"
#include "coact/io/atomic_output.h"
#include "coact/io/h5.h"
#include "support/mpi_env.h"

namespace coact::io {
namespace {

using coact::testing::world;

float value_at(std::int64_t row, std::int64_t col) { return static_cast<float>(row * 1000 + col) * 0.25f; }

TEST(ParallelH5, CollectiveWriteOfDisjointRowsReadsBack) {
  auto& w = world();
  const std::int64_t rows = 101, cols = 7;  // not divisible by 2 or 3: uneven shares
  const std::string path = "collective_np" + std::to_string(w.size()) + ".h5";
  {
    AtomicOutput out(path, true, &w);
    File f = File::create(out.temporary_path(), &w);
    EXPECT_TRUE(f.parallel());
    f.attributes().set("producer", "coact test");
    f.attributes().set("ranks", std::int64_t{w.size()});
    Dataset d = f.create_dataset<float>("/activations", {rows, cols}, {.chunk = {16, cols}});
    const std::int64_t begin = rows * w.rank() / w.size(), end = rows * (w.rank() + 1) / w.size();
    std::vector<float> mine((end - begin) * cols);
    for (std::int64_t r = begin; r < end; ++r)
      for (std::int64_t c = 0; c < cols; ++c) mine[(r - begin) * cols + c] = value_at(r, c);
    d.write<float>(mine, {begin, 0}, {end - begin, cols});
    if (w.size() > 1) {
      const std::string mode = d.last_transfer_mode();
      EXPECT_NE(mode.find("collective"), std::string::npos) << "transfer was " << mode;
    }
    // A small dataset written by the root alone, others joining with empty selections.
    f.write_dataset<std::int32_t>("/tokens", std::vector<std::int32_t>{1, 2, 3}, {3});
    f.close();
    out.commit();
  }
  EXPECT_TRUE(std::filesystem::exists(path));
  // Every rank reads the whole file serially and checks every value.
  File f = File::open(path);
  const auto all = f.dataset("/activations").read_all<float>();
  ASSERT_EQ(all.size(), static_cast<std::size_t>(rows * cols));
  for (std::int64_t r = 0; r < rows; ++r)
    for (std::int64_t c = 0; c < cols; ++c) ASSERT_EQ(all[r * cols + c], value_at(r, c)) << r << "," << c;
  EXPECT_EQ(f.dataset("/tokens").read_all<std::int32_t>(), (std::vector<std::int32_t>{1, 2, 3}));
  EXPECT_EQ(f.attributes().get_int("ranks"), w.size());
  w.barrier();
}

TEST(ParallelH5, ExistingOutputIsRefusedOnEveryRank) {
  auto& w = world();
  const std::string path = "exists_np" + std::to_string(w.size()) + ".txt";
  if (w.is_root()) std::filesystem::remove(path);
  w.barrier();
  {
    AtomicOutput out(path, false, &w);
    File::create(out.temporary_path(), &w).close();
    out.commit();
  }
  // Every rank throws the same collective error: no rank is left waiting.
  EXPECT_THROW(AtomicOutput(path, false, &w), OutputExistsError);
  w.barrier();
  if (w.is_root()) std::filesystem::remove(path);
}

}  // namespace
}  // namespace coact::io
