// Q2's global searches (node_search.h) spread over the ranks of a comparison. The pair analysis
// runs on the root (it needs the graphs); its global searches rank every query against every
// node of the other graph, n·n distances, which at n 131,072 is most of the analysis. While the
// root analyses, the other ranks serve it: for each search the root broadcasts the statistics,
// queries and targets, every rank ranks its share of the queries (row_share), and the root
// gathers the ranks in query order — the same ranks as one process computes, since each query's
// rank depends on nothing else. Internal to the compare module.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "coact/compare/node_search.h"
#include "coact/dist/comm.h"

namespace coact::compare {

class SearchHelpers {
 public:
  explicit SearchHelpers(dist::Comm& comm) : comm_(comm) {}

  // Root: global_ranks over every rank's share of the queries (collective with serve()).
  std::vector<double> ranks(std::span<const double> stats1, std::span<const double> stats2,
                            std::span<const std::int64_t> queries, std::span<const std::int64_t> target, int columns);
  // Root: a RankFunction for node_search that calls ranks().
  RankFunction ranker() {
    return [this](std::span<const double> s1, std::span<const double> s2, std::span<const std::int64_t> q,
                  std::span<const std::int64_t> t, int columns) { return ranks(s1, s2, q, t, columns); };
  }
  // Root: ends the others' serve(). Once, after the last search, whether the analysis ended
  // or threw (it throws nothing: a scope guard calls it).
  void release() noexcept;
  // The other ranks: take part in the root's searches until it releases them.
  void serve();

 private:
  // A helper whose share failed sends this in place of its ranks; the root then throws.
  static constexpr double kFailed = -1;
  std::vector<double> share_of(std::span<const double> stats1, std::span<const double> stats2,
                               std::span<const std::int64_t> queries, std::span<const std::int64_t> target, int columns);
  std::vector<double> gathered(const std::vector<double>& mine, std::int64_t count);

  dist::Comm& comm_;
  bool released_ = false;
};

// Calls SearchHelpers::release when the root's analysis leaves its scope.
class ReleaseHelpers {
 public:
  explicit ReleaseHelpers(SearchHelpers& helpers) : helpers_(helpers) {}
  ~ReleaseHelpers() { helpers_.release(); }
  ReleaseHelpers(const ReleaseHelpers&) = delete;
  ReleaseHelpers& operator=(const ReleaseHelpers&) = delete;

 private:
  SearchHelpers& helpers_;
};

}  // namespace coact::compare
