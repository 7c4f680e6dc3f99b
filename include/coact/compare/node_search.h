// Q2 and Q3 of the study (docs/method.md, "Cross-seed comparison"): can node statistics of one graph
// find a feature's counterpart in another, and does a feature's neighbourhood help find the
// counterparts of its neighbours? Inputs are plain arrays so any graph source can feed them.
#pragma once

#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <vector>

namespace coact::compare {

// Adjacency of an undirected graph as symmetric CSR (each row's neighbours sorted ascending).
struct Adjacency {
  std::span<const std::int64_t> indptr;   // n + 1
  std::span<const std::int32_t> indices;  // 2E
  std::int64_t nodes() const { return static_cast<std::int64_t>(indptr.size()) - 1; }
  std::span<const std::int32_t> neighbours(std::int64_t v) const {
    return indices.subspan(static_cast<std::size_t>(indptr[static_cast<std::size_t>(v)]),
                           static_cast<std::size_t>(indptr[static_cast<std::size_t>(v) + 1] - indptr[static_cast<std::size_t>(v)]));
  }
};

// Per-node statistics that describe a feature's place in its graph.
struct NodeStatistics {
  std::vector<double> degree, strength, frequency, clustering, component_size, mean_neighbor_degree;
  // Centralities, for the extended Q2 search: k-core number, PageRank (sums to 1),
  // betweenness (normalised as networkx's). Empty when not computed.
  std::vector<double> core_number, pagerank, betweenness;
};

// The standardised statistic vectors of docs/method.md's Q2: log degree, strength, log frequency,
// clustering, log component size, mean neighbour degree; each column z-scored over the
// graph's nodes (constant columns become 0). Row-major n × kStatisticCount.
inline constexpr int kStatisticCount = 6;
std::vector<double> standardised_statistics(const NodeStatistics& stats);
const char* statistic_name(int column);

// The same six columns followed by three centralities: log(1 + core number), log(n · PageRank),
// log(1 + n · betweenness); each column z-scored. Row-major n × kExtendedStatisticCount.
// Error when the centralities are missing.
inline constexpr int kExtendedStatisticCount = 9;
std::vector<double> standardised_extended_statistics(const NodeStatistics& stats);

// Rank summary of a search: where the true counterpart landed among the candidates.
struct SearchScore {
  std::int64_t queries = 0;
  double hit_at_1 = 0, hit_at_10 = 0, hit_at_100 = 0;
  double mrr = 0;
  double median_rank = 0;
  // What a uniformly random ranking over the same candidate sets would score.
  double chance_hit_at_1 = 0, chance_hit_at_10 = 0, chance_hit_at_100 = 0, chance_mrr = 0, chance_median_rank = 0;
};

// Q2's ranks: for each query node f of graph 1, 1 + the number of nodes of graph 2 other than
// target[f] at Euclidean distance <= that of target[f] (statistic rows of width `columns`:
// kStatisticCount or kExtendedStatisticCount), in query order.
std::vector<double> global_ranks(std::span<const double> stats1, std::span<const double> stats2,
                                 std::span<const std::int64_t> queries, std::span<const std::int64_t> target,
                                 int columns = kStatisticCount);
// What computes the global ranks: global_ranks in this process, or the same ranks spread over
// the ranks of a comparison (each query's rank depends on nothing but its own row).
using RankFunction = std::function<std::vector<double>(std::span<const double>, std::span<const double>,
                                                       std::span<const std::int64_t>, std::span<const std::int64_t>, int)>;

// Q2: for every query node f of graph 1 (e.g. the shared features), rank all nodes of graph 2 by
// Euclidean distance between standardised statistic vectors, and score the rank of its match
// target[f]. Ties count against the query (rank = 1 + number of candidates at distance <=,
// excluding the target), so a constant statistic cannot look good.
// `columns` is the width of the statistic rows (kStatisticCount or kExtendedStatisticCount);
// `ranker` computes the ranks (global_ranks, or the same over ranks).
SearchScore global_search(std::span<const double> stats1, std::span<const double> stats2,
                          std::span<const std::int64_t> queries, std::span<const std::int64_t> target,
                          int columns = kStatisticCount, const RankFunction& ranker = global_ranks);

struct NeighbourhoodScore {
  std::int64_t pairs = 0;              // shared pairs (f, f') with deg(f) > 0
  double neighbour_overlap = 0;        // mean over pairs of |{g in N1(f): match(g) in N2(f')}| / |N1(f)|
  double chance_overlap = 0;           // mean of deg2(f') / (n2 - 1): a random node's chance to be in N2(f')
  SearchScore restricted;              // neighbours' matches searched inside N2(f') only
  SearchScore global;                  // the same neighbours searched over all of graph 2
};

// Q3: for each shared pair (f, f' = match[f]): how many of f's neighbours have their match among
// f''s neighbours; and, for each neighbour g of f that has a match (match[g] >= 0), the rank of
// match[g] when searching only f''s neighbourhood (infinite when it is not there: no hit,
// reciprocal rank 0) against searching all of graph 2 (by `ranker`).
NeighbourhoodScore neighbourhood_transfer(const Adjacency& graph1, const Adjacency& graph2,
                                          std::span<const double> stats1, std::span<const double> stats2,
                                          std::span<const std::int64_t> shared, std::span<const std::int64_t> match,
                                          const RankFunction& ranker = global_ranks);

}  // namespace coact::compare
