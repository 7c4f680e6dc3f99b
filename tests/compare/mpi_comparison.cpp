// run_comparison called collectively on 1, 2 and 3 ranks writes the compare.h5 that the
// single-process run_comparison writes, and a bad input fails on every rank alike.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <filesystem>

#include "coact/backend/backend.h"
#include "coact/compare/comparison.h"
#include "coact/compare/shared_errors.h"
#include "coact/compare/stability.h"
#include "coact/core/rng.h"
#include "coact/core/sha256.h"
#include "coact/graph/graph_file.h"
#include "coact/io/h5.h"
#include "coact/sae/checkpoint.h"
#include "support/mpi_env.h"

namespace coact::compare {
namespace {

namespace fs = std::filesystem;
using coact::testing::world;

constexpr std::int64_t kWidth = 12, kFeatures = 45;

// The root writes two SAEs (the second: the first's features permuted, most of them perturbed)
// and a random graph for each; every rank gets the folder.
class CollectiveComparison : public ::testing::Test {
 protected:
  void SetUp() override {
    std::int64_t pid = world().broadcast_value<std::int64_t>(::getpid(), 0);
    dir_ = fs::temp_directory_path() / ("coact_mpi_comparison_" + std::to_string(pid) + "_" +
                                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    if (world().is_root()) {
      fs::create_directories(dir_);
      write_pair();
    }
    world().barrier();
  }
  void TearDown() override {
    world().barrier();
    if (world().is_root()) fs::remove_all(dir_);
  }
  std::string path(const std::string& name) const { return (dir_ / name).string(); }

  void write_pair() {
    CounterRng rng(7, 1);
    sae::SaeTensors a = sae::SaeTensors::zeros(kWidth, kFeatures);
    for (float& x : a.w_dec) x = static_cast<float>(rng.normal());
    for (float& x : a.w_enc) x = static_cast<float>(rng.normal());
    sae::SaeTensors b = a;
    for (std::int64_t f = 0; f < kFeatures; ++f) {
      const std::int64_t to = (f * 7 + 3) % kFeatures;  // 7 is invertible mod 45
      for (std::int64_t k = 0; k < kWidth; ++k) {
        const float noise = f % 5 == 0 ? 3.0f : 0.2f;  // every fifth feature barely related
        b.w_dec[static_cast<std::size_t>(to * kWidth + k)] =
            a.w_dec[static_cast<std::size_t>(f * kWidth + k)] + noise * static_cast<float>(rng.normal());
      }
    }
    write_side(a, 52);
    write_side(b, 55);
  }

  void write_side(const sae::SaeTensors& params, std::uint64_t seed) {
    sae::Checkpoint c;
    c.config.seed = seed;
    c.config.d_in = kWidth;
    c.config.n_features = kFeatures;
    c.params = params;
    const std::string sae_path = path("sae_" + std::to_string(seed) + ".h5");
    sae::write_checkpoint(sae_path, false, c, {});
    CounterRng rng(seed, 2);
    std::vector<graph::EdgeSum> edges;
    for (graph::NodeId i = 0; i < kFeatures; ++i)
      for (graph::NodeId j = i + 1; j < kFeatures; ++j)
        if (rng.uniform() < 0.15) edges.push_back({i, j, 1 + static_cast<std::int64_t>(rng.below(5)), rng.uniform_double()});
    const graph::CsrGraph g = graph::CsrGraph::from_edge_sums(kFeatures, edges);
    std::vector<double> frequency(kFeatures);
    std::vector<std::int64_t> topk(kFeatures);
    for (std::int64_t f = 0; f < kFeatures; ++f) {
      frequency[static_cast<std::size_t>(f)] = 0.01 + 0.5 * rng.uniform_double();
      topk[static_cast<std::size_t>(f)] = static_cast<std::int64_t>(rng.below(10));
    }
    graph::GraphAttributes attributes;
    attributes.k = 4;
    attributes.batch_tokens = 1024;
    attributes.num_batches = 2;
    attributes.zero_policy = "positive";
    attributes.tokens_seen = 2048;
    attributes.sae_file = sae_path;
    attributes.sae_hash = file_sha256(sae_path);
    graph::write_graph_file(path("graph_" + std::to_string(seed) + ".h5"), false, g, frequency, topk, attributes);
  }

  ComparisonOptions options(const std::string& out) const {
    ComparisonOptions o;
    o.saes = {path("sae_52.h5"), path("sae_55.h5")};
    o.graphs = {path("graph_52.h5"), path("graph_55.h5")};
    o.out = path(out);
    // Small tiles and few candidates: blocks end mid-share and pricing has work to do.
    o.pair.matching.block_rows = 4;
    o.pair.matching.block_columns = 7;
    o.pair.matching.row_candidates = 2;
    o.pair.matching.column_candidates = 1;
    return o;
  }

  fs::path dir_;
};

TEST_F(CollectiveComparison, EveryRankCountWritesTheSingleProcessFile) {
  const auto cpu = backend::make_backend(backend::DeviceRequest::Cpu);
  const ComparisonFile collective = run_comparison(*cpu, world(), options("collective.h5"));
  if (!world().is_root()) {
    EXPECT_TRUE(collective.pairs.empty());
    return;
  }
  const ComparisonFile alone = run_comparison(*cpu, options("alone.h5"));
  ASSERT_EQ(collective.pairs.size(), 1u);
  const auto& values = collective.pairs[0].values;
  const auto& reference = alone.pairs[0].values;
  EXPECT_EQ(values.certified, 1.0);
  EXPECT_EQ(values.matching_ranks, static_cast<double>(world().size()));
  EXPECT_GT(values.matching_block_bytes, 0.0);
  EXPECT_GT(values.matching_rank_bytes, values.matching_block_bytes);
  for (const char* key : {"shared_fraction", "matching_cost", "mean_matched_cosine", "edge_jaccard", "q2_hit_at_10"}) {
    const PairSummaryField* field = find_pair_summary_field(key);
    ASSERT_NE(field, nullptr) << key;
    EXPECT_NEAR(*field->get(values), *field->get(reference), 1e-6) << key;
  }
  const io::File a = io::File::open(path("collective.h5")), b = io::File::open(path("alone.h5"));
  EXPECT_EQ(a.dataset("/pairs/0_1/matching").read_all<std::int64_t>(), b.dataset("/pairs/0_1/matching").read_all<std::int64_t>());
  EXPECT_EQ(a.group_attributes("/pairs/0_1").get_string("matching_path"), "blocked");
  // The planted permutation, except the barely related fifth features, is recovered.
  const std::vector<std::int64_t> matching = a.dataset("/pairs/0_1/matching").read_all<std::int64_t>();
  for (std::int64_t f = 0; f < kFeatures; ++f) {
    if (f % 5 != 0) {
      EXPECT_EQ(matching[static_cast<std::size_t>(f)], (f * 7 + 3) % kFeatures) << f;
    }
  }
  const ComparisonFile read = read_comparison(path("collective.h5"));
  EXPECT_EQ(read.pairs[0].values.matching_block_bytes, values.matching_block_bytes);
  // The stability's best cosines (the matching's first pass and the null pass, both over every
  // rank) and what is counted from them are those of one process.
  const std::optional<Stability> spread = read_stability(path("collective.h5")), single = read_stability(path("alone.h5"));
  ASSERT_TRUE(spread && single);
  ASSERT_EQ(spread->pairs.size(), 1u);
  const PairStability &p = spread->pairs[0], &q = single->pairs[0];
  for (const auto& [got, want] : {std::pair{&p.max_cosine_first, &q.max_cosine_first}, {&p.max_cosine_second, &q.max_cosine_second},
                                  {&p.null_max_cosine_first, &q.null_max_cosine_first},
                                  {&p.null_max_cosine_second, &q.null_max_cosine_second}}) {
    ASSERT_EQ(got->size(), static_cast<std::size_t>(kFeatures));
    for (std::size_t f = 0; f < got->size(); ++f) EXPECT_NEAR((*got)[f], (*want)[f], 1e-6) << f;
  }
  EXPECT_NEAR(p.pw_mcc, q.pw_mcc, 1e-6);
  EXPECT_NEAR(p.null_pw_mcc, q.null_pw_mcc, 1e-6);
  EXPECT_EQ(spread->per_sae[0].stable_count, single->per_sae[0].stable_count);
  EXPECT_EQ(spread->per_sae[1].null_stable_count, single->per_sae[1].null_stable_count);
  // How the matching ran is an attribute of the pair, not a seeds × seeds result.
  EXPECT_FALSE(a.has("/summary/matching_seconds"));
  EXPECT_TRUE(a.has("/summary/shared_fraction"));
}

TEST_F(CollectiveComparison, GreedyRunsOverRanksToo) {
  const auto cpu = backend::make_backend(backend::DeviceRequest::Cpu);
  ComparisonOptions o = options("greedy.h5");
  o.pair.greedy = true;
  run_comparison(*cpu, world(), o);
  if (!world().is_root()) return;
  o.out = path("greedy_alone.h5");
  run_comparison(*cpu, o);
  const io::File a = io::File::open(path("greedy.h5")), b = io::File::open(path("greedy_alone.h5"));
  EXPECT_EQ(a.dataset("/pairs/0_1/matching").read_all<std::int64_t>(), b.dataset("/pairs/0_1/matching").read_all<std::int64_t>());
  EXPECT_EQ(a.group_attributes("/pairs/0_1").get_string("method"), "greedy");
}

TEST_F(CollectiveComparison, ARootFailureEndsEveryRank) {
  const auto cpu = backend::make_backend(backend::DeviceRequest::Cpu);
  ComparisonOptions o = options("bad.h5");
  std::swap(o.graphs[0], o.graphs[1]);  // each graph was built from the other SAE
  try {
    run_comparison(*cpu, world(), o);
    ADD_FAILURE() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("was built from"), std::string::npos) << e.what();
    if (world().size() > 1) {
      EXPECT_TRUE(e.collective());
    }
  }
  EXPECT_FALSE(fs::exists(path("bad.h5")));
}

}  // namespace
}  // namespace coact::compare
