// Correlations across matched pairs (degree, strength, frequency of f in one graph against
// its match in the other): Pearson's r as scipy.stats.pearsonr and Spearman's rho as
// scipy.stats.spearmanr, with average ranks for ties (scipy.stats.rankdata 'average').
#pragma once

#include <span>
#include <vector>

namespace coact::compare {

// Pearson correlation of x and y (same length >= 2; InputError otherwise or for NaN/Inf).
// NaN when either input is constant, as scipy returns (with a warning) there.
double pearson_correlation(std::span<const double> x, std::span<const double> y);

// 1-based ranks with ties given the average of the ranks they span (rankdata 'average').
// InputError for a NaN value.
std::vector<double> average_ranks(std::span<const double> values);

// Spearman rank correlation: Pearson's r of the average ranks. NaN when either input is
// constant; InputError for NaN/Inf values or lengths that differ or are below 2.
double spearman_correlation(std::span<const double> x, std::span<const double> y);

}  // namespace coact::compare
