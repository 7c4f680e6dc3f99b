#include "lap/candidate_graph.h"

#include <omp.h>

#include <algorithm>
#include <limits>

#include "lap/parallel.h"

namespace coact::compare::lap {
namespace {

// Entries are examined in blocks: one vectorised comparison per block rejects it unless it
// holds an entry below the admission threshold, which after the first few blocks of a row
// (or rows of a column) is rare. This keeps the pass near memory speed.
constexpr std::int64_t kBlock = 16;

// The k cheapest entries of one row. Entries below the admission threshold go to a buffer;
// when it holds 4k, nth_element keeps the k cheapest and the k-th cost becomes the
// threshold. Order: cost, then scan position (the row is scanned from a rotated start), so
// among equal costs the earlier-scanned entry is kept.
class SmallestK {
 public:
  explicit SmallestK(int k) : k_(static_cast<std::size_t>(k)) { buffer_.reserve(4 * k_); }
  void start_row(std::int64_t columns, std::int64_t rotation) {
    buffer_.clear();
    threshold_ = std::numeric_limits<float>::infinity();
    columns_ = columns;
    rotation_ = rotation;
  }
  // Offers entries [begin, end) of `costs`.
  void scan(const float* costs, std::int64_t begin, std::int64_t end) {
    std::int64_t j = begin;
    for (; j + kBlock <= end; j += kBlock) {
      // An OR of comparisons vectorises where a float min-reduction may not (NaN rules).
      const float threshold = threshold_;
      int below = 0;
#pragma omp simd reduction(| : below)
      for (std::int64_t b = 0; b < kBlock; ++b) below |= costs[j + b] < threshold;
      if (below) {
        for (std::int64_t b = 0; b < kBlock; ++b) offer(costs[j + b], j + b);
      }
    }
    for (; j < end; ++j) offer(costs[j], j);
  }
  // The kept entries, cheapest first.
  std::vector<CandidateEdge> take() {
    keep_cheapest();
    std::sort(buffer_.begin(), buffer_.end(), order());
    return buffer_;
  }

 private:
  void offer(float cost, std::int64_t column) {
    if (!(cost < threshold_)) return;
    buffer_.push_back({static_cast<std::int32_t>(column), cost});
    if (buffer_.size() == 4 * k_) {
      keep_cheapest();
      threshold_ = buffer_.back().cost;
    }
  }
  // Leaves the k cheapest in the buffer with the most expensive of them last.
  void keep_cheapest() {
    if (buffer_.size() <= k_) return;
    std::nth_element(buffer_.begin(), buffer_.begin() + static_cast<std::ptrdiff_t>(k_ - 1), buffer_.end(), order());
    buffer_.resize(k_);
  }
  struct Order {
    std::int64_t columns, rotation;
    std::int64_t scan_position(std::int32_t column) const {
      const std::int64_t p = column - rotation;
      return p < 0 ? p + columns : p;
    }
    bool operator()(const CandidateEdge& a, const CandidateEdge& b) const {
      if (a.cost != b.cost) return a.cost < b.cost;
      return scan_position(a.column) < scan_position(b.column);
    }
  };
  Order order() const { return {columns_, rotation_}; }
  std::size_t k_;
  float threshold_ = std::numeric_limits<float>::infinity();
  std::int64_t columns_ = 0, rotation_ = 0;
  std::vector<CandidateEdge> buffer_;
};

// One thread's k cheapest entries of every column over the rows it saw: k slots per column
// sorted ascending, and the k-th cost of each column in a separate contiguous array (the
// admission threshold, infinity while not full) so the block test vectorises.
struct ColumnLists {
  ColumnLists(std::int64_t columns, int per_column)
      : k(per_column), cost(static_cast<std::size_t>(columns * per_column), std::numeric_limits<float>::infinity()),
        row(static_cast<std::size_t>(columns * per_column), -1),
        threshold(static_cast<std::size_t>(columns), std::numeric_limits<float>::infinity()) {}

