// The greedy blocked matcher: globally cheapest free pair first, from each row's cheapest
// entries, refilling rows whose entries ran out before the scan may pass them.
#include <algorithm>
#include <limits>
#include <queue>
#include <set>

#include "blocked/drivers.h"
#include "blocked/exchange.h"
#include "blocked/tile_scans.h"
#include "coact/core/errors.h"
#include "coact/core/log.h"
#include "coact/core/strings.h"
#include "coact/core/timer.h"

namespace coact::compare::blocked {
namespace {

// An entry in greedy order: cost, then row, then column (greedy_assignment's rule).
struct Pair {
  float cost;
  std::int32_t row, column;
  bool operator<(const Pair& other) const {
    if (cost != other.cost) return cost < other.cost;
    if (row != other.row) return row < other.row;
    return column < other.column;
  }
  bool operator>(const Pair& other) const { return other < *this; }
};

// One row's cheapest entries among the columns free when it was (re)filled, cheapest first.
struct RowEntries {
  std::vector<std::int32_t> columns;
  std::vector<float> costs;
  std::size_t next = 0;
  bool complete = false;  // holds every column that was free: cannot run out
};

}  // namespace

BlockedMatching greedy_matching(CosineTiles& tiles, dist::Comm& comm, const BlockedMatchingOptions& o) {
  Stopwatch clock;
  const std::int64_t n1 = tiles.a_rows(), n2 = tiles.b_rows();
  const RowShare share = tiles.a_share();
  const bool root = comm.is_root();
  BlockedMatching result;
  BlockedMatchingStats& stats = result.stats;
  stats.method = "blocked-greedy";
  const int base = std::max(1, o.row_candidates);

  // Root: the rows' entries, the scan's frontier (each row's next entry), the rows waiting
  // for a refill (by their last entry: the scan must not pass it), and the matching.
  std::vector<RowEntries> lists(root ? static_cast<std::size_t>(n1) : 0);
  std::priority_queue<Pair, std::vector<Pair>, std::greater<>> frontier;
  std::set<Pair> waiting;
  std::vector<std::uint8_t> taken(root ? static_cast<std::size_t>(n2) : 0, 0);
  std::vector<std::int32_t> column_of_row(static_cast<std::size_t>(n1), -1);
  std::vector<float> matched_cost(static_cast<std::size_t>(n1), 0.0f);
  std::int64_t matched = 0;
  // Greedy reads c_ij − v_j with v_j = 0 on free and −∞ on taken columns: taken ones never qualify.
  std::vector<double> v(static_cast<std::size_t>(n2), 0.0);
  std::int64_t scan_bytes = 0;

  auto advance = [&](std::int32_t row) {
    RowEntries& e = lists[static_cast<std::size_t>(row)];
    while (e.next < e.columns.size() && taken[static_cast<std::size_t>(e.columns[e.next])]) ++e.next;
    if (e.next < e.columns.size()) {
      frontier.push({e.costs[e.next], row, e.columns[e.next]});
    } else {
      COACT_REQUIRE(!e.complete && !e.columns.empty(), NumericError, o.label, ": row ", row,
                    " has no free column left (internal error)");
      waiting.insert({e.costs.back(), row, e.columns.back()});
    }
  };

  std::vector<std::int32_t> fill(static_cast<std::size_t>(n1));  // global rows to (re)fill, ascending
  for (std::int64_t i = 0; i < n1; ++i) fill[static_cast<std::size_t>(i)] = static_cast<std::int32_t>(i);
  for (int round = 0; !fill.empty(); ++round) {
    // Entries per row: doubling with each refill (rows that all want the same columns finish
    // in logarithmically many rounds), at most n·row_candidates entries in all.
    const auto rows = static_cast<std::int64_t>(fill.size());
    std::int64_t k = static_cast<std::int64_t>(base) << std::min(round, 20);
    k = std::min({k, n2, std::max<std::int64_t>(base, base * n1 / rows)});
    std::vector<std::int32_t> local;
    const auto first = std::lower_bound(fill.begin(), fill.end(), static_cast<std::int32_t>(share.begin));
    for (auto it = first; it != fill.end() && *it < share.end; ++it) local.push_back(static_cast<std::int32_t>(*it - share.begin));
    ReducedScan scan(local, v, static_cast<int>(k), nullptr);
    tiles.pass(&local, scan, round == 0 ? std::string("greedy candidates") : str("greedy refill ", round));
    if (round == 0) stats.first_pass_gemm_seconds = tiles.gemm_seconds();
    scan_bytes = std::max(scan_bytes, scan.bytes());
    BytePacker out;
    for (std::size_t s = 0; s < local.size(); ++s) {
      const auto entries = scan.entries(static_cast<std::int64_t>(s));
      out.put(static_cast<std::int32_t>(share.begin + local[s]));
      out.put(static_cast<std::int32_t>(entries.size()));
      out.put(static_cast<std::int32_t>(static_cast<std::int64_t>(entries.size()) < k));
      for (const auto& e : entries) {
        out.put(e.tag);
        out.put(e.cost);
      }
    }
    const std::vector<std::uint8_t> gathered = gather_bytes(comm, out.bytes());

    fill.clear();
    if (root) {
      ByteReader reader(gathered);
      while (!reader.done()) {
        const auto row = reader.get<std::int32_t>();
        const auto count = reader.get<std::int32_t>();
        RowEntries& e = lists[static_cast<std::size_t>(row)];
        e = RowEntries{};
        e.complete = reader.get<std::int32_t>() != 0;
        for (std::int32_t s = 0; s < count; ++s) {
          e.columns.push_back(reader.get<std::int32_t>());
          e.costs.push_back(reader.get<float>());
        }
        advance(row);
      }
      // Take pairs in greedy order while no waiting row could hold a cheaper one.
      while (!frontier.empty()) {
        const Pair top = frontier.top();
        if (!waiting.empty() && *waiting.begin() < top) break;
        frontier.pop();
        if (taken[static_cast<std::size_t>(top.column)]) {
          ++lists[static_cast<std::size_t>(top.row)].next;
          advance(top.row);
          continue;
        }
        taken[static_cast<std::size_t>(top.column)] = 1;
        v[static_cast<std::size_t>(top.column)] = -std::numeric_limits<double>::infinity();
        column_of_row[static_cast<std::size_t>(top.row)] = top.column;
        matched_cost[static_cast<std::size_t>(top.row)] = top.cost;
        ++matched;
      }
      for (const Pair& w : waiting) fill.push_back(w.row);
      std::sort(fill.begin(), fill.end());
      waiting.clear();
      log::debug(o.label, ": greedy round ", round + 1, ": ", matched, " rows matched, ", fill.size(), " to refill");
    }
    std::int64_t count = comm.broadcast_value(static_cast<std::int64_t>(fill.size()), 0);
    fill.resize(static_cast<std::size_t>(count));
    comm.broadcast(std::span<std::int32_t>(fill), 0);
    if (count > 0) comm.broadcast(std::span<double>(v), 0);
  }
  COACT_REQUIRE(!root || matched == n1, NumericError, o.label, ": ", n1 - matched, " rows left unmatched (internal error)");

  if (root) {
    result.assignment.column_of_row = column_of_row;
    result.matched_cost = matched_cost;
    for (const float c : matched_cost) result.assignment.cost += c;
    result.certificate.valid_assignment = true;
    result.certificate.problem = "greedy matching: an approximation, with no dual potentials to certify it";
  }
  stats.passes = tiles.passes();
  stats.gemm_seconds = tiles.gemm_seconds();
  stats.scan_seconds = tiles.visit_seconds();
  stats.block_bytes = tiles.block_bytes();
  stats.rank_bytes = tiles.share_bytes() + tiles.block_bytes() + scan_bytes +
                     static_cast<std::int64_t>(v.size() * sizeof(double) + fill.capacity() * sizeof(std::int32_t));
  if (root) {
    for (const RowEntries& e : lists) {
      stats.rank_bytes += static_cast<std::int64_t>(e.columns.capacity() * sizeof(std::int32_t) + e.costs.capacity() * sizeof(float));
    }
    stats.rank_bytes += static_cast<std::int64_t>(lists.size() * sizeof(RowEntries) + taken.size());
  }
  const double entries = comm.allreduce_sum(static_cast<double>(tiles.entries()));
  stats.full_pass_equivalents = n1 * n2 > 0 ? entries / (static_cast<double>(n1) * static_cast<double>(n2)) : 0.0;
  stats.max_rank_bytes = max_over_ranks(comm, stats.rank_bytes);
  share_result(comm, result, n1);
  stats.seconds = clock.seconds();
  return result;
}

}  // namespace coact::compare::blocked
