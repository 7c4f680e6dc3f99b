// Exact linear assignment: the minimum-cost matching of every row of a dense n1×n2 cost
// matrix (n1 <= n2) to a distinct column, as scipy.optimize.linear_sum_assignment computes it.
// Feature matching between two SAEs solves it on cost = 1 − cos(W_dec1[i], W_dec2[j]).
//
// The solver returns dual potentials (u, v) beside the matching, so its optimality can be
// proved independently of how it was found: every reduced cost c_ij − u_i − v_j is >= 0 and
// every matched one is 0 (verify_optimality checks this on the whole matrix).
//
// Methods (AssignmentMethod):
//  - SparsePricing (what Auto picks for square problems): one pass over the matrix keeps
//    each row's and each column's cheapest entries; that restricted problem is solved
//    Jonker–Volgenant style (column-minimum start, augmenting row reduction, then shortest
//    augmenting paths with a heap); then every entry of the dense matrix is priced against
//    the duals. Rows with a negative reduced cost get their most negative entries and are
//    re-solved; the loop ends when no entry is negative, i.e. with a certificate over all
//    n1·n2 entries, so the result is exact whatever the restriction missed. Later pricing passes read only the rows whose
//    u rose since they were last priced (v never rises). Fast when the optimum uses cheap
//    entries, as it does for decoder cosines; when rows all compete for the same few columns
//    the remaining rows are matched on the dense matrix instead (no worse than scipy).
//    A rectangular problem is solved as a square one with n2 − n1 virtual rows of one
//    constant cost (no copy of the matrix); fast only when nearly square.
//  - DenseShortestPath: shortest augmenting paths on the dense matrix (scipy's algorithm,
//    with a row-reduction start; an OpenMP team over the O(n2) column scans for matrices of
//    at least 32,768 columns). Fast when there are spare columns (n2 > n1), as free columns
//    are then never far; the engine of SparsePricing's fallback.
//  - Auto: SparsePricing for square and nearly square problems (n2 − n1 <= n2/256),
//    DenseShortestPath otherwise.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "coact/core/tensor.h"

namespace coact::compare {

enum class AssignmentMethod { Auto, DenseShortestPath, SparsePricing };
const char* to_string(AssignmentMethod method);

struct AssignmentOptions {
  AssignmentMethod method = AssignmentMethod::Auto;
  // SparsePricing: how many cheapest entries of each row, and of each column, seed the
  // restricted problem (pricing adds whatever else the optimum needs).
  int row_candidates = 32;
  int column_candidates = 4;
  // Progress bar / log lines (coact::Progress) for problems with at least this many rows.
  std::int64_t progress_min_rows = 4096;
  std::string label = "linear assignment";
};

// What the solver did: for logs, benchmarks and tests of the pricing loop.
struct AssignmentStats {
  AssignmentMethod method = AssignmentMethod::Auto;
  int pricing_rounds = 0;                  // pricing passes (over the rows whose u rose)
  std::int64_t candidate_entries = 0;      // entries of the restricted problem at the end
  std::int64_t dense_rows = 0;             // rows the restricted problem had to take whole
  std::int64_t augmentations = 0;          // shortest augmenting paths found, of which
  std::int64_t dense_augmentations = 0;    //   on the dense matrix (SparsePricing: its finish)
  std::int64_t settled_columns = 0;        // columns settled by all searches (their work)
  std::int64_t initial_matches = 0;        // rows matched by the reduction start, no search
  double seconds = 0;                      // total wall time, of which:
  double candidate_seconds = 0;            //   building the restricted problem (one pass)
  double search_seconds = 0;               //   shortest augmenting paths
  double pricing_seconds = 0;              //   pricing passes over the dense matrix
};

struct Assignment {
  std::vector<std::int32_t> column_of_row;  // row i is matched to column column_of_row[i]
  double cost = 0;                          // Σ_i cost[i, column_of_row[i]], summed in double
  // Dual potentials: reduced cost c_ij − u_i − v_j >= 0 everywhere, = 0 on matched entries;
  // columns left unmatched (n1 < n2) share the largest v. Empty for greedy_assignment.
  std::vector<double> row_potential;     // u, n1 values
  std::vector<double> column_potential;  // v, n2 values
  AssignmentStats stats;
};

// Minimum-cost assignment of every row to a distinct column. cost is row-major n1×n2 with
// n1 <= n2; ties are broken deterministically (same result for any thread count). Throws
// InputError for NaN/Inf entries or n1 > n2 (transpose the problem).
Assignment solve_assignment(MatrixView<const float> cost, const AssignmentOptions& options = {});

// Σ_i cost[i, column_of_row[i]] in double (InputError if an index is out of range).
double assignment_cost(MatrixView<const float> cost, std::span<const std::int32_t> column_of_row);

// An independent proof of optimality from the potentials, computed over every entry.
struct OptimalityCertificate {
  bool valid_assignment = false;   // every row matched to a distinct, in-range column
  bool optimal = false;            // valid, and every condition below within `tolerance`
  double min_reduced_cost = 0;     // min over all entries of c_ij − u_i − v_j (>= −tol)
  double max_matched_reduced_cost = 0;  // max |reduced cost| over matched entries (<= tol)
  double free_column_excess = 0;   // rectangular: how far a matched column's v exceeds the
                                   // smallest v of the unmatched columns (<= tol)
  // Upper bound on cost − optimum implied by the potentials (0 for an exact certificate up
  // to rounding): Σ matched reduced costs + n1·max(0, −min reduced cost) + free-column term.
  double gap_bound = 0;
  std::string problem;             // empty when optimal, else what failed
};

// Checks the assignment and its potentials against the full matrix. tolerance is absolute
// (per reduced cost); 1e-9 suits costs of order 1 in double.
OptimalityCertificate verify_optimality(MatrixView<const float> cost, const Assignment& assignment,
                                        double tolerance = 1e-9);

}  // namespace coact::compare
