#include "blocked/tile_scans.h"

#include <omp.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>

#include "blocked/exchange.h"
#include "coact/core/memory.h"
#include "coact/core/strings.h"
#include "coact/compare/shared_errors.h"

namespace coact::compare::blocked {
namespace {

// Entries are tested in blocks: one vectorised comparison rejects a block unless it holds an
// entry a row (or column) could keep, which after the first tiles is rare.
constexpr std::int64_t kBlock = 16;

// A tile is worth an OpenMP team from about this many entries on.
bool worth_a_team(std::int64_t entries) { return entries >= (std::int64_t{1} << 16); }

}  // namespace

template <class Key>
KSmallest<Key>::KSmallest(std::int64_t slots, int k, Key limit)
    : k_(std::max(1, k)),
      heap_(allocate_vector<Entry>({"the rows' cheapest entries (blocked matching)"},
                                   static_cast<std::size_t>(slots * std::max(1, k)))),
      count_(static_cast<std::size_t>(slots), 0), bound_(static_cast<std::size_t>(slots), limit),
      limit_(static_cast<std::size_t>(slots), limit) {}

template <class Key>
void KSmallest<Key>::offer(std::int64_t slot, Key key, std::int32_t tag, float cost) {
  const auto s = static_cast<std::size_t>(slot);
  Entry* heap = heap_.data() + s * static_cast<std::size_t>(k_);
  std::int32_t& count = count_[s];
  const Entry entry{key, tag, cost};
  if (count < k_) {
    if (!(key < limit_[s])) return;
    heap[count++] = entry;
    std::push_heap(heap, heap + count, less);
  } else {
    if (!less(entry, heap[0])) return;
    std::pop_heap(heap, heap + k_, less);
    heap[k_ - 1] = entry;
    std::push_heap(heap, heap + k_, less);
  }
  if (count == k_) bound_[s] = heap[0].key;
}

template <class Key>
std::span<typename KSmallest<Key>::Entry> KSmallest<Key>::sorted(std::int64_t slot) {
  const auto s = static_cast<std::size_t>(slot);
  Entry* heap = heap_.data() + s * static_cast<std::size_t>(k_);
  std::sort(heap, heap + count_[s], less);
  return {heap, static_cast<std::size_t>(count_[s])};
}

template <class Key>
std::int64_t KSmallest<Key>::bytes() const {
  return static_cast<std::int64_t>(heap_.size() * sizeof(Entry) + count_.size() * sizeof(std::int32_t) +
                                   2 * bound_.size() * sizeof(Key));
}

template class KSmallest<float>;
template class KSmallest<double>;

void KnownEntries::add(std::int64_t row, std::int32_t column) {
  auto& list = columns_[static_cast<std::size_t>(row)];
  const auto at = std::lower_bound(list.begin(), list.end(), column);
  if (at == list.end() || *at != column) list.insert(at, column);
}

bool KnownEntries::contains(std::int64_t row, std::int32_t column) const {
  const auto& list = columns_[static_cast<std::size_t>(row)];
  return std::binary_search(list.begin(), list.end(), column);
}

std::int64_t KnownEntries::bytes() const {
  std::int64_t total = static_cast<std::int64_t>(columns_.size() * sizeof(std::vector<std::int32_t>));
  for (const auto& list : columns_) total += static_cast<std::int64_t>(list.capacity() * sizeof(std::int32_t));
  return total;
}

// One thread's c cheapest entries of every column over the rows it saw, ascending by (cost,
// row); the c-th cost of each column in a contiguous array (infinity while not full) so the
// block test vectorises. A thread sees each column's rows in increasing order (one chunk holds
// the column, its blocks come in row order, and a static schedule gives the thread a run of
// consecutive rows), so keeping ties in arrival order is the (cost, row) order.
struct CandidateScan::ColumnLists {
  ColumnLists(std::int64_t columns, int per_column)
      : k(per_column), cost(static_cast<std::size_t>(columns * per_column), std::numeric_limits<float>::infinity()),
        row(static_cast<std::size_t>(columns * per_column), -1),
        threshold(static_cast<std::size_t>(columns), std::numeric_limits<float>::infinity()) {}

