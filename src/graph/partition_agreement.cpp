#include "coact/graph/partition_agreement.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <unordered_map>
#include <utility>

#include "coact/core/errors.h"

namespace coact::graph {

namespace {

// The contingency table of two labelings: nonzero cells and the margins.
struct Contingency {
  std::map<std::pair<std::int64_t, std::int64_t>, double> cells;
  std::unordered_map<std::int64_t, double> rows, columns;
  double items = 0;
};

Contingency contingency(std::span<const std::int64_t> a, std::span<const std::int64_t> b) {
  if (a.size() != b.size()) throw InputError(str("partition agreement: ", a.size(), " labels against ", b.size()));
  Contingency t;
  for (std::size_t i = 0; i < a.size(); ++i) {
    t.cells[{a[i], b[i]}] += 1.0;
    t.rows[a[i]] += 1.0;
    t.columns[b[i]] += 1.0;
  }
  t.items = static_cast<double>(a.size());
  return t;
}

double pairs(double x) { return x * (x - 1.0) / 2.0; }

double entropy(const std::unordered_map<std::int64_t, double>& counts, double items) {
  double h = 0.0;
  for (const auto& [label, c] : counts) h -= (c / items) * std::log(c / items);
  return h;
}

}  // namespace

double adjusted_rand_index(std::span<const std::int64_t> truth, std::span<const std::int64_t> found) {
  const Contingency t = contingency(truth, found);
  if (t.items < 2) return 1.0;
  double index = 0, row_pairs = 0, column_pairs = 0;
  for (const auto& [key, c] : t.cells) index += pairs(c);
  for (const auto& [label, r] : t.rows) row_pairs += pairs(r);
  for (const auto& [label, c] : t.columns) column_pairs += pairs(c);
  const double expected = row_pairs * column_pairs / pairs(t.items);
  const double maximum = 0.5 * (row_pairs + column_pairs);
  // Both partitions trivial in the same way (one cluster each, or all singletons): identical.
  if (maximum == expected) return 1.0;
  return (index - expected) / (maximum - expected);
}

double normalized_mutual_information(std::span<const std::int64_t> truth, std::span<const std::int64_t> found) {
  const Contingency t = contingency(truth, found);
  // No split on either side (or no items): a perfect match, as sklearn returns.
  if (t.rows.size() <= 1 && t.columns.size() <= 1) return 1.0;
  double mutual = 0.0;
  for (const auto& [key, count] : t.cells)
    mutual += (count / t.items) * std::log(count * t.items / (t.rows.at(key.first) * t.columns.at(key.second)));
  if (mutual <= 0.0) return 0.0;
  const double normaliser = 0.5 * (entropy(t.rows, t.items) + entropy(t.columns, t.items));
  return std::min(1.0, mutual / normaliser);
}

}  // namespace coact::graph
