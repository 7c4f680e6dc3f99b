// Q2's global searches spread over 1, 2 and 3 ranks (SearchHelpers): the root gets the ranks
// one process computes, for query counts that do not divide by the ranks and for none; a root
// that throws between searches releases the others, and every rank ends with its error.
#include <gtest/gtest.h>

#include <cstdint>
#include <stdexcept>
#include <string>
#include <tuple>
#include <vector>

#include "coact/core/errors.h"
#include "coact/core/rng.h"
#include "coact/dist/root.h"
#include "search_helpers.h"
#include "support/mpi_env.h"

namespace coact::compare {
namespace {

using coact::testing::world;

struct Search {
  std::vector<double> stats1, stats2;
  std::vector<std::int64_t> queries, target;
  int columns;
};

// Statistics on a coarse grid (many ties at equal distance, which count against the query).
Search random_search(std::int64_t n1, std::int64_t n2, std::int64_t queries, int columns, std::uint64_t seed) {
  CounterRng rng(seed, 3);
  Search s{{}, {}, {}, {}, columns};
  s.stats1.resize(static_cast<std::size_t>(n1 * columns));
  s.stats2.resize(static_cast<std::size_t>(n2 * columns));
  const auto below = [&](std::int64_t m) { return static_cast<std::int64_t>(rng.uniform_double() * static_cast<double>(m)); };
  for (double& x : s.stats1) x = static_cast<double>(below(5)) / 2;
  for (double& x : s.stats2) x = static_cast<double>(below(5)) / 2;
  for (std::int64_t f = 0; f < n1; ++f) s.target.push_back(below(n2));
  for (std::int64_t q = 0; q < queries; ++q) s.queries.push_back((q * 7) % n1);
  return s;
}

std::vector<double> ranks_over_ranks(const Search& s) {
  SearchHelpers helpers(world());
  helpers.serve();
  std::vector<double> ranks;
  dist::run_on_root(world(), [&] {
    const ReleaseHelpers release(helpers);
    ranks = helpers.ranker()(s.stats1, s.stats2, s.queries, s.target, s.columns);
  });
  return ranks;
}

TEST(SearchHelpers, TheRootGetsTheRanksOneProcessComputes) {
  for (const auto& [n1, n2, queries, columns] :
       std::vector<std::tuple<std::int64_t, std::int64_t, std::int64_t, int>>{
           {50, 61, 37, 6}, {9, 1200, 8, 9}, {5, 4, 1, 6}, {20, 20, 0, 6}}) {
    const Search s = random_search(n1, n2, queries, columns, static_cast<std::uint64_t>(n1 * 1000 + queries));
    const std::vector<double> got = ranks_over_ranks(s);
    if (!world().is_root()) continue;
    const std::vector<double> want = global_ranks(s.stats1, s.stats2, s.queries, s.target, s.columns);
    ASSERT_EQ(got.size(), static_cast<std::size_t>(queries));
    EXPECT_EQ(got, want) << n1 << " x " << n2 << ", " << queries << " queries";
  }
}

TEST(SearchHelpers, SeveralSearchesInOneAnalysis) {
  // As compare_pair makes them: a Q2 search, then another of other widths.
  const Search a = random_search(40, 70, 33, 6, 1), b = random_search(40, 70, 17, 9, 2);
  SearchHelpers helpers(world());
  helpers.serve();
  SearchScore score;
  std::vector<double> second;
  dist::run_on_root(world(), [&] {
    const ReleaseHelpers release(helpers);
    score = global_search(a.stats1, a.stats2, a.queries, a.target, a.columns, helpers.ranker());
    second = helpers.ranker()(b.stats1, b.stats2, b.queries, b.target, b.columns);
  });
  if (!world().is_root()) return;
  const SearchScore want = global_search(a.stats1, a.stats2, a.queries, a.target, a.columns);
  EXPECT_EQ(score.queries, 33);
  EXPECT_EQ(score.mrr, want.mrr);
  EXPECT_EQ(score.median_rank, want.median_rank);
  EXPECT_EQ(score.hit_at_10, want.hit_at_10);
  EXPECT_EQ(second, global_ranks(b.stats1, b.stats2, b.queries, b.target, b.columns));
}

TEST(SearchHelpers, ARootThatThrowsReleasesTheOthersWithItsError) {
  const Search s = random_search(30, 40, 11, 6, 9);
  SearchHelpers helpers(world());
  helpers.serve();
  try {
    dist::run_on_root(world(), [&] {
      const ReleaseHelpers release(helpers);
      helpers.ranker()(s.stats1, s.stats2, s.queries, s.target, s.columns);
      throw InputError("graph_55.h5: the analysis failed after one search");
    });
    FAIL() << "no error on rank " << world().rank();
  } catch (const std::exception& e) {
    EXPECT_NE(std::string(e.what()).find("after one search"), std::string::npos) << e.what();
  }
  // The ranks are still in step: a collective after the failure completes with everyone.
  EXPECT_EQ(world().allreduce_sum(std::int64_t{1}), world().size());
}

}  // namespace
}  // namespace coact::compare
