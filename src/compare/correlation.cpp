#include "coact/compare/correlation.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

#include "coact/core/errors.h"

namespace coact::compare {
namespace {

void require_pair(std::span<const double> x, std::span<const double> y, const char* who) {
  COACT_REQUIRE(x.size() == y.size(), InputError, who, ": inputs of ", x.size(), " and ", y.size(), " values");
  COACT_REQUIRE(x.size() >= 2, InputError, who, ": need at least two pairs (got ", x.size(), ")");
  for (std::size_t k = 0; k < x.size(); ++k) {
    COACT_REQUIRE(std::isfinite(x[k]) && std::isfinite(y[k]), InputError, who, ": pair ", k, " has a NaN/Inf value");
  }
}

double mean(std::span<const double> values) {
  double sum = 0;
  for (double v : values) sum += v;
  return sum / static_cast<double>(values.size());
}

// Pearson's r by scipy's recipe: centre, scale each by its norm, dot; clip to [-1, 1].
double pearson_unchecked(std::span<const double> x, std::span<const double> y) {
  const double mean_x = mean(x), mean_y = mean(y);
  double norm_x = 0, norm_y = 0;
  for (std::size_t k = 0; k < x.size(); ++k) {
    norm_x += (x[k] - mean_x) * (x[k] - mean_x);
    norm_y += (y[k] - mean_y) * (y[k] - mean_y);
  }
  norm_x = std::sqrt(norm_x);
  norm_y = std::sqrt(norm_y);
  if (norm_x == 0 || norm_y == 0) return std::numeric_limits<double>::quiet_NaN();
  double r = 0;
  for (std::size_t k = 0; k < x.size(); ++k) r += ((x[k] - mean_x) / norm_x) * ((y[k] - mean_y) / norm_y);
  return std::clamp(r, -1.0, 1.0);
}

}  // namespace

double pearson_correlation(std::span<const double> x, std::span<const double> y) {
  require_pair(x, y, "pearson_correlation");
  return pearson_unchecked(x, y);
}

std::vector<double> average_ranks(std::span<const double> values) {
  for (std::size_t k = 0; k < values.size(); ++k) {
    COACT_REQUIRE(!std::isnan(values[k]), InputError, "average_ranks: value ", k, " is NaN");
  }
  std::vector<std::size_t> order(values.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return values[a] < values[b]; });
  std::vector<double> ranks(values.size());
  for (std::size_t start = 0; start < order.size();) {
    std::size_t end = start + 1;
    while (end < order.size() && values[order[end]] == values[order[start]]) ++end;
    // Positions start..end-1 hold ranks start+1..end; their average is (start + 1 + end) / 2.
    const double rank = (static_cast<double>(start) + 1.0 + static_cast<double>(end)) / 2.0;
    for (std::size_t k = start; k < end; ++k) ranks[order[k]] = rank;
    start = end;
  }
  return ranks;
}

double spearman_correlation(std::span<const double> x, std::span<const double> y) {
  require_pair(x, y, "spearman_correlation");
  const std::vector<double> rank_x = average_ranks(x), rank_y = average_ranks(y);
  return pearson_unchecked(rank_x, rank_y);
}

}  // namespace coact::compare
