#include "coact/compare/distribution.h"

#include <algorithm>
#include <cmath>

#include "coact/core/errors.h"

namespace coact::compare {
namespace {

std::vector<double> normalised(std::span<const std::int64_t> counts, std::size_t bins) {
  std::int64_t total = 0;
  for (std::int64_t c : counts) total += c;
  std::vector<double> density(bins, 0.0);
  for (std::size_t k = 0; k < counts.size(); ++k) {
    density[k] = static_cast<double>(counts[k]) / static_cast<double>(total);
  }
  return density;
}

void require_counts(std::span<const std::int64_t> counts, const char* name) {
  std::int64_t total = 0;
  for (std::int64_t c : counts) {
    COACT_REQUIRE(c >= 0, InputError, "integer_densities: ", name, " has a negative count ", c);
    total += c;
  }
  COACT_REQUIRE(total > 0, InputError, "integer_densities: ", name, " is empty (no values to histogram)");
}

std::vector<std::int64_t> count_integers(std::span<const std::int64_t> values, const char* name) {
  COACT_REQUIRE(!values.empty(), InputError, "integer_densities: ", name, " is empty (no values to histogram)");
  std::int64_t largest = 0;
  for (std::int64_t x : values) {
    COACT_REQUIRE(x >= 0, InputError, "integer_densities: ", name, " has a negative value ", x);
    largest = std::max(largest, x);
  }
  std::vector<std::int64_t> counts(static_cast<std::size_t>(largest) + 1, 0);
  for (std::int64_t x : values) ++counts[static_cast<std::size_t>(x)];
  return counts;
}

// scipy.special.rel_entr(x, y) for x >= 0, y > 0 or x = 0.
double rel_entr(double x, double y) {
  if (x > 0 && y > 0) return x * std::log(x / y);
  return 0.0;  // x == 0 (y >= 0); x > 0 with y == 0 cannot happen for y = (p + q)/2
}

}  // namespace

PairedDensities integer_densities_from_counts(std::span<const std::int64_t> counts_a,
                                              std::span<const std::int64_t> counts_b) {
  require_counts(counts_a, "the first histogram");
  require_counts(counts_b, "the second histogram");
  const std::size_t bins = std::max(counts_a.size(), counts_b.size());
  return {normalised(counts_a, bins), normalised(counts_b, bins)};
}

PairedDensities integer_densities(std::span<const std::int64_t> a, std::span<const std::int64_t> b) {
  const std::vector<std::int64_t> counts_a = count_integers(a, "the first input");
  const std::vector<std::int64_t> counts_b = count_integers(b, "the second input");
  return integer_densities_from_counts(counts_a, counts_b);
}

std::vector<double> shared_bin_edges(std::span<const double> a, std::span<const double> b, std::int64_t bins) {
  COACT_REQUIRE(bins >= 1, InputError, "shared_bin_edges: need at least one bin (got ", bins, ")");
  COACT_REQUIRE(!a.empty() || !b.empty(), InputError, "shared_bin_edges: both inputs are empty");
  double lo = INFINITY, hi = -INFINITY;
  for (std::span<const double> values : {a, b}) {
    for (double x : values) {
      COACT_REQUIRE(std::isfinite(x), InputError, "shared_bin_edges: value ", x, " is not finite");
      lo = std::min(lo, x);
      hi = std::max(hi, x);
    }
  }
  if (lo == hi) {  // numpy.histogram's rule for a degenerate range
    lo -= 0.5;
    hi += 0.5;
  }
  // numpy.linspace: lo + k·step, the last edge exactly hi.
  std::vector<double> edges(static_cast<std::size_t>(bins) + 1);
  const double step = (hi - lo) / static_cast<double>(bins);
  for (std::int64_t k = 0; k < bins; ++k) edges[static_cast<std::size_t>(k)] = lo + static_cast<double>(k) * step;
  edges.back() = hi;
  return edges;
}

std::vector<std::int64_t> histogram_counts(std::span<const double> values, std::span<const double> edges) {
  COACT_REQUIRE(edges.size() >= 2, InputError, "histogram_counts: need at least two bin edges (got ", edges.size(), ")");
  for (std::size_t k = 1; k < edges.size(); ++k) {
    COACT_REQUIRE(edges[k - 1] < edges[k], InputError, "histogram_counts: bin edges must increase (edge ", k, " is ",
                  edges[k], " after ", edges[k - 1], ")");
  }
  std::vector<std::int64_t> counts(edges.size() - 1, 0);
  for (double x : values) {
    COACT_REQUIRE(!std::isnan(x), InputError, "histogram_counts: NaN value");
    if (x < edges.front() || x > edges.back()) continue;
    // The last edge closes the last bin; otherwise the bin whose left edge is the last <= x.
    const std::size_t bin =
        x == edges.back() ? counts.size() - 1
                          : static_cast<std::size_t>(std::upper_bound(edges.begin(), edges.end(), x) - edges.begin()) - 1;
    ++counts[bin];
  }
  return counts;
}

PairedDensities real_densities(std::span<const double> a, std::span<const double> b, std::span<const double> edges) {
  const std::vector<std::int64_t> counts_a = histogram_counts(a, edges);
  const std::vector<std::int64_t> counts_b = histogram_counts(b, edges);
  return integer_densities_from_counts(counts_a, counts_b);
}

double jensen_shannon_distance(std::span<const double> p, std::span<const double> q) {
  COACT_REQUIRE(p.size() == q.size(), InputError, "jensen_shannon_distance: distributions of ", p.size(), " and ",
                q.size(), " bins");
  double p_sum = 0, q_sum = 0;
  for (std::size_t k = 0; k < p.size(); ++k) {
    COACT_REQUIRE(p[k] >= 0 && q[k] >= 0 && std::isfinite(p[k]) && std::isfinite(q[k]), InputError,
                  "jensen_shannon_distance: bin ", k, " has a negative or non-finite weight");
    p_sum += p[k];
    q_sum += q[k];
  }
  COACT_REQUIRE(p_sum > 0 && q_sum > 0, InputError, "jensen_shannon_distance: a distribution sums to zero");
  double divergence = 0;
  for (std::size_t k = 0; k < p.size(); ++k) {
    const double pk = p[k] / p_sum, qk = q[k] / q_sum;
    const double mk = (pk + qk) / 2.0;
    divergence += rel_entr(pk, mk) + rel_entr(qk, mk);
  }
  // Rounding can leave a tiny negative sum for identical inputs; the distance is then 0.
  return std::sqrt(std::max(0.0, divergence / 2.0));
}

}  // namespace coact::compare
