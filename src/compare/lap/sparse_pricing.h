// The SparsePricing method (see coact/compare/assignment.h): candidates, Jonker–Volgenant
// start, sparse shortest paths, pricing rounds, and the dense fallback. Internal.
#pragma once

#include <string>

#include "coact/compare/assignment.h"
#include "lap/cost_rows.h"
#include "lap/lap_state.h"
#include "lap/match_progress.h"

namespace coact::compare::lap {

struct SparsePricingSettings {
  int row_candidates;
  int column_candidates;
  std::string label;  // for log lines
};

// Solves the square problem `cost` (rows == cols) from an empty `state` to a certified
// optimum: every reduced cost >= −tolerance, matched ones within tolerance of 0.
void solve_sparse_pricing(const CostRows& cost, const SparsePricingSettings& settings, double tolerance,
                          LapState& state, AssignmentStats& stats, MatchProgress& progress);

}  // namespace coact::compare::lap
