// The blocked matcher on 1, 2 and 3 ranks against the dense solvers on the full cost matrix
// (cosine_cost + solve_assignment, verify_optimality; greedy_assignment), with tiles forced
// small so that blocks and chunks end mid-row, shares of uneven size, and candidate counts so
// low that pricing must add entries.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <numeric>
#include <utility>
#include <vector>

#include "coact/backend/backend.h"
#include "coact/compare/assignment.h"
#include "coact/compare/blocked_matching.h"
#include "coact/compare/cosine_cost.h"
#include "coact/compare/greedy_assignment.h"
#include "coact/compare/shared_errors.h"
#include "coact/core/errors.h"
#include "coact/core/rng.h"
#include "coact/core/strings.h"
#include "support/mpi_env.h"

namespace coact::compare {
namespace {

using coact::testing::world;

struct Decoders {
  std::int64_t n1 = 0, n2 = 0, d = 0;
  std::vector<float> a, b;  // n1×d, n2×d
};

// Gaussian rows (random cosines around 0).
Decoders random_decoders(std::int64_t n1, std::int64_t n2, std::int64_t d, std::uint64_t seed) {
  Decoders m{n1, n2, d, std::vector<float>(static_cast<std::size_t>(n1 * d)), std::vector<float>(static_cast<std::size_t>(n2 * d))};
  CounterRng rng(seed, 7);
  for (float& x : m.a) x = static_cast<float>(rng.normal());
  for (float& x : m.b) x = static_cast<float>(rng.normal());
  return m;
}

// Row i of A planted at perm[i] of B with cosine in [0.7, 0.95) (noise orthogonal to it):
// the permutation is the unique optimum. Rows of B beyond n1 are fresh.
Decoders planted_decoders(std::int64_t n1, std::int64_t n2, std::int64_t d, std::uint64_t seed,
                          std::vector<std::int32_t>& perm) {
  Decoders m = random_decoders(n1, n2, d, seed);
  CounterRng rng(seed, 9);
  perm.resize(static_cast<std::size_t>(n2));
  std::iota(perm.begin(), perm.end(), 0);
  for (std::int64_t i = n2 - 1; i > 0; --i) std::swap(perm[static_cast<std::size_t>(i)], perm[rng.below(static_cast<std::uint64_t>(i + 1))]);
  perm.resize(static_cast<std::size_t>(n1));
  for (std::int64_t i = 0; i < n1; ++i) {
    const float* w = m.a.data() + i * d;
    std::vector<double> noise(static_cast<std::size_t>(d));
    double along = 0, wn = 0;
    for (std::int64_t k = 0; k < d; ++k) {
      noise[static_cast<std::size_t>(k)] = rng.normal();
      along += noise[static_cast<std::size_t>(k)] * w[k];
      wn += static_cast<double>(w[k]) * w[k];
    }
    double nn = 0;
    for (std::int64_t k = 0; k < d; ++k) {
      noise[static_cast<std::size_t>(k)] -= along / wn * w[k];
      nn += noise[static_cast<std::size_t>(k)] * noise[static_cast<std::size_t>(k)];
    }
    const double c = 0.7 + 0.25 * rng.uniform_double();
    float* target = m.b.data() + static_cast<std::int64_t>(perm[static_cast<std::size_t>(i)]) * d;
    for (std::int64_t k = 0; k < d; ++k) {
      target[k] = static_cast<float>(c * w[k] / std::sqrt(wn) + std::sqrt(1 - c * c) * noise[static_cast<std::size_t>(k)] / std::sqrt(nn));
    }
  }
  return m;
}

// Rows drawn from a few distinct vectors: many exactly equal costs.
Decoders tied_decoders(std::int64_t n1, std::int64_t n2, std::int64_t d, int distinct, std::uint64_t seed) {
  const Decoders pool = random_decoders(distinct, distinct, d, seed);
  Decoders m{n1, n2, d, std::vector<float>(static_cast<std::size_t>(n1 * d)), std::vector<float>(static_cast<std::size_t>(n2 * d))};
  CounterRng rng(seed, 11);
  for (std::int64_t i = 0; i < n1; ++i) {
    const auto from = static_cast<std::int64_t>(rng.below(static_cast<std::uint64_t>(distinct)));
    std::copy_n(pool.a.data() + from * d, d, m.a.data() + i * d);
  }
  for (std::int64_t j = 0; j < n2; ++j) {
    const auto from = static_cast<std::int64_t>(rng.below(static_cast<std::uint64_t>(distinct)));
    std::copy_n(pool.b.data() + from * d, d, m.b.data() + j * d);
  }
  return m;
}

MatrixView<const float> share_of(const std::vector<float>& rows, std::int64_t count, std::int64_t d) {
  const RowShare s = row_share(count, world().rank(), world().size());
  return {rows.data() + s.begin * d, s.count(), d};
}

BlockedMatching run_blocked(const Decoders& m, BlockedMatchingOptions options) {
  const auto cpu = backend::make_backend(backend::DeviceRequest::Cpu);
  return blocked_cosine_matching(*cpu, world(), share_of(m.a, m.n1, m.d), m.n1, share_of(m.b, m.n2, m.d), m.n2, options);
}

std::vector<float> dense_cost(const Decoders& m) {
  const auto cpu = backend::make_backend(backend::DeviceRequest::Cpu);
  return cosine_cost(*cpu, {m.a.data(), m.n1, m.d}, {m.b.data(), m.n2, m.d});
}

// Small tiles (blocks and chunks end mid-row and mid-share) and few candidates.
BlockedMatchingOptions small_tiles(int row_candidates = 3, int column_candidates = 2) {
  BlockedMatchingOptions o;
  o.block_rows = 7;
  o.block_columns = 11;
  o.row_candidates = row_candidates;
  o.column_candidates = column_candidates;
  o.pricing_entries = 4;
  return o;
}

// The blocked optimum equals the dense one: the same total cost and, when `same_matching` (no
// exact ties), the same matching; a certificate on every rank; matched costs as the dense
// matrix holds them. Tiles of other shapes than the dense GEMM's may round a dot product
// differently (OpenBLAS takes other kernels for small ones): costs agree to 1e-6 each.
// `entry_rounding` bounds how far below zero a reduced cost may come out: 1e-9 when every entry
// is seen once by the pricing bookkeeping; a recheck recomputes every entry in tiles of another
// shape, so its reduced costs carry that rounding (the certificate's tolerance, 1e-6).
void expect_dense_optimum(const Decoders& m, const BlockedMatching& blocked, bool same_matching,
                          double entry_rounding = 1e-9) {
  const std::vector<float> cost = dense_cost(m);
  const MatrixView<const float> view(cost.data(), m.n1, m.n2);
  AssignmentOptions dense_options;
  dense_options.method = AssignmentMethod::DenseShortestPath;
  const Assignment dense = solve_assignment(view, dense_options);
  ASSERT_EQ(blocked.assignment.column_of_row.size(), static_cast<std::size_t>(m.n1));
  const double rounding = 1e-6 * static_cast<double>(m.n1);
  EXPECT_NEAR(blocked.assignment.cost, dense.cost, rounding);
  EXPECT_NEAR(assignment_cost(view, blocked.assignment.column_of_row), dense.cost, 1e-9 * std::max(1.0, dense.cost));
  if (same_matching) {
    EXPECT_EQ(blocked.assignment.column_of_row, dense.column_of_row);
  }
  for (std::int64_t i = 0; i < m.n1; ++i) {
    ASSERT_NEAR(blocked.matched_cost[static_cast<std::size_t>(i)],
                view(i, blocked.assignment.column_of_row[static_cast<std::size_t>(i)]), 1e-6)
        << i;
  }
  EXPECT_TRUE(blocked.certificate.optimal) << blocked.certificate.problem;
  EXPECT_GE(blocked.certificate.min_reduced_cost, -entry_rounding);
  // gap ≤ Σ matched reduced costs + n1·max(0, −min reduced cost).
  EXPECT_LE(blocked.certificate.gap_bound, std::max(1e-6, 2.0 * static_cast<double>(m.n1) * entry_rounding));
  if (world().is_root()) {
    // The root's potentials certify the matching on the dense matrix, independently.
    const OptimalityCertificate full = verify_optimality(view, blocked.assignment, 1e-6);
    EXPECT_TRUE(full.optimal) << full.problem;
  }
}

TEST(BlockedMatching, RowSharesCoverEveryRowOnce) {
  for (const std::int64_t rows : {0, 1, 2, 5, 101, 1000}) {
    for (int ranks = 1; ranks <= 7; ++ranks) {
      std::int64_t next = 0;
      for (int r = 0; r < ranks; ++r) {
        const RowShare s = row_share(rows, r, ranks);
        EXPECT_EQ(s.begin, next);
        EXPECT_LE(s.count(), rows / ranks + 1);
        EXPECT_GE(s.count(), rows / ranks);
        next = s.end;
      }
      EXPECT_EQ(next, rows);
    }
  }
}

TEST(BlockedMatching, RandomSquareEqualsTheDenseOptimum) {
  for (const std::uint64_t seed : {1u, 2u, 3u}) {
    const Decoders m = random_decoders(101, 101, 13, seed);  // 101 rows: no rank count divides it
    const BlockedMatching blocked = run_blocked(m, small_tiles());
    expect_dense_optimum(m, blocked, true);
    EXPECT_EQ(blocked.stats.method, "blocked-pricing");
  }
}

TEST(BlockedMatching, PlantedPermutationIsFound) {
  std::vector<std::int32_t> perm;
  const Decoders m = planted_decoders(150, 150, 32, 5, perm);
  const BlockedMatching blocked = run_blocked(m, small_tiles());
  EXPECT_EQ(blocked.assignment.column_of_row, perm);
  expect_dense_optimum(m, blocked, true);
  // Default tiles (one block, one chunk per rank) give the same answer.
  const BlockedMatching whole = run_blocked(m, {});
  EXPECT_EQ(whole.assignment.column_of_row, perm);
}

TEST(BlockedMatching, PricingRoundsAddWhatTheCandidatesMissed) {
  // One candidate per row and per column cannot hold the optimum of a random instance: the
  // pricing passes must find entries of negative reduced cost and add them.
  const Decoders m = random_decoders(120, 120, 6, 8);
  const BlockedMatching blocked = run_blocked(m, small_tiles(1, 1));
  expect_dense_optimum(m, blocked, true);
  EXPECT_GE(blocked.stats.pricing_rounds, 1);
  EXPECT_GT(blocked.stats.priced_rows, 0);
  EXPECT_GE(blocked.stats.passes, 2);
  if (world().is_root()) {
    EXPECT_GT(blocked.stats.priced_entries, 0);
  }
  // Pricing recomputes only some rows: less GEMM work than one more full pass per round.
  EXPECT_LT(blocked.stats.full_pass_equivalents, 1.0 + blocked.stats.pricing_rounds);
}

TEST(BlockedMatching, RectangularMatchesEveryRowOfTheSmallerSide) {
  for (const auto& [n1, n2] : {std::pair<std::int64_t, std::int64_t>{60, 97}, {37, 150}, {2, 5}, {1, 1}}) {
    const Decoders m = random_decoders(n1, n2, 9, static_cast<std::uint64_t>(n1 * 1000 + n2));
    const BlockedMatching blocked = run_blocked(m, small_tiles());
    expect_dense_optimum(m, blocked, true);
    EXPECT_LE(blocked.certificate.free_column_excess, 1e-9);
  }
  // Feature splitting: each of 40 features of A planted in a wider B of 160.
  std::vector<std::int32_t> perm;
  const Decoders split = planted_decoders(40, 160, 24, 21, perm);
  const BlockedMatching blocked = run_blocked(split, small_tiles(1, 1));
  EXPECT_EQ(blocked.assignment.column_of_row, perm);
  expect_dense_optimum(split, blocked, true);
}

TEST(BlockedMatching, TiesGiveTheOptimalCost) {
  // Rows repeat a few vectors: exact ties everywhere, so only the cost is unique.
  for (const int distinct : {1, 2, 5}) {
    const Decoders m = tied_decoders(64, 64, 7, distinct, 30 + static_cast<std::uint64_t>(distinct));
    expect_dense_optimum(m, run_blocked(m, small_tiles()), false);
    const Decoders rect = tied_decoders(30, 45, 7, distinct, 40 + static_cast<std::uint64_t>(distinct));
    expect_dense_optimum(rect, run_blocked(rect, small_tiles(2, 1)), false);
  }
}

TEST(BlockedMatching, RecheckRecomputesTheCertificate) {
  const Decoders m = random_decoders(90, 90, 10, 12);
  BlockedMatchingOptions o = small_tiles(2, 1);
  o.recheck = true;
  const BlockedMatching blocked = run_blocked(m, o);
  expect_dense_optimum(m, blocked, true, o.certificate_tolerance);
  const BlockedMatching plain = run_blocked(m, small_tiles(2, 1));
  EXPECT_EQ(blocked.stats.passes, plain.stats.passes + 1);
  EXPECT_LE(blocked.certificate.max_matched_reduced_cost, 1e-6);
}

TEST(BlockedMatching, GreedyEqualsTheDenseGreedy) {
  std::vector<std::int32_t> perm;
  const Decoders cases[] = {random_decoders(80, 80, 8, 3), random_decoders(50, 77, 8, 4),
                            tied_decoders(60, 60, 5, 3, 9), planted_decoders(70, 90, 16, 6, perm)};
  for (const Decoders& m : cases) {
    BlockedMatchingOptions o = small_tiles(1, 1);
    o.greedy = true;
    const BlockedMatching blocked = run_blocked(m, o);
    const std::vector<float> cost = dense_cost(m);
    const Assignment dense = greedy_assignment({cost.data(), m.n1, m.n2});
    EXPECT_EQ(blocked.assignment.column_of_row, dense.column_of_row);
    EXPECT_NEAR(blocked.assignment.cost, dense.cost, 1e-6 * static_cast<double>(m.n1));
    EXPECT_FALSE(blocked.certificate.optimal);
    EXPECT_TRUE(blocked.certificate.valid_assignment);
    EXPECT_EQ(blocked.stats.method, "blocked-greedy");
  }
}

TEST(BlockedMatching, GreedyRefillsRowsThatRanOut) {
  // Every row of A is the same vector: each wants the columns in the same order, so one entry
  // per row runs out at once and rows must be refilled, more entries each time.
  const Decoders m = tied_decoders(40, 40, 6, 1, 2);
  Decoders varied = random_decoders(40, 40, 6, 2);
  varied.a = m.a;
  BlockedMatchingOptions o = small_tiles(1, 1);
  o.greedy = true;
  const BlockedMatching blocked = run_blocked(varied, o);
  const std::vector<float> cost = dense_cost(varied);
  EXPECT_EQ(blocked.assignment.column_of_row, greedy_assignment({cost.data(), varied.n1, varied.n2}).column_of_row);
  EXPECT_GT(blocked.stats.passes, 2);
}

// Each row's and column's best cosine, on every rank: 1 − the dense matrix's row and column
// minima, from the exact and greedy matchers' first pass; the null pass's the same against B
// turned by a rotation.
TEST(BlockedMatching, NearestCosinesAreTheDenseMatrixExtremes) {
  std::vector<std::int32_t> perm;
  const Decoders cases[] = {random_decoders(50, 50, 8, 21), planted_decoders(40, 71, 12, 22, perm)};
  for (const Decoders& m : cases) {
    const std::vector<float> cost = dense_cost(m);
    std::vector<float> row(static_cast<std::size_t>(m.n1), 2.0f), column(static_cast<std::size_t>(m.n2), 2.0f);
    for (std::int64_t i = 0; i < m.n1; ++i)
      for (std::int64_t j = 0; j < m.n2; ++j) {
        const float c = cost[static_cast<std::size_t>(i * m.n2 + j)];
        row[static_cast<std::size_t>(i)] = std::min(row[static_cast<std::size_t>(i)], c);
        column[static_cast<std::size_t>(j)] = std::min(column[static_cast<std::size_t>(j)], c);
      }
    const auto expect_extremes = [](const std::vector<float>& got, const std::vector<float>& minima, const char* what) {
      ASSERT_EQ(got.size(), minima.size()) << what;
      for (std::size_t k = 0; k < got.size(); ++k) EXPECT_NEAR(got[k], 1.0f - minima[k], 1e-6) << what << " " << k;
    };
    for (const bool greedy : {false, true}) {
      BlockedMatchingOptions o = small_tiles();
      o.greedy = greedy;
      o.nearest = true;
      const BlockedMatching blocked = run_blocked(m, o);
      expect_extremes(blocked.nearest.row, row, greedy ? "greedy rows" : "exact rows");
      expect_extremes(blocked.nearest.column, column, greedy ? "greedy columns" : "exact columns");
    }
    // A permutation of the coordinates with signs is a rotation whose result is exact.
    std::vector<float> q(static_cast<std::size_t>(m.d * m.d), 0.0f);
    Decoders turned = m;
    for (std::int64_t k = 0; k < m.d; ++k) {
      const std::int64_t to = (k * 5 + 1) % m.d;
      q[static_cast<std::size_t>(k * m.d + to)] = k % 2 ? -1.0f : 1.0f;
      for (std::int64_t j = 0; j < m.n2; ++j)
        turned.b[static_cast<std::size_t>(j * m.d + to)] = (k % 2 ? -1.0f : 1.0f) * m.b[static_cast<std::size_t>(j * m.d + k)];
    }
    const std::vector<float> null_cost = dense_cost(turned);
    std::vector<float> null_row(row.size(), 2.0f), null_column(column.size(), 2.0f);
    for (std::int64_t i = 0; i < m.n1; ++i)
      for (std::int64_t j = 0; j < m.n2; ++j) {
        const float c = null_cost[static_cast<std::size_t>(i * m.n2 + j)];
        null_row[static_cast<std::size_t>(i)] = std::min(null_row[static_cast<std::size_t>(i)], c);
        null_column[static_cast<std::size_t>(j)] = std::min(null_column[static_cast<std::size_t>(j)], c);
      }
    BlockedMatchingOptions o = small_tiles();
    o.null_rotation = &q;
    const BlockedMatching blocked = run_blocked(m, o);
    expect_extremes(blocked.null_nearest.row, null_row, "null rows");
    expect_extremes(blocked.null_nearest.column, null_column, "null columns");
  }
}

TEST(BlockedMatching, EveryRankRefusesNonFiniteInput) {
  Decoders m = random_decoders(20, 20, 4, 1);
  m.a[static_cast<std::size_t>(17 * 4 + 2)] = std::nanf("");
  try {
    run_blocked(m, small_tiles());
    ADD_FAILURE() << "no error";
  } catch (const SharedInputError& e) {
    EXPECT_NE(std::string(e.what()).find("row 17 of the first matrix"), std::string::npos) << e.what();
    EXPECT_TRUE(e.collective());
  }
  Decoders wide = random_decoders(30, 20, 4, 1);
  wide.n1 = 30;
  EXPECT_THROW(run_blocked(wide, small_tiles()), SharedInputError);  // more rows than columns
}

// Shares read through ShareRows a block at a time, as `coact compare` reads them from the SAE
// files: rows so wide (d 65,536) that a read block holds 64 of them, so every rank's share takes
// several blocks, the last one short; the reader is asked for each row of its share once, in
// order, never more than 16 MiB at once; the matching is the dense optimum and a NaN in a later
// block is reported by its global row.
TEST(BlockedMatching, SharesReadBlockByBlockGiveTheDenseOptimum) {
  constexpr std::int64_t d = 65536;
  std::vector<std::int32_t> perm;
  Decoders m = planted_decoders(200, 260, d, 41, perm);
  struct Read {
    std::int64_t first, count;
  };
  std::vector<Read> reads_a, reads_b;
  const auto reader = [&](const std::vector<float>& rows, std::int64_t count, std::vector<Read>& reads) {
    const MatrixView<const float> share = share_of(rows, count, d);
    return ShareRows{share.rows, d, [share, &reads](std::int64_t first, std::int64_t n, float* out) {
                       reads.push_back({first, n});
                       std::copy_n(share.row(first), n * share.cols, out);
                     }};
  };
  const auto cpu = backend::make_backend(backend::DeviceRequest::Cpu);
  const BlockedMatching blocked =
      blocked_cosine_matching(*cpu, world(), reader(m.a, m.n1, reads_a), m.n1, reader(m.b, m.n2, reads_b), m.n2, {});
  expect_dense_optimum(m, blocked, true);
  for (const auto& [reads, rows] : {std::pair{&reads_a, m.n1}, std::pair{&reads_b, m.n2}}) {
    const RowShare mine = row_share(rows, world().rank(), world().size());
    std::int64_t next = 0;
    for (const Read& r : *reads) {
      EXPECT_EQ(r.first, next);
      EXPECT_GT(r.count, 0);
      EXPECT_LE(r.count * d * static_cast<std::int64_t>(sizeof(float)), std::int64_t{16} << 20);
      next = r.first + r.count;
    }
    EXPECT_EQ(next, mine.count());
    EXPECT_GT(reads->size(), 1u) << "a share of " << mine.count() << " rows of width " << d << " in one read";
  }
  for (std::int64_t i = 0; i < m.n1; ++i) EXPECT_EQ(blocked.assignment.column_of_row[static_cast<std::size_t>(i)], perm[static_cast<std::size_t>(i)]);

  m.b[static_cast<std::size_t>(250 * d + 5)] = std::nanf("");  // row 250: in a later block of its rank's share
  try {
    blocked_cosine_matching(*cpu, world(), reader(m.a, m.n1, reads_a), m.n1, reader(m.b, m.n2, reads_b), m.n2, {});
    ADD_FAILURE() << "no error";
  } catch (const SharedInputError& e) {
    EXPECT_NE(std::string(e.what()).find("row 250 of the second matrix"), std::string::npos) << e.what();
  }
}

// A rank whose reader throws (a share it cannot read from its file) ends the matching on every
// rank with the lowest failing rank's error, before any tile.
TEST(BlockedMatching, EveryRankRaisesTheLowestFailingRanksReadError) {
  const Decoders m = random_decoders(20, 20, 4, 3);
  const int failing = world().size() > 1 ? 1 : 0;
  const MatrixView<const float> b = share_of(m.b, m.n2, m.d);
  const ShareRows unreadable{b.rows, m.d, [&](std::int64_t, std::int64_t, float*) {
                               if (world().rank() >= failing) throw InputError(str("rows of rank ", world().rank(), " unreadable"));
                             }};
  const auto cpu = backend::make_backend(backend::DeviceRequest::Cpu);
  try {
    blocked_cosine_matching(*cpu, world(), ShareRows::in_memory(share_of(m.a, m.n1, m.d)), m.n1, unreadable, m.n2,
                            small_tiles());
    ADD_FAILURE() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(std::string(e.what()), str("rows of rank ", failing, " unreadable"));
    EXPECT_EQ(e.exit_code(), InputError("x").exit_code());
  }
  EXPECT_EQ(world().broadcast_value(world().rank() + 7, 0), 7);  // the ranks are still in step
}

}  // namespace
}  // namespace coact::compare
