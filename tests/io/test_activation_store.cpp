#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <random>

#include "coact/core/errors.h"
#include "coact/core/half.h"
#include "coact/io/activation_store.h"
#include "coact/io/activation_writer.h"
#include "coact/io/provenance.h"
#include "support/temp_dir.h"

namespace coact::io {
namespace {

using coact::testing::TempDir;

std::vector<float> random_rows(std::int64_t rows, std::int64_t d, unsigned seed) {
  std::mt19937 gen(seed);
  std::normal_distribution<float> dist(0.5f, 2.0f);
  std::vector<float> v(static_cast<std::size_t>(rows * d));
  for (auto& x : v) x = dist(gen);
  return v;
}

// Writes rows in blocks of `block` through the writer (single process).
void write_store(const std::string& path, const std::vector<float>& values, std::int64_t d, ElementType dtype,
                 std::int64_t chunk_rows = 0, std::int64_t block = 37, bool tokens = false) {
  const std::int64_t rows = static_cast<std::int64_t>(values.size()) / d;
  ActivationWriterOptions options;
  options.rows = rows;
  options.d = d;
  options.dtype = dtype;
  options.chunk_rows = chunk_rows;
  options.source = "test";
  options.sequence_length = 16;
  options.tokens = tokens;
  options.positions = tokens;
  ActivationWriter writer(path, false, nullptr, options);
  std::vector<std::int32_t> ids(static_cast<std::size_t>(rows)), positions(static_cast<std::size_t>(rows));
  for (std::int64_t r = 0; r < rows; ++r) {
    ids[static_cast<std::size_t>(r)] = static_cast<std::int32_t>(1000 + r);
    positions[static_cast<std::size_t>(r)] = static_cast<std::int32_t>(r % 16);
  }
  for (std::int64_t first = 0; first < rows; first += block) {
    const std::int64_t count = std::min(block, rows - first);
    writer.write_rows(first, count, values.data() + first * d, tokens ? ids.data() + first : nullptr,
                      tokens ? positions.data() + first : nullptr);
  }
  writer.finish();
}

TEST(ActivationStore, Float32RoundTripAcrossChunksWithStatistics) {
  TempDir dir;
  const std::int64_t rows = 1000, d = 24;
  const auto values = random_rows(rows, d, 1);
  write_store(dir.file("a.h5"), values, d, ElementType::F32, /*chunk_rows=*/64, 37, true);

  const ActivationStore store = ActivationStore::open(dir.file("a.h5"));
  EXPECT_EQ(store.rows(), rows);
  EXPECT_EQ(store.d(), d);
  EXPECT_TRUE(store.memory_mapped());
  EXPECT_EQ(store.metadata().source, "test");
  EXPECT_EQ(store.metadata().sequence_length, 16);
  EXPECT_TRUE(store.metadata().has_tokens);

  std::vector<float> all(values.size());
  store.read_rows(0, rows, all.data());
  EXPECT_EQ(all, values);
  // A range crossing chunk boundaries (64-row chunks).
  std::vector<float> part(static_cast<std::size_t>(150 * d));
  store.read_rows(60, 150, part.data());
  EXPECT_TRUE(std::equal(part.begin(), part.end(), values.begin() + 60 * d));
  // Arbitrary rows in arbitrary order.
  const std::vector<std::int64_t> picks = {999, 0, 63, 64, 500, 63};
  std::vector<float> gathered(picks.size() * d);
  store.gather_rows(picks, gathered.data());
  for (std::size_t i = 0; i < picks.size(); ++i)
    EXPECT_TRUE(std::equal(gathered.begin() + i * d, gathered.begin() + (i + 1) * d, values.begin() + picks[i] * d));

  std::vector<std::int32_t> tokens(5), positions(5);
  store.read_tokens(98, 5, tokens.data());
  store.read_positions(98, 5, positions.data());
  EXPECT_EQ(tokens, (std::vector<std::int32_t>{1098, 1099, 1100, 1101, 1102}));
  EXPECT_EQ(positions, (std::vector<std::int32_t>{2, 3, 4, 5, 6}));

  // Statistics: mean vector and mean row norm, as computed directly.
  ASSERT_TRUE(store.metadata().normalisation.has_value());
  const auto& stats = *store.metadata().normalisation;
  EXPECT_EQ(stats.rows, rows);
  std::vector<double> mean(static_cast<std::size_t>(d), 0.0);
  double norm_sum = 0;
  for (std::int64_t r = 0; r < rows; ++r) {
    double sq = 0;
    for (std::int64_t c = 0; c < d; ++c) {
      mean[static_cast<std::size_t>(c)] += values[static_cast<std::size_t>(r * d + c)];
      sq += static_cast<double>(values[static_cast<std::size_t>(r * d + c)]) * values[static_cast<std::size_t>(r * d + c)];
    }
    norm_sum += std::sqrt(sq);
  }
  for (std::int64_t c = 0; c < d; ++c) EXPECT_NEAR(stats.mean[static_cast<std::size_t>(c)], mean[static_cast<std::size_t>(c)] / rows, 1e-12);
  EXPECT_NEAR(stats.mean_norm, norm_sum / rows, 1e-10);

  // Normalisations: "scale" makes the mean row norm sqrt(d); "center-scale" also centres.
  std::vector<float> scaled = values;
  store.normalise(Normalisation::ScaleMeanNorm, rows, scaled.data());
  double scaled_norm = 0;
  for (std::int64_t r = 0; r < rows; ++r) {
    double sq = 0;
    for (std::int64_t c = 0; c < d; ++c) sq += static_cast<double>(scaled[static_cast<std::size_t>(r * d + c)]) * scaled[static_cast<std::size_t>(r * d + c)];
    scaled_norm += std::sqrt(sq);
  }
  EXPECT_NEAR(scaled_norm / rows, std::sqrt(static_cast<double>(d)), 1e-3);
  std::vector<float> centred = values;
  store.normalise(Normalisation::CenterScale, rows, centred.data());
  double column0 = 0;
  for (std::int64_t r = 0; r < rows; ++r) column0 += centred[static_cast<std::size_t>(r * d)];
  EXPECT_NEAR(column0 / rows, 0.0, 1e-4);
  EXPECT_EQ(parse_normalisation("scale"), Normalisation::ScaleMeanNorm);
  EXPECT_THROW(parse_normalisation("unit"), UsageError);
}

TEST(ActivationStore, Float16StoresRoundedValues) {
  TempDir dir;
  const std::int64_t rows = 300, d = 8;
  const auto values = random_rows(rows, d, 2);
  write_store(dir.file("h.h5"), values, d, ElementType::F16);
  const ActivationStore store = ActivationStore::open(dir.file("h.h5"));
  EXPECT_EQ(store.shard_types().front(), ElementType::F16);
  EXPECT_TRUE(store.memory_mapped());
  std::vector<float> got(values.size());
  store.read_rows(0, rows, got.data());
  for (std::size_t i = 0; i < values.size(); ++i) ASSERT_EQ(got[i], half_to_float(float_to_half(values[i]))) << i;
}

TEST(ActivationStore, ShardsInADirectoryOrGlobFormOneStore) {
  TempDir dir;
  const std::int64_t d = 6;
  const auto values = random_rows(250, d, 3);
  std::filesystem::create_directories(dir.path() / "shards");
  // Three shards of uneven sizes, mixed dtypes are allowed as long as d matches.
  const std::vector<std::int64_t> sizes = {100, 1, 149};
  std::int64_t first = 0;
  for (std::size_t s = 0; s < sizes.size(); ++s) {
    std::vector<float> part(values.begin() + first * d, values.begin() + (first + sizes[s]) * d);
    write_store(dir.file("shards/shard_0000" + std::to_string(s) + ".h5"), part, d, ElementType::F32, 16);
    first += sizes[s];
  }
  for (const std::string& spec : {dir.file("shards"), dir.file("shards/shard_*.h5")}) {
    const ActivationStore store = ActivationStore::open(spec);
    EXPECT_EQ(store.files().size(), 3u);
    EXPECT_EQ(store.rows(), 250);
    std::vector<float> all(values.size());
    store.read_rows(0, 250, all.data());
    EXPECT_EQ(all, values) << spec;
    ASSERT_TRUE(store.metadata().normalisation.has_value());
    EXPECT_EQ(store.metadata().normalisation->rows, 250);
  }
}

TEST(ActivationStore, ForeignLayoutsContiguousAndCompressed) {
  TempDir dir;
  const std::int64_t rows = 200, d = 10;
  const auto values = random_rows(rows, d, 4);
  {
    // A contiguous file as h5py writes by default, no coact attributes.
    File f = File::create(dir.file("contiguous.h5"));
    f.write_dataset<float>("/activations", values, {rows, d});
  }
  {
    File f = File::create(dir.file("deflate.h5"));
    f.write_dataset<float>("/activations", values, {rows, d}, {.chunk = {32, d}, .deflate = 3});
  }
  const ActivationStore contiguous = ActivationStore::open(dir.file("contiguous.h5"));
  EXPECT_TRUE(contiguous.memory_mapped());
  EXPECT_FALSE(contiguous.metadata().normalisation.has_value());
  const ActivationStore compressed = ActivationStore::open(dir.file("deflate.h5"));
  EXPECT_FALSE(compressed.memory_mapped()) << "filtered chunks cannot be mapped: HDF5 reads instead";
  for (const ActivationStore* store : {&contiguous, &compressed}) {
    std::vector<float> got(static_cast<std::size_t>(50 * d));
    store->read_rows(75, 50, got.data());
    EXPECT_TRUE(std::equal(got.begin(), got.end(), values.begin() + 75 * d));
  }
  std::vector<float> x(static_cast<std::size_t>(d));
  EXPECT_THROW(contiguous.normalise(Normalisation::ScaleMeanNorm, 1, x.data()), InputError);
}

template <class ErrorType = InputError, class F>
void expect_error(F&& f, const std::vector<std::string>& fragments) {
  try {
    f();
    FAIL() << "expected an error containing " << fragments.front();
  } catch (const ErrorType& e) {
    for (const auto& fragment : fragments) EXPECT_NE(std::string(e.what()).find(fragment), std::string::npos) << e.what();
  }
}

TEST(ActivationStore, BadInputsAreRejectedWithFileAndObject) {
  TempDir dir;
  const std::int64_t d = 4;
  expect_error([&] { ActivationStore::open(dir.file("missing.h5")); }, {"missing.h5", "no such file"});
  expect_error([&] { ActivationStore::open(dir.file("none_*.h5")); }, {"none_*.h5", "no file matches"});
  {
    File f = File::create(dir.file("noacts.h5"));
    f.write_dataset<float>("/x", std::vector<float>{1}, {1});
  }
  expect_error([&] { ActivationStore::open(dir.file("noacts.h5")); }, {"noacts.h5", "/activations"});
  {
    File f = File::create(dir.file("rank3.h5"));
    f.write_dataset<float>("/activations", std::vector<float>(8), {2, 2, 2});
  }
  expect_error([&] { ActivationStore::open(dir.file("rank3.h5")); }, {"rank3.h5:/activations", "rank 2"});
  {
    File f = File::create(dir.file("ints.h5"));
    f.write_dataset<std::int32_t>("/activations", std::vector<std::int32_t>(8), {2, 4});
  }
  expect_error([&] { ActivationStore::open(dir.file("ints.h5")); }, {"ints.h5:/activations", "int32", "float32 or float16"});
  {
    File f = File::create(dir.file("empty.h5"));
    f.write_dataset<float>("/activations", std::vector<float>(), {0, d});
  }
  expect_error([&] { ActivationStore::open(dir.file("empty.h5")); }, {"empty.h5", "empty"});
  {
    File f = File::create(dir.file("graph.h5"));
    write_provenance(f, {"graph", "", "", {}});
  }
  expect_error([&] { ActivationStore::open(dir.file("graph.h5")); }, {"graph.h5", "graph"});
  // d mismatch across shards.
  std::filesystem::create_directories(dir.path() / "mixed");
  write_store(dir.file("mixed/a.h5"), random_rows(10, d, 5), d, ElementType::F32);
  write_store(dir.file("mixed/b.h5"), random_rows(10, d + 1, 6), d + 1, ElementType::F32);
  expect_error([&] { ActivationStore::open(dir.file("mixed")); }, {"b.h5", "d = 5", "d = 4"});
  // Tokens that do not cover every row.
  {
    File f = File::create(dir.file("tokens.h5"));
    f.write_dataset<float>("/activations", std::vector<float>(static_cast<std::size_t>(10 * d)), {10, d});
    f.write_dataset<std::int32_t>("/tokens", std::vector<std::int32_t>(9), {9});
  }
  expect_error([&] { ActivationStore::open(dir.file("tokens.h5")); }, {"tokens.h5:/tokens", "[9]", "[10]"});
  // Truncated: metadata survives, rows do not.
  auto values = random_rows(5000, 16, 7);
  {
    File f = File::create(dir.file("whole.h5"));
    f.write_dataset<float>("/activations", values, {5000, 16});
  }
  std::filesystem::copy_file(dir.file("whole.h5"), dir.file("truncated.h5"));
  std::filesystem::resize_file(dir.file("truncated.h5"), std::filesystem::file_size(dir.file("whole.h5")) / 2);
  expect_error([&] { ActivationStore::open(dir.file("truncated.h5")); }, {"truncated.h5"});
}

TEST(ActivationStore, NonFiniteRowsAreReportedWithTheirIndex) {
  TempDir dir;
  const std::int64_t rows = 100, d = 5;
  for (const ElementType dtype : {ElementType::F32, ElementType::F16}) {
    auto values = random_rows(rows, d, 8);
    values[static_cast<std::size_t>(42 * d + 3)] = std::numeric_limits<float>::quiet_NaN();
    values[static_cast<std::size_t>(77 * d)] = std::numeric_limits<float>::infinity();
    const std::string path = dir.file(std::string("nan_") + to_string(dtype) + ".h5");
    write_store(path, values, d, dtype, 16);
    const ActivationStore store = ActivationStore::open(path);
    std::vector<float> out(static_cast<std::size_t>(rows * d));
    store.read_rows(0, 42, out.data());  // rows before the bad one are fine
    expect_error<NumericError>([&] { store.read_rows(10, 50, out.data()); }, {path, "row 42", "column 3"});
    expect_error<NumericError>([&] { store.read_rows(70, 10, out.data()); }, {"row 77"});
    const std::vector<std::int64_t> picks = {1, 77};
    expect_error<NumericError>([&] { store.gather_rows(picks, out.data()); }, {"row 77"});
  }
}

}  // namespace
}  // namespace coact::io
