#include "coact/compare/node_search.h"

#include <algorithm>
#include <cmath>
#include <initializer_list>
#include <limits>

#include "coact/core/errors.h"

namespace coact::compare {

namespace {

// Frequencies below this (never or almost never active) share one log value instead of
// stretching the column towards -infinity.
constexpr double kFrequencyFloor = 1e-7;

double squared_distance(const double* a, const double* b, int columns = kStatisticCount) {
  double s = 0;
  for (int c = 0; c < columns; ++c) s += (a[c] - b[c]) * (a[c] - b[c]);
  return s;
}

// z-scores every column of a row-major n × columns matrix in place (constant columns become 0).
void standardise_columns(std::vector<double>& out, std::size_t n, int columns) {
  for (int c = 0; c < columns; ++c) {
    double mean = 0, var = 0;
    for (std::size_t v = 0; v < n; ++v) mean += out[v * static_cast<std::size_t>(columns) + static_cast<std::size_t>(c)];
    mean /= static_cast<double>(std::max<std::size_t>(n, 1));
    for (std::size_t v = 0; v < n; ++v) var += std::pow(out[v * static_cast<std::size_t>(columns) + static_cast<std::size_t>(c)] - mean, 2);
    const double sd = n > 1 ? std::sqrt(var / static_cast<double>(n)) : 0.0;
    for (std::size_t v = 0; v < n; ++v) {
      double& x = out[v * static_cast<std::size_t>(columns) + static_cast<std::size_t>(c)];
      x = sd > 0 ? (x - mean) / sd : 0.0;
    }
  }
}

double median(std::vector<double> values) {
  if (values.empty()) return 0;
  std::sort(values.begin(), values.end());
  const std::size_t m = values.size() / 2;
  return values.size() % 2 ? values[m] : 0.5 * (values[m - 1] + values[m]);
}

double harmonic(std::int64_t m) {
  double h = 0;
  for (std::int64_t i = 1; i <= m; ++i) h += 1.0 / static_cast<double>(i);
  return h;
}

// Ranks of the targets (1-based; +inf-like miss ranks allowed) and, per query, the size of its
// candidate set and whether the target was in it, summarised with chance levels.
SearchScore summarise(const std::vector<double>& ranks, const std::vector<std::int64_t>& candidates,
                      const std::vector<char>& reachable) {
  SearchScore s;
  s.queries = static_cast<std::int64_t>(ranks.size());
  if (ranks.empty()) return s;
  std::vector<double> chance_ranks;
  for (std::size_t q = 0; q < ranks.size(); ++q) {
    const double r = ranks[q];
    s.hit_at_1 += r <= 1;
    s.hit_at_10 += r <= 10;
    s.hit_at_100 += r <= 100;
    s.mrr += 1.0 / r;
    const auto m = candidates[q];
    if (reachable[q] && m > 0) {
      // A uniformly random order puts the target at each of the m places with equal chance.
      s.chance_hit_at_1 += std::min<double>(1, static_cast<double>(m)) / static_cast<double>(m);
      s.chance_hit_at_10 += std::min<double>(10, static_cast<double>(m)) / static_cast<double>(m);
      s.chance_hit_at_100 += std::min<double>(100, static_cast<double>(m)) / static_cast<double>(m);
      s.chance_mrr += harmonic(m) / static_cast<double>(m);
      chance_ranks.push_back((static_cast<double>(m) + 1) / 2);
    } else {
      chance_ranks.push_back(std::numeric_limits<double>::infinity());
    }
  }
  const double q = static_cast<double>(ranks.size());
  s.hit_at_1 /= q;
  s.hit_at_10 /= q;
  s.hit_at_100 /= q;
  s.mrr /= q;
  s.chance_hit_at_1 /= q;
  s.chance_hit_at_10 /= q;
  s.chance_hit_at_100 /= q;
  s.chance_mrr /= q;
  s.median_rank = median(ranks);
  s.chance_median_rank = median(chance_ranks);
  return s;
}

}  // namespace

const char* statistic_name(int column) {
  static const char* const names[kStatisticCount] = {"log degree",         "strength",
                                                     "log frequency",      "clustering",
                                                     "log component size", "mean neighbour degree"};
  return column >= 0 && column < kStatisticCount ? names[column] : "?";
}

namespace {

// The six base statistics of node v (before standardising) into row[0..5].
void base_row(const NodeStatistics& s, std::size_t v, double* row) {
  row[0] = std::log1p(s.degree[v]);  // log(1 + degree): isolated nodes stay finite
  row[1] = s.strength[v];
  row[2] = std::log10(std::max(s.frequency[v], kFrequencyFloor));
  row[3] = s.clustering[v];
  row[4] = std::log(std::max(s.component_size[v], 1.0));
  row[5] = s.mean_neighbor_degree[v];
}

void require_lengths(const NodeStatistics& s, std::initializer_list<const std::vector<double>*> columns) {
  for (const auto* column : columns)
    COACT_REQUIRE(column->size() == s.degree.size(), Error, "node statistics of different lengths: ", column->size(), " and ",
                  s.degree.size());
}

}  // namespace

std::vector<double> standardised_statistics(const NodeStatistics& s) {
  const std::size_t n = s.degree.size();
  require_lengths(s, {&s.strength, &s.frequency, &s.clustering, &s.component_size, &s.mean_neighbor_degree});
  std::vector<double> out(n * kStatisticCount);
  for (std::size_t v = 0; v < n; ++v) base_row(s, v, out.data() + v * kStatisticCount);
  standardise_columns(out, n, kStatisticCount);
  return out;
}

std::vector<double> standardised_extended_statistics(const NodeStatistics& s) {
  const std::size_t n = s.degree.size();
  require_lengths(s, {&s.strength, &s.frequency, &s.clustering, &s.component_size, &s.mean_neighbor_degree, &s.core_number,
                      &s.pagerank, &s.betweenness});
  std::vector<double> out(n * kExtendedStatisticCount);
  const auto scale = static_cast<double>(std::max<std::size_t>(n, 1));
  for (std::size_t v = 0; v < n; ++v) {
    double* row = out.data() + v * kExtendedStatisticCount;
    base_row(s, v, row);
    row[6] = std::log1p(s.core_number[v]);
    row[7] = std::log(std::max(scale * s.pagerank[v], 1e-12));
    row[8] = std::log1p(scale * s.betweenness[v]);
  }
  standardise_columns(out, n, kExtendedStatisticCount);
  return out;
}

std::vector<double> global_ranks(std::span<const double> stats1, std::span<const double> stats2,
                                 std::span<const std::int64_t> queries, std::span<const std::int64_t> target, int columns) {
  const std::int64_t n2 = static_cast<std::int64_t>(stats2.size()) / columns;
  const auto count = static_cast<std::int64_t>(queries.size());
  std::vector<double> ranks(queries.size());
  if (count == 0) return ranks;
  // The candidates by column, so that a query's distances to a block of candidates are one
  // vector loop per column, each candidate's sum taken in squared_distance's column order (the
  // same doubles: contraction into FMA is off). A tile of queries shares each block of
  // candidates while it is in cache: the statistics are read once per tile, not per query.
  std::vector<double> by_column(static_cast<std::size_t>(n2 * columns));
  for (std::int64_t c = 0; c < n2; ++c)
    for (int k = 0; k < columns; ++k) by_column[static_cast<std::size_t>(k * n2 + c)] = stats2[static_cast<std::size_t>(c * columns + k)];
  constexpr std::int64_t kCandidates = 512, kQueries = 16;
#pragma omp parallel for schedule(dynamic, 1)
  for (std::int64_t q0 = 0; q0 < count; q0 += kQueries) {
    const std::int64_t tile = std::min(kQueries, count - q0);
    const double* v[kQueries];
    std::int64_t t[kQueries], closer[kQueries];
    double d_target[kQueries];
    for (std::int64_t i = 0; i < tile; ++i) {
      const std::int64_t query = queries[static_cast<std::size_t>(q0 + i)];
      v[i] = stats1.data() + query * columns;
      t[i] = target[static_cast<std::size_t>(query)];
      d_target[i] = squared_distance(v[i], stats2.data() + t[i] * columns, columns);
      closer[i] = 0;
    }
    double distance[kCandidates];
    for (std::int64_t c0 = 0; c0 < n2; c0 += kCandidates) {
      const std::int64_t block = std::min(kCandidates, n2 - c0);
      for (std::int64_t i = 0; i < tile; ++i) {
        const double* column = by_column.data() + c0;
        const double first = v[i][0];
#pragma omp simd
        for (std::int64_t j = 0; j < block; ++j) {
          const double x = first - column[j];
          distance[j] = x * x;
        }
        for (int k = 1; k < columns; ++k) {
          column = by_column.data() + k * n2 + c0;
          const double value = v[i][k];
#pragma omp simd
          for (std::int64_t j = 0; j < block; ++j) {
            const double x = value - column[j];
            distance[j] += x * x;
          }
        }
        std::int64_t within = 0;
#pragma omp simd reduction(+ : within)
        for (std::int64_t j = 0; j < block; ++j) within += distance[j] <= d_target[i];
        // The target itself is not a competitor.
        if (t[i] >= c0 && t[i] < c0 + block && distance[t[i] - c0] <= d_target[i]) --within;
        closer[i] += within;
      }
    }
    for (std::int64_t i = 0; i < tile; ++i) ranks[static_cast<std::size_t>(q0 + i)] = static_cast<double>(closer[i] + 1);
  }
  return ranks;
}

SearchScore global_search(std::span<const double> stats1, std::span<const double> stats2,
                          std::span<const std::int64_t> queries, std::span<const std::int64_t> target, int columns,
                          const RankFunction& ranker) {
  const std::int64_t n2 = static_cast<std::int64_t>(stats2.size()) / columns;
  return summarise(ranker(stats1, stats2, queries, target, columns), std::vector<std::int64_t>(queries.size(), n2),
                   std::vector<char>(queries.size(), 1));
}

NeighbourhoodScore neighbourhood_transfer(const Adjacency& graph1, const Adjacency& graph2,
                                          std::span<const double> stats1, std::span<const double> stats2,
                                          std::span<const std::int64_t> shared, std::span<const std::int64_t> match,
                                          const RankFunction& ranker) {
  NeighbourhoodScore out;
  const std::int64_t n2 = graph2.nodes();
  std::vector<double> restricted_ranks;
  std::vector<std::int64_t> restricted_sizes;
  std::vector<char> reachable;
  std::vector<std::int64_t> global_queries;
  std::vector<char> in_n2(static_cast<std::size_t>(n2), 0);
  for (const std::int64_t f : shared) {
    const auto n1f = graph1.neighbours(f);
    if (n1f.empty()) continue;
    const std::int64_t fp = match[static_cast<std::size_t>(f)];
    const auto n2f = graph2.neighbours(fp);
    for (auto u : n2f) in_n2[static_cast<std::size_t>(u)] = 1;
    std::int64_t kept = 0;
    for (const auto g : n1f) {
      const std::int64_t gp = match[static_cast<std::size_t>(g)];
      kept += gp >= 0 && in_n2[static_cast<std::size_t>(gp)];
    }
    out.neighbour_overlap += static_cast<double>(kept) / static_cast<double>(n1f.size());
    out.chance_overlap += n2 > 1 ? static_cast<double>(n2f.size()) / static_cast<double>(n2 - 1) : 0.0;
    ++out.pairs;
    // Search each matched neighbour's counterpart among f''s neighbours only.
    for (const auto g : n1f) {
      const std::int64_t gp = match[static_cast<std::size_t>(g)];
      if (gp < 0) continue;
      const double* v = stats1.data() + static_cast<std::int64_t>(g) * kStatisticCount;
      const bool present = in_n2[static_cast<std::size_t>(gp)] != 0;
      // A counterpart outside the neighbourhood cannot be found there: rank infinity (no hit,
      // reciprocal rank 0).
      double rank = std::numeric_limits<double>::infinity();
      if (present) {
        const double d_target = squared_distance(v, stats2.data() + gp * kStatisticCount);
        std::int64_t closer = 0;
        for (auto c : n2f)
          if (c != gp && squared_distance(v, stats2.data() + static_cast<std::int64_t>(c) * kStatisticCount) <= d_target) ++closer;
        rank = static_cast<double>(closer + 1);
      }
      restricted_ranks.push_back(rank);
      restricted_sizes.push_back(static_cast<std::int64_t>(n2f.size()));
      reachable.push_back(present ? 1 : 0);
      global_queries.push_back(g);
    }
    for (auto u : n2f) in_n2[static_cast<std::size_t>(u)] = 0;
  }
  if (out.pairs > 0) {
    out.neighbour_overlap /= static_cast<double>(out.pairs);
    out.chance_overlap /= static_cast<double>(out.pairs);
  }
  out.restricted = summarise(restricted_ranks, restricted_sizes, reachable);
  // A neighbour's global rank does not depend on which shared feature it came through: rank
  // each distinct neighbour once (n searches at most, not one per pair and neighbour).
  std::vector<std::int64_t> distinct(global_queries);
  std::sort(distinct.begin(), distinct.end());
  distinct.erase(std::unique(distinct.begin(), distinct.end()), distinct.end());
  const std::vector<double> distinct_ranks = ranker(stats1, stats2, distinct, match, kStatisticCount);
  std::vector<double> ranks(global_queries.size());
  for (std::size_t q = 0; q < global_queries.size(); ++q)
    ranks[q] = distinct_ranks[static_cast<std::size_t>(std::lower_bound(distinct.begin(), distinct.end(), global_queries[q]) - distinct.begin())];
  out.global = summarise(ranks, std::vector<std::int64_t>(ranks.size(), n2), std::vector<char>(ranks.size(), 1));
  return out;
}

}  // namespace coact::compare
