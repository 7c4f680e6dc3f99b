// Distributions compared across seeds (docs/method.md, "Cross-seed comparison"): density
// histograms on shared bins and the Jensen–Shannon distance between them, exactly as
// scipy.spatial.distance.jensenshannon(p, q) computes it (natural log).
#pragma once

#include <cstdint>
#include <span>
#include <vector>

namespace coact::compare {

// Two densities over the same bins.
struct PairedDensities {
  std::vector<double> p, q;
};

// Densities over integer bins 0..max(max(a), max(b)) (e.g. node degrees of two graphs): bin k
// holds the fraction of a's (resp. b's) values equal to k. Throws InputError for a negative
// value or an empty input.
PairedDensities integer_densities(std::span<const std::int64_t> a, std::span<const std::int64_t> b);

// The same from histograms already counted (counts[k] = values equal to k, as
// networkx.degree_histogram or graph::DegreeHistogram give): the shorter is padded with zeros.
PairedDensities integer_densities_from_counts(std::span<const std::int64_t> counts_a,
                                              std::span<const std::int64_t> counts_b);

// numpy.linspace(lo, hi, bins + 1) over the range of both inputs (one bin of width 1 around
// the value when every value is equal), as numpy.histogram(x, bins) would choose for the
// concatenated data.
std::vector<double> shared_bin_edges(std::span<const double> a, std::span<const double> b, std::int64_t bins);

// numpy.histogram(values, bins=edges)[0]: bin k counts edges[k] <= x < edges[k+1], the last
// bin also counts x == edges.back(); values outside [edges.front(), edges.back()] are not
// counted. edges must be increasing (InputError otherwise); NaN values are an InputError.
std::vector<std::int64_t> histogram_counts(std::span<const double> values, std::span<const double> edges);

// histogram_counts of a and b on the same edges, each divided by its total.
PairedDensities real_densities(std::span<const double> a, std::span<const double> b, std::span<const double> edges);

// scipy.spatial.distance.jensenshannon(p, q) with the natural log: p and q are normalised to
// sum 1, m = (p + q)/2, and the result is sqrt((KL(p‖m) + KL(q‖m)) / 2) with scipy's rel_entr
// conventions (0·log 0 = 0). p and q must have the same length, entries >= 0 and a positive
// sum (InputError otherwise, where scipy would return nan). In [0, sqrt(ln 2)].
double jensen_shannon_distance(std::span<const double> p, std::span<const double> q);

}  // namespace coact::compare