  void scan(const float* costs, std::int64_t columns, std::int32_t r) {
    const float* limit = threshold.data();
    std::int64_t j = 0;
    for (; j + kBlock <= columns; j += kBlock) {
      int below = 0;
#pragma omp simd reduction(| : below)
      for (std::int64_t b = 0; b < kBlock; ++b) below |= costs[j + b] < limit[j + b];
      if (below) {
        for (std::int64_t b = 0; b < kBlock; ++b) offer(j + b, costs[j + b], r);
      }
    }
    for (; j < columns; ++j) offer(j, costs[j], r);
  }
  void offer(std::int64_t column, float c, std::int32_t r) {
    if (!(c < threshold[static_cast<std::size_t>(column)])) return;
    float* costs = cost.data() + column * k;
    std::int32_t* rows = row.data() + column * k;
    int at = k - 1;  // the last slot is dropped; shift larger entries right (ties stay ahead)
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

}  // namespace

std::int64_t CandidateGraph::edge_count() const {
  std::int64_t count = 0;
  for (const auto& row : edges) count += static_cast<std::int64_t>(row.size());
  return count;
}

std::int64_t CandidateGraph::dense_count() const {
  return std::count(dense.begin(), dense.end(), std::uint8_t{1});
}

void CandidateGraph::add(std::int32_t row, std::int32_t column, float cost) {
  auto& list = edges[static_cast<std::size_t>(row)];
  for (const CandidateEdge& e : list) {
    if (e.column == column) return;
  }
  list.push_back({column, cost});
}

CandidateGraph select_candidates(const CostRows& cost, int row_candidates, int column_candidates,
                                 ColumnMinima& minima) {
  const std::int64_t rows = cost.rows;
  const std::int64_t columns = cost.cols;
  const int k_row = std::max(1, row_candidates);
  const int k_column = std::max(1, column_candidates);
  CandidateGraph graph;
  graph.edges.resize(static_cast<std::size_t>(rows));
  graph.dense.assign(static_cast<std::size_t>(rows), 0);

  const int threads = worth_a_team(rows * columns) ? omp_get_max_threads() : 1;
  std::vector<ColumnLists> column_lists;
  column_lists.reserve(static_cast<std::size_t>(threads));
  for (int t = 0; t < threads; ++t) column_lists.emplace_back(columns, k_column);

#pragma omp parallel num_threads(threads)
  {
    ColumnLists& lists = column_lists[static_cast<std::size_t>(omp_get_thread_num())];
    SmallestK row_best(k_row);
    // Static schedule: thread t sees rows in increasing order, so equal costs keep the lower
    // row in its column lists, and the merge below (threads in order) keeps that rule.
#pragma omp for schedule(static)
    for (std::int64_t i = 0; i < rows; ++i) {
      const float* costs = cost.row(i);
      // Rotating the start spreads tied rows over different columns.
      const std::int64_t rotation = (i * columns) / std::max<std::int64_t>(rows, 1);
      row_best.start_row(columns, rotation);
      row_best.scan(costs, rotation, columns);
      row_best.scan(costs, 0, rotation);
      lists.scan(costs, columns, static_cast<std::int32_t>(i));
      graph.edges[static_cast<std::size_t>(i)] = row_best.take();
    }
  }

  minima.value.assign(static_cast<std::size_t>(columns), std::numeric_limits<double>::infinity());
  minima.row.assign(static_cast<std::size_t>(columns), -1);
  // Merge the per-thread column lists (serially: adding to rows' edge lists is not
  // thread-safe, and this is O(columns · k · threads)).
  std::vector<CandidateEdge> merged;
  for (std::int64_t j = 0; j < columns; ++j) {
    merged.clear();
    for (const ColumnLists& lists : column_lists) {
      for (int s = 0; s < lists.k; ++s) {
        const std::size_t at = static_cast<std::size_t>(j * lists.k + s);
        if (lists.row[at] >= 0) merged.push_back({lists.row[at], lists.cost[at]});
      }
    }
    // Stable: among equal costs the earlier thread, i.e. the lower row, comes first.
    std::stable_sort(merged.begin(), merged.end(),
                     [](const CandidateEdge& a, const CandidateEdge& b) { return a.cost < b.cost; });
    const std::size_t keep = std::min<std::size_t>(merged.size(), static_cast<std::size_t>(k_column));
    for (std::size_t s = 0; s < keep; ++s) {
      graph.add(merged[s].column, static_cast<std::int32_t>(j), merged[s].cost);
    }
    if (!merged.empty()) {
      minima.value[static_cast<std::size_t>(j)] = merged[0].cost;
      minima.row[static_cast<std::size_t>(j)] = merged[0].column;
    }
  }
  return graph;
}

}  // namespace coact::compare::lap
