// What the blocked matcher's passes extract from cost tiles (blocked/cosine_tiles.h): each
// visitor keeps per-row (and per-column) state across the tiles of a pass, so a row's result
// does not depend on how its columns were split into chunks, over ranks or threads. Internal
// to the compare module.
#pragma once

#include <algorithm>
#include <cstdint>
#include <limits>
#include <span>
#include <vector>

#include "blocked/cosine_tiles.h"
#include "coact/compare/blocked_matching.h"
#include "coact/dist/comm.h"

namespace coact::compare::blocked {

// For each of `slots` rows, the k smallest (key, tag) pairs offered (equal keys: smaller tag
// first) below the row's limit, each with the entry's cost: a bounded max-heap per row.
template <class Key>
class KSmallest {
 public:
  struct Entry {
    Key key;
    std::int32_t tag;
    float cost;
  };
  KSmallest(std::int64_t slots, int k, Key limit);
  void set_limit(std::int64_t slot, Key limit) { limit_[static_cast<std::size_t>(slot)] = bound_[static_cast<std::size_t>(slot)] = limit; }
  // Offers with a key above this cannot be kept (equal ones may, by tag).
  Key bound(std::int64_t slot) const { return bound_[static_cast<std::size_t>(slot)]; }
  void offer(std::int64_t slot, Key key, std::int32_t tag, float cost);
  // The kept entries, smallest first (sorted in place: offer nothing more to this slot).
  std::span<Entry> sorted(std::int64_t slot);
  std::int32_t count(std::int64_t slot) const { return count_[static_cast<std::size_t>(slot)]; }
  std::int64_t bytes() const;

 private:
  static bool less(const Entry& a, const Entry& b) { return a.key < b.key || (a.key == b.key && a.tag < b.tag); }
  int k_;
  std::vector<Entry> heap_;
  std::vector<std::int32_t> count_;
  std::vector<Key> bound_, limit_;
};

// The columns of the rows of A this rank owns that the restricted problem already holds (so
// pricing offers only entries it lacks). Sorted per row.
class KnownEntries {
 public:
  explicit KnownEntries(std::int64_t rows) : columns_(static_cast<std::size_t>(rows)) {}
  void add(std::int64_t row, std::int32_t column);
  bool contains(std::int64_t row, std::int32_t column) const;
  std::int64_t bytes() const;

 private:
  std::vector<std::vector<std::int32_t>> columns_;
};

// One column's cheapest entry: cost, then global row (row −1: none).
struct ColumnEntry {
  float cost;
  std::int32_t row;
};

// The candidate pass over every row of this rank's share: each row's k cheapest entries in the
// order (cost, scan position), scanning row i from column i onwards (so rows with tied costs
// favour different columns), the entry (i, i) when i < n2, and each column's c cheapest entries
// over the rows, (cost, row) order.
class CandidateScan final : public TileVisitor {
 public:
  CandidateScan(const RowShare& share, std::int64_t columns, int row_candidates, int column_candidates);
  ~CandidateScan() override;
  void visit(const Tile& tile) override;

  // This rank's row lists, cheapest first: global columns and costs.
  struct RowList {
    std::vector<std::int32_t> columns;
    std::vector<float> costs;
  };
  RowList row_list(std::int64_t local_row);
  float diagonal(std::int64_t local_row) const { return diagonal_[static_cast<std::size_t>(local_row)]; }
  // Collective: every column's c cheapest entries over all ranks' rows, on every rank
  // (columns × c, row −1 where a column has fewer rows).
  std::vector<ColumnEntry> merge_columns(dist::Comm& comm) const;
  int column_candidates() const { return column_k_; }
  std::int64_t bytes() const;

 private:
  struct ColumnLists;
  RowShare share_;
  std::int64_t columns_;
  int column_k_;
  KSmallest<float> rows_;
  std::vector<float> diagonal_;
  std::vector<ColumnLists> lists_;  // one per thread
};

// For the listed rows of this rank's share: the k smallest c_ij − v_j over the entries `known`
// lacks (ties: lower column) and a bound below every other such entry; the minimum over every
// entry; optionally the cost at each row's matched column. Pricing (the entries below u_i are
// the violations, the rest a reserve for later rounds), the independent recheck (no entries
// kept) and greedy refills (v_j = −∞ on taken columns: the k cheapest free columns) are all
// this scan.
class ReducedScan final : public TileVisitor {
 public:
  using Heap = KSmallest<double>;
  // k = 0: keep no entries.
  ReducedScan(const std::vector<std::int32_t>& rows, const std::vector<double>& column_potential, int k,
              const KnownEntries* known, const std::vector<std::int32_t>* matched_columns = nullptr);
  void visit(const Tile& tile) override;

  double minimum(std::int64_t slot) const { return minimum_[static_cast<std::size_t>(slot)]; }
  // The kept entries, smallest first (sorted in place).
  std::span<Heap::Entry> entries(std::int64_t slot) { return heap_.sorted(slot); }
  // Every entry `known` lacks and not kept has c_ij − v_j >= this (+∞ when all were kept).
  double rest(std::int64_t slot) const { return full(slot) ? heap_.bound(slot) : std::numeric_limits<double>::infinity(); }
  float matched_cost(std::int64_t slot) const { return matched_cost_[static_cast<std::size_t>(slot)]; }
  std::int64_t bytes() const;

 private:
  bool full(std::int64_t slot) const;
  const std::vector<double>& v_;
  const KnownEntries* known_;
  const std::vector<std::int32_t>* matched_columns_;
  int k_;
  Heap heap_;
  std::vector<double> minimum_;
  std::vector<float> matched_cost_;
};

// Each row's and each column's smallest cost over the entries the passes show it: the nearest
// row of the other matrix, at cosine 1 − cost. Rows of this rank's share; columns over the rows
// this rank saw, combined over ranks by cosines().
class NearestScan final : public TileVisitor {
 public:
  NearestScan(const RowShare& share, std::int64_t columns);
  void visit(const Tile& tile) override;
  // Collective: every row's and column's nearest cosine over all ranks, on every rank. Throws
  // on every rank when a rank's passes did not show it each of its entries once.
  NearestCosines cosines(dist::Comm& comm) const;
  std::int64_t bytes() const;

 private:
  RowShare share_;
  std::int64_t columns_;
  std::vector<float> row_minimum_, column_minimum_;
  std::int64_t entries_ = 0;
};

}  // namespace coact::compare::blocked
