#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <fstream>

#include "coact/core/errors.h"
#include "coact/io/h5.h"

namespace coact::io {
namespace {

namespace fs = std::filesystem;

class H5 : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("coact_h5_" + std::to_string(::getpid()) + "_" +
                                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::string path(const std::string& name) const { return (dir_ / name).string(); }
  fs::path dir_;
};

TEST_F(H5, WritesAndReadsTypedDatasetsAndHyperslabs) {
  const std::string file = path("a.h5");
  std::vector<float> m(6 * 4);
  for (std::size_t i = 0; i < m.size(); ++i) m[i] = static_cast<float>(i) * 0.5f;
  {
    File f = File::create(file);
    f.write_dataset<float>("/activations", m, {6, 4}, {.chunk = {2, 4}});
    f.write_dataset<std::int32_t>("/tokens", std::vector<std::int32_t>{5, 6, 7}, {3});
    f.write_dataset<std::int64_t>("/group/deep/ids", std::vector<std::int64_t>{1ll << 40}, {1});
    f.write_dataset<std::uint8_t>("/flags", std::vector<std::uint8_t>{1, 0}, {2});
    f.write_dataset<double>("/scalar_like", std::vector<double>{2.5}, {1});
    f.close();
  }
  File f = File::open(file);
  EXPECT_TRUE(f.has("/activations"));
  EXPECT_TRUE(f.has("/group/deep/ids"));
  EXPECT_FALSE(f.has("/group/missing/ids"));
  EXPECT_FALSE(f.has("/nothing"));
  const Dataset d = f.dataset("/activations");
  EXPECT_EQ(d.shape(), (Shape{6, 4}));
  EXPECT_EQ(d.element_type(), ElementType::F32);
  EXPECT_EQ(d.chunk_shape(), (Shape{2, 4}));
  EXPECT_EQ(d.read_all<float>(), m);

  // Rows [2, 5), columns [1, 3).
  std::vector<float> part(3 * 2);
  d.read<float>(part, {2, 1}, {3, 2});
  EXPECT_EQ(part, (std::vector<float>{m[9], m[10], m[13], m[14], m[17], m[18]}));
  // Conversion on read: stored float32, read as double.
  std::vector<double> as_double(4);
  d.read<double>(as_double, {5, 0}, {1, 4});
  EXPECT_EQ(as_double[3], static_cast<double>(m[23]));

  EXPECT_EQ(f.dataset("/tokens").read_all<std::int32_t>(), (std::vector<std::int32_t>{5, 6, 7}));
  EXPECT_EQ(f.dataset("/group/deep/ids").read_all<std::int64_t>()[0], 1ll << 40);
  EXPECT_EQ(f.dataset("/tokens").element_type(), ElementType::I32);
  const auto names = f.list("/");
  EXPECT_EQ(names, (std::vector<std::string>{"activations", "flags", "group", "scalar_like", "tokens"}));
}

TEST_F(H5, PartialWritesAndCompression) {
  const std::string file = path("b.h5");
  {
    File f = File::create(file);
    Dataset d = f.create_dataset<float>("/x", {1000, 64}, {.chunk = {100, 64}, .deflate = 4, .shuffle = true});
    std::vector<float> rows(500 * 64, 1.0f), rest(500 * 64, 2.0f);
    d.write<float>(rows, {0, 0}, {500, 64});
    d.write<float>(rest, {500, 0}, {500, 64});
  }
  const auto all = File::open(file).dataset("/x").read_all<float>();
  EXPECT_EQ(all[0], 1.0f);
  EXPECT_EQ(all[500 * 64 - 1], 1.0f);
  EXPECT_EQ(all[500 * 64], 2.0f);
  EXPECT_LT(fs::file_size(file), 1000u * 64u * 4u / 10u) << "deflate should shrink constant data";
}

TEST_F(H5, Float16StoresHalfPrecisionAndConvertsOnRead) {
  const std::string file = path("h.h5");
  const std::vector<float> values = {0.0f, 1.0f, -2.5f, 0.333251953125f, 65504.0f};  // all exact in fp16
  {
    File f = File::create(file);
    Dataset d = f.create_dataset_typed("/activations", {5}, ElementType::F16);
    d.write<float>(values);  // HDF5 converts float32 -> float16
  }
  const Dataset d = File::open(file).dataset("/activations");
  EXPECT_EQ(d.element_type(), ElementType::F16);
  EXPECT_EQ(d.read_all<float>(), values);
  std::vector<std::uint16_t> raw(5);
  d.read_raw(raw.data(), {0}, {5});
  EXPECT_EQ(raw[1], 0x3C00u);  // 1.0 in IEEE half
  EXPECT_EQ(raw[2], 0xC100u);  // -2.5
}

TEST_F(H5, Attributes) {
  const std::string file = path("attrs.h5");
  {
    File f = File::create(file);
    auto a = f.attributes();
    a.set("producer", "coact 0.1.0");
    a.set("d", std::int64_t{2048});
    a.set("lambda", 3e-4);
    a.set("shape", std::vector<std::int64_t>{16384, 2048});
    a.set("mean", std::vector<double>{0.5, -0.25});
    a.set("d", std::int64_t{512});  // overwrite replaces
    Dataset d = f.write_dataset<float>("/w", std::vector<float>{1, 2}, {2});
    d.attributes().set("unit", "nats");
    f.create_group("/ground_truth");
    f.group_attributes("/ground_truth").set("n_true", std::int64_t{7});
  }
  File f = File::open(file);
  auto a = f.attributes();
  EXPECT_TRUE(a.has("producer"));
  EXPECT_FALSE(a.has("nope"));
  EXPECT_EQ(a.get_string("producer"), "coact 0.1.0");
  EXPECT_EQ(a.get_int("d"), 512);
  EXPECT_DOUBLE_EQ(a.get_double("lambda"), 3e-4);
  EXPECT_DOUBLE_EQ(a.get_double("d"), 512.0) << "integers read as numbers";
  EXPECT_EQ(a.get_ints("shape"), (std::vector<std::int64_t>{16384, 2048}));
  EXPECT_EQ(a.get_doubles("mean"), (std::vector<double>{0.5, -0.25}));
  EXPECT_EQ(a.type_of("producer"), ElementType::String);
  EXPECT_EQ(a.get_string_or("missing", "x"), "x");
  EXPECT_THROW(a.get_int("lambda"), InputError);
  EXPECT_THROW(a.get_string("d"), InputError);
  try {
    a.get_int("missing");
    FAIL();
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("attrs.h5"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("missing"), std::string::npos) << e.what();
  }
  EXPECT_EQ(f.dataset("/w").attributes().get_string("unit"), "nats");
  EXPECT_EQ(f.group_attributes("/ground_truth").get_int("n_true"), 7);
  auto names = a.names();
  EXPECT_EQ(names.size(), 5u);
}

TEST_F(H5, BadInputsGiveInputErrorsNamingTheFile) {
  auto expect_input_error = [](auto&& action, const std::string& fragment) {
    try {
      action();
      FAIL() << "expected InputError containing '" << fragment << "'";
    } catch (const InputError& e) {
      EXPECT_NE(std::string(e.what()).find(fragment), std::string::npos) << e.what();
    }
  };
  expect_input_error([&] { File::open(path("missing.h5")); }, "missing.h5: no such file");

  const std::string text = path("text.h5");
  std::ofstream(text) << "this is not hdf5";
  expect_input_error([&] { File::open(text); }, "text.h5: not an HDF5 file");
  EXPECT_FALSE(File::is_hdf5(text));

  const std::string good = path("good.h5");
  {
    File f = File::create(good);
    f.write_dataset<float>("/x", std::vector<float>(4096, 1.0f), {64, 64});
  }
  EXPECT_TRUE(File::is_hdf5(good));
  expect_input_error([&] { File::open(good).dataset("/y"); }, "good.h5: no dataset '/y'");
  std::vector<float> out(10);
  expect_input_error([&] { File::open(good).dataset("/x").read<float>(out, {60, 0}, {10, 1}); }, "outside");

  // A truncated copy: the superblock survives, the data does not.
  const std::string truncated = path("truncated.h5");
  fs::copy_file(good, truncated);
  fs::resize_file(truncated, 1000);
  expect_input_error([&] {
    File f = File::open(truncated);
    f.dataset("/x").read_all<float>();
  }, "truncated.h5");
}

TEST_F(H5, CreateInMissingDirectoryIsAnIoError) {
  EXPECT_THROW(File::create(path("no/such/dir/x.h5")), IoError);
}

TEST(H5Version, NamesParallelBuild) { EXPECT_NE(hdf5_version().find("parallel"), std::string::npos); }

}  // namespace
}  // namespace coact::io

#include "coact/io/provenance.h"

namespace coact::io {
namespace {

TEST(Provenance, WrittenAndCheckedByKind) {
  const std::string file = (std::filesystem::temp_directory_path() / ("coact_prov_" + std::to_string(::getpid()) + ".h5")).string();
  {
    File f = File::create(file);
    write_provenance(f, {"graph", "coact graph --k 4", "k = 4\n", {{"sae", "sae_52.h5"}}});
  }
  File f = File::open(file);
  EXPECT_EQ(file_kind(f), "graph");
  EXPECT_NO_THROW(require_kind(f, "graph"));
  EXPECT_THROW(require_kind(f, "sae"), InputError);
  auto a = f.attributes();
  EXPECT_EQ(a.get_string("producer").rfind("coact ", 0), 0u);
  EXPECT_EQ(a.get_string("command_line"), "coact graph --k 4");
  EXPECT_EQ(a.get_string("input_sae"), "sae_52.h5");
  EXPECT_EQ(a.get_int("format_version"), kFormatVersion);
  EXPECT_EQ(a.get_string("created").size(), 20u);
  std::filesystem::remove(file);
}

}  // namespace
}  // namespace coact::io
