// describe / --check of compare.h5, and the consistency checks every reader makes. The file is
// written here in the layout `coact compare` writes (docs/formats.md, "compare.h5"), so that
// each test can break one thing.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <functional>
#include <string>

#include "coact/compare/comparison_check.h"
#include "coact/core/errors.h"
#include "coact/io/h5.h"
#include "coact/io/provenance.h"
#include "support/temp_dir.h"

namespace coact::compare {
namespace {

constexpr std::int64_t kN = 4;
const double kNan = std::nan("");

// Two SAEs of 4 features, matched 0->1, 1->0, 2->2, 3->3; decoder cosines 0.9, 0.8, 0.1, 0.75
// against threshold 0.7: three shared.
void write_valid(const std::string& path) {
  io::File f = io::File::create(path);
  io::write_provenance(f, {"compare", "coact compare", "", {}});
  auto a = f.attributes();
  a.set("threshold", 0.7);
  a.set("method", "exact");
  a.set("match", "decoder");
  a.set("baseline_seed", std::int64_t{0});
  a.set("strength_bins", std::int64_t{20});
  a.set("n_saes", std::int64_t{2});
  a.set("ground_truth", std::int64_t{0});
  for (int i = 0; i < 2; ++i) {
    const std::string group = str("/saes/", i);
    f.create_group(group);
    auto g = f.group_attributes(group);
    g.set("path", str("sae_", i, ".h5"));
    g.set("hash", "sha256:00");
    g.set("graph", str("graph_", i, ".h5"));
    g.set("seed", std::int64_t{i});
    g.set("d_in", std::int64_t{3});
    g.set("n_features", kN);
    g.set("graph_nodes", static_cast<double>(kN));
    g.set("graph_edges", 2.0);
    // The rest of the graph statistics every compare.h5 holds (docs/formats.md).
    for (const char* name : {"graph_average_degree", "graph_density", "graph_average_clustering",
                             "graph_pearson_degree_frequency"})
      g.set(name, 0.25);
    g.set("graph_components", 3.0);
    g.set("graph_largest_component", 2.0);
    g.set("graph_component_sizes", std::vector<std::int64_t>{2, 1, 1});
  }
  f.write_dataset<std::int64_t>("/pairs/0_1/matching", std::vector<std::int64_t>{1, 0, 2, 3}, {kN});
  f.write_dataset<float>("/pairs/0_1/decoder_cosine", std::vector<float>{0.9f, 0.8f, 0.1f, 0.75f}, {kN});
  f.write_dataset<float>("/pairs/0_1/encoder_cosine", std::vector<float>{0.5f, -0.2f, 0.0f, 1.0f}, {kN});
  f.write_dataset<std::uint8_t>("/pairs/0_1/shared", std::vector<std::uint8_t>{1, 1, 0, 1}, {kN});
  auto p = f.group_attributes("/pairs/0_1");
  p.set("first", std::int64_t{0});
  p.set("second", std::int64_t{1});
  p.set("method", "exact");
  p.set("match", "decoder");
  p.set("shared_fraction", 0.75);
  p.set("shared_features", 3.0);
  p.set("js_degree", 0.125);
  f.write_dataset<double>("/summary/shared_fraction", std::vector<double>{kNan, 0.75, 0.75, kNan}, {2, 2});
  f.write_dataset<double>("/summary/shared_features", std::vector<double>{kNan, 3.0, 3.0, kNan}, {2, 2});
  f.write_dataset<double>("/summary/js_degree", std::vector<double>{kNan, 0.125, 0.125, kNan}, {2, 2});
  f.close();
}

std::string message_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const InputError& e) {
    return e.what();
  }
  ADD_FAILURE() << "no InputError";
  return "";
}

class ComparisonChecks : public ::testing::Test {
 protected:
  void SetUp() override {
    std::filesystem::remove(path_);
    write_valid(path_);
  }
  io::File open() { return io::File::open(path_, io::File::Mode::ReadWrite); }
  template <class T>
  void rewrite(const std::string& dataset, const std::function<void(std::vector<T>&)>& change) {
    io::File f = open();
    std::vector<T> values = f.dataset(dataset).read_all<T>();
    change(values);
    f.dataset(dataset).write<T>(values);
  }
  std::string refused_everywhere() {
    const std::string read = message_of([&] { read_comparison(path_); });
    EXPECT_EQ(message_of([&] { describe_comparison(path_); }), read);
    EXPECT_EQ(message_of([&] { check_comparison(path_); }), read);
    return read;
  }
  testing::TempDir dir_;
  std::string path_ = dir_.file("compare.h5");
};