  void scan(const float* costs, std::int64_t first_column, std::int64_t count, std::int32_t r) {
    const float* limit = threshold.data() + first_column;
    std::int64_t j = 0;
    for (; j + kBlock <= count; j += kBlock) {
      int below = 0;
#pragma omp simd reduction(| : below)
      for (std::int64_t b = 0; b < kBlock; ++b) below |= costs[j + b] < limit[j + b];
      if (below) {
        for (std::int64_t b = 0; b < kBlock; ++b) offer(first_column + j + b, costs[j + b], r);
      }
    }
    for (; j < count; ++j) offer(first_column + j, costs[j], r);
  }
  void offer(std::int64_t column, float c, std::int32_t r) {
    if (!(c < threshold[static_cast<std::size_t>(column)])) return;
    float* costs = cost.data() + column * k;
    std::int32_t* rows = row.data() + column * k;
    int at = k - 1;  // the last slot is dropped; larger entries shift right (ties stay ahead)
    while (at > 0 && costs[at - 1] > c) {
      costs[at] = costs[at - 1];
      rows[at] = rows[at - 1];
      --at;
    }
    costs[at] = c;
    rows[at] = r;
    threshold[static_cast<std::size_t>(column)] = costs[k - 1];
  }
  int k;
  std::vector<float> cost;
  std::vector<std::int32_t> row;
  std::vector<float> threshold;
};

CandidateScan::CandidateScan(const RowShare& share, std::int64_t columns, int row_candidates, int column_candidates)
    : share_(share), columns_(columns), column_k_(std::max(1, column_candidates)),
      rows_(share.count(), static_cast<int>(std::min<std::int64_t>(std::max(1, row_candidates), columns)),
            std::numeric_limits<float>::infinity()),
      diagonal_(static_cast<std::size_t>(share.count()), std::numeric_limits<float>::quiet_NaN()) {
  const int threads = omp_get_max_threads();
  lists_.reserve(static_cast<std::size_t>(threads));
  for (int t = 0; t < threads; ++t) lists_.emplace_back(columns, column_k_);
}

CandidateScan::~CandidateScan() = default;

void CandidateScan::visit(const Tile& tile) {
  const std::int64_t width = tile.columns;
  const std::int64_t columns = columns_;
#pragma omp parallel for schedule(static) if (worth_a_team(tile.rows * width))
  for (std::int64_t r = 0; r < tile.rows; ++r) {
    const std::int64_t local = tile.local_rows[r];
    const std::int64_t global = share_.begin + local;
    const float* costs = tile.values + r * width;
    // Scan position of column j for row i: (j − i) mod n2.
    std::int64_t position = tile.column_begin - global % columns;
    if (position < 0) position += columns;
    std::int64_t j = 0;
    for (; j + kBlock <= width; j += kBlock) {
      const float bound = rows_.bound(local);
      int candidate = 0;
#pragma omp simd reduction(| : candidate)
      for (std::int64_t b = 0; b < kBlock; ++b) candidate |= costs[j + b] <= bound;
      if (candidate) {
        for (std::int64_t b = 0; b < kBlock; ++b) {
          std::int64_t p = position + j + b;
          if (p >= columns) p -= columns;
          rows_.offer(local, costs[j + b], static_cast<std::int32_t>(p), costs[j + b]);
        }
      }
    }
    for (; j < width; ++j) {
      std::int64_t p = position + j;
      if (p >= columns) p -= columns;
      rows_.offer(local, costs[j], static_cast<std::int32_t>(p), costs[j]);
    }
    lists_[static_cast<std::size_t>(omp_get_thread_num())].scan(costs, tile.column_begin, width,
                                                                static_cast<std::int32_t>(global));
    if (global >= tile.column_begin && global < tile.column_begin + width) {
      diagonal_[static_cast<std::size_t>(local)] = costs[global - tile.column_begin];
    }
  }
}

CandidateScan::RowList CandidateScan::row_list(std::int64_t local_row) {
  RowList list;
  const std::int64_t global = share_.begin + local_row;
  for (const auto& e : rows_.sorted(local_row)) {
    std::int64_t column = e.tag + global % columns_;
    if (column >= columns_) column -= columns_;
    list.columns.push_back(static_cast<std::int32_t>(column));
    list.costs.push_back(e.cost);
  }
  return list;
}

std::vector<ColumnEntry> CandidateScan::merge_columns(dist::Comm& comm) const {
  const auto k = static_cast<std::size_t>(column_k_);
  const auto by_cost_then_row = [](const ColumnEntry& a, const ColumnEntry& b) {
    return a.cost < b.cost || (a.cost == b.cost && a.row < b.row);
  };
  // Keeps the k first of (cost, row)-sorted `merged` in out[j·k ...], padding with row −1.
  const auto keep = [&](std::vector<ColumnEntry>& merged, std::vector<ColumnEntry>& out, std::int64_t j) {
    std::sort(merged.begin(), merged.end(), by_cost_then_row);
    for (std::size_t s = 0; s < k; ++s) {
      out[static_cast<std::size_t>(j) * k + s] =
          s < merged.size() ? merged[s] : ColumnEntry{std::numeric_limits<float>::infinity(), -1};
    }
  };
  std::vector<ColumnEntry> local(static_cast<std::size_t>(columns_) * k);
  std::vector<ColumnEntry> merged;
  for (std::int64_t j = 0; j < columns_; ++j) {
    merged.clear();
    for (const ColumnLists& lists : lists_) {
      for (std::size_t s = 0; s < k; ++s) {
        const std::size_t at = static_cast<std::size_t>(j) * k + s;
        if (lists.row[at] >= 0) merged.push_back({lists.cost[at], lists.row[at]});
      }
    }
    keep(merged, local, j);
  }
  if (comm.size() == 1) return local;
  const auto ranks = static_cast<std::size_t>(comm.size());
  std::vector<ColumnEntry> all(local.size() * ranks);
  comm.allgather(local.data(), all.data(), local.size() * sizeof(ColumnEntry));
  std::vector<ColumnEntry> out(local.size());
  for (std::int64_t j = 0; j < columns_; ++j) {
    merged.clear();
    for (std::size_t r = 0; r < ranks; ++r) {
      for (std::size_t s = 0; s < k; ++s) {
        const ColumnEntry& e = all[r * local.size() + static_cast<std::size_t>(j) * k + s];
        if (e.row >= 0) merged.push_back(e);
      }
    }
    keep(merged, out, j);
  }
  return out;
}

std::int64_t CandidateScan::bytes() const {
  std::int64_t total = rows_.bytes() + static_cast<std::int64_t>(diagonal_.size() * sizeof(float));
  for (const ColumnLists& lists : lists_) {
    total += static_cast<std::int64_t>(lists.cost.size() * sizeof(float) + lists.row.size() * sizeof(std::int32_t) +
                                       lists.threshold.size() * sizeof(float));
  }
  // merge_columns: this rank's lists, every rank's (allgather) and the result.
  total += static_cast<std::int64_t>(columns_ * column_k_) * static_cast<std::int64_t>(sizeof(ColumnEntry)) * 3;
  return total;
}

ReducedScan::ReducedScan(const std::vector<std::int32_t>& rows, const std::vector<double>& column_potential, int k,
                         const KnownEntries* known, const std::vector<std::int32_t>* matched_columns)
    : v_(column_potential), known_(known), matched_columns_(matched_columns), k_(k),
      heap_(k > 0 ? static_cast<std::int64_t>(rows.size()) : 0, std::max(1, k), std::numeric_limits<double>::infinity()),
      minimum_(rows.size(), std::numeric_limits<double>::infinity()),
      matched_cost_(matched_columns ? rows.size() : 0, std::numeric_limits<float>::quiet_NaN()) {}

bool ReducedScan::full(std::int64_t slot) const { return k_ > 0 && heap_.count(slot) == k_; }

void ReducedScan::visit(const Tile& tile) {
  const std::int64_t width = tile.columns;
  const double* v = v_.data() + tile.column_begin;
#pragma omp parallel for schedule(static) if (worth_a_team(tile.rows * width))
  for (std::int64_t r = 0; r < tile.rows; ++r) {
    const std::int64_t slot = tile.first_slot + r;
    const std::int64_t local = tile.local_rows[r];
    const float* costs = tile.values + r * width;
    double row_minimum = std::numeric_limits<double>::infinity();
#pragma omp simd reduction(min : row_minimum)
    for (std::int64_t j = 0; j < width; ++j) row_minimum = std::min(row_minimum, static_cast<double>(costs[j]) - v[j]);
    minimum_[static_cast<std::size_t>(slot)] = std::min(minimum_[static_cast<std::size_t>(slot)], row_minimum);
    if (matched_columns_) {
      const std::int64_t column = (*matched_columns_)[static_cast<std::size_t>(slot)];
      if (column >= tile.column_begin && column < tile.column_begin + width) {
        matched_cost_[static_cast<std::size_t>(slot)] = costs[column - tile.column_begin];
      }
    }
    if (k_ == 0 || row_minimum > heap_.bound(slot)) continue;
    // Entries that may enter the heap, in blocks rejected by one vectorised test.
    std::int64_t j = 0;
    for (; j < width; j += kBlock) {
      const std::int64_t end = std::min(width, j + kBlock);
      const double bound = heap_.bound(slot);
      int candidate = 0;
#pragma omp simd reduction(| : candidate)
      for (std::int64_t b = j; b < end; ++b) candidate |= static_cast<double>(costs[b]) - v[b] <= bound;
      if (!candidate) continue;
      for (std::int64_t b = j; b < end; ++b) {
        const double reduced = static_cast<double>(costs[b]) - v[b];
        if (!(reduced <= heap_.bound(slot))) continue;
        const auto column = static_cast<std::int32_t>(tile.column_begin + b);
        if (known_ && known_->contains(local, column)) continue;
        heap_.offer(slot, reduced, column, costs[b]);
      }
    }
  }
}

std::int64_t ReducedScan::bytes() const {
  return heap_.bytes() + static_cast<std::int64_t>(minimum_.size() * sizeof(double) + matched_cost_.size() * sizeof(float));
}

NearestScan::NearestScan(const RowShare& share, std::int64_t columns)
    : share_(share), columns_(columns),
      row_minimum_(allocate_vector<float>({"each row's cheapest cost (nearest cosines)"}, static_cast<std::size_t>(share.count()))),
      column_minimum_(allocate_vector<float>({"each column's cheapest cost (nearest cosines)"}, static_cast<std::size_t>(columns))) {
  std::fill(row_minimum_.begin(), row_minimum_.end(), std::numeric_limits<float>::infinity());
  std::fill(column_minimum_.begin(), column_minimum_.end(), std::numeric_limits<float>::infinity());
}

void NearestScan::visit(const Tile& tile) {
  const std::int64_t width = tile.columns;
  const bool team = worth_a_team(tile.rows * width);
#pragma omp parallel for schedule(static) if (team)
  for (std::int64_t r = 0; r < tile.rows; ++r) {
    const float* costs = tile.values + r * width;
    float row_minimum = std::numeric_limits<float>::infinity();
#pragma omp simd reduction(min : row_minimum)
    for (std::int64_t j = 0; j < width; ++j) row_minimum = std::min(row_minimum, costs[j]);
    float& kept = row_minimum_[static_cast<std::size_t>(tile.local_rows[r])];
    kept = std::min(kept, row_minimum);
  }
  // Columns: each thread takes slices of them down every row of the tile.
  constexpr std::int64_t kSlice = 256;
  float* const best = column_minimum_.data() + tile.column_begin;
#pragma omp parallel for schedule(static) if (team)
  for (std::int64_t j0 = 0; j0 < width; j0 += kSlice) {
    const std::int64_t end = std::min(width, j0 + kSlice);
    for (std::int64_t r = 0; r < tile.rows; ++r) {
      const float* costs = tile.values + r * width;
#pragma omp simd
      for (std::int64_t j = j0; j < end; ++j) best[j] = std::min(best[j], costs[j]);
    }
  }
  entries_ += tile.rows * width;
}

NearestCosines NearestScan::cosines(dist::Comm& comm) const {
  const bool complete = entries_ == share_.count() * columns_;
  if (max_over_ranks(comm, complete ? 0 : 1) != 0) {
    throw SharedInputError(str("nearest cosines: a rank's pass did not cover its rows (internal error)"));
  }
  NearestCosines out;
  BytePacker mine;
  mine.put_all(std::span<const float>(row_minimum_));
  const std::vector<std::uint8_t> rows = gather_bytes(comm, mine.bytes());
  out.row.resize(rows.size() / sizeof(float));
  std::memcpy(out.row.data(), rows.data(), rows.size());
  // A row with no row of the other matrix to meet keeps cosine −1, the smallest a cosine can be.
  const auto cosine = [](float cost) { return std::max(1.0f - cost, -1.0f); };
  for (float& c : out.row) c = cosine(c);
  // Columns: the minimum over ranks, a piece at a time so that no rank holds every rank's
  // copy of all of them.
  out.column = column_minimum_;
  const auto ranks = static_cast<std::int64_t>(comm.size());
  if (ranks > 1) {
    const std::int64_t piece = std::max<std::int64_t>(1, (std::int64_t{4} << 20) / ranks);
    std::vector<float> all(static_cast<std::size_t>(std::min(piece, columns_) * ranks));
    for (std::int64_t first = 0; first < columns_; first += piece) {
      const std::int64_t count = std::min(piece, columns_ - first);
      comm.allgather(column_minimum_.data() + first, all.data(), static_cast<std::size_t>(count) * sizeof(float));
      for (std::int64_t r = 0; r < ranks; ++r)
        for (std::int64_t j = 0; j < count; ++j)
          out.column[static_cast<std::size_t>(first + j)] =
              std::min(out.column[static_cast<std::size_t>(first + j)], all[static_cast<std::size_t>(r * count + j)]);
    }
  }
  for (float& c : out.column) c = cosine(c);
  return out;
}

std::int64_t NearestScan::bytes() const {
  return static_cast<std::int64_t>((row_minimum_.size() + column_minimum_.size()) * sizeof(float));
}

}  // namespace coact::compare::blocked