TEST_F(ComparisonChecks, AValidFileDescribesAndChecks) {
  const ComparisonSummary s = describe_comparison(path_);
  EXPECT_EQ(s.method, "exact");
  EXPECT_EQ(s.file.saes.size(), 2u);
  ASSERT_EQ(s.file.pairs.size(), 1u);
  EXPECT_DOUBLE_EQ(s.file.pairs[0].values.shared_fraction, 0.75);
  const ComparisonCheckReport r = check_comparison(path_);
  EXPECT_EQ(r.pairs, 1);
  EXPECT_EQ(r.matched_features, kN);
  EXPECT_EQ(r.summary_values, 12);
}

TEST_F(ComparisonChecks, InconsistentAttributesAreRefusedByEveryReader) {
  open().attributes().set("threshold", 1.5);
  EXPECT_NE(refused_everywhere().find(path_ + ":/: attribute 'threshold' is 1.5"), std::string::npos);
  SetUp();
  open().attributes().set("match", "tokens");
  EXPECT_NE(refused_everywhere().find("attribute 'match' is 'tokens'"), std::string::npos);
  SetUp();
  open().attributes().set("n_saes", std::int64_t{3});
  EXPECT_NE(refused_everywhere().find("missing group /saes/2"), std::string::npos);
  SetUp();
  open().group_attributes("/saes/1").set("graph_nodes", 5.0);
  EXPECT_NE(refused_everywhere().find(path_ + ":/saes/1: attribute 'graph_nodes' is 5 but the SAE has n_features 4"),
            std::string::npos);
  SetUp();
  open().group_attributes("/pairs/0_1").set("second", std::int64_t{0});
  EXPECT_NE(refused_everywhere().find(":/pairs/0_1: attribute 'second' is 0, expected 1"), std::string::npos);
  SetUp();
  {
    io::File f = open();
    f.group_attributes("/saes/0").set("n_features", std::int64_t{5});
    f.group_attributes("/saes/0").set("graph_nodes", 5.0);
  }
  EXPECT_NE(refused_everywhere().find(":/pairs/0_1/matching: shape [4], expected [5]"), std::string::npos);
}

TEST_F(ComparisonChecks, CheckScansMatchingsCosinesSharedAndSummaries) {
  rewrite<std::int64_t>("/pairs/0_1/matching", [](auto& m) { m[3] = 2; });
  EXPECT_NE(message_of([&] { check_comparison(path_); }).find("/matching: feature 2 of SAE 1 is matched twice"), std::string::npos);
  SetUp();
  rewrite<std::int64_t>("/pairs/0_1/matching", [](auto& m) { m[0] = 4; });
  EXPECT_NE(message_of([&] { check_comparison(path_); }).find("/matching: feature 0 is matched to 4, outside [0, 4)"),
            std::string::npos);
  SetUp();
  rewrite<float>("/pairs/0_1/encoder_cosine", [](auto& c) { c[1] = 1.5f; });
  EXPECT_NE(message_of([&] { check_comparison(path_); }).find("/encoder_cosine: feature 1 has 1.5"), std::string::npos);
  SetUp();
  rewrite<std::uint8_t>("/pairs/0_1/shared", [](auto& s) { s[2] = 1; });
  EXPECT_NE(message_of([&] { check_comparison(path_); }).find("/shared: feature 2 is 1 but its similarity 0.1 is below the threshold 0.7"),
            std::string::npos);
  SetUp();
  open().group_attributes("/pairs/0_1").set("shared_fraction", 0.5);
  EXPECT_NE(message_of([&] { check_comparison(path_); }).find("attribute 'shared_fraction' is 0.5 but 3 of 4 features are shared"),
            std::string::npos);
  SetUp();
  rewrite<double>("/summary/js_degree", [](auto& v) { v[2] = 0.5; });
  EXPECT_NE(message_of([&] { check_comparison(path_); }).find("/summary/js_degree: entry [1, 0] is 0.5 but /pairs/0_1 has js_degree = 0.125"),
            std::string::npos);
}

}  // namespace
}  // namespace coact::compare
