// Feature matching on cost 1 − cos(a_i, b_j) without the n1×n2 cost matrix, on every rank of
// a communicator: exact (a minimum-cost assignment with its optimality certificate) or greedy.
// Memory per rank is O((n1 + n2)/ranks · d + n · candidates), never n1·n2.
//
// Each rank holds a share of the rows of both matrices (row_share). The cost is computed in
// tiles by Backend::gemm: for every chunk of B's rows (broadcast by the rank that holds it),
// every rank multiplies the rows of A it owns, a block at a time, and scans the tile at once.
//
// Exact (the SparsePricing method of assignment.h, distributed):
//  1. Candidate pass (one pass over all n1·n2 entries): each row's `row_candidates` cheapest
//     entries, each column's `column_candidates` cheapest entries, and the entry (i, i),
//     which makes the identity a perfect matching of the restricted problem, so every
//     shortest-path search inside it reaches a free column. Each row's next
//     `pricing_entries` cheapest entries stay on its rank as the row's reserve, with a bound
//     below all the others (the last cost kept).
//  2. The root solves the restricted problem from v = 0 and u = the row minima (every entry
//     feasible) by sparse shortest augmenting paths.
//  3. Pricing: the root broadcasts the duals (u, v). Every v only ever falls, so c_ij − v_j
//     only grows and a row's bound stays a bound. A row whose u passed its reserve's smallest
//     reduced cost but not its bound hands its reserve's entries of negative reduced cost to
//     the root with no GEMM; a row whose u passed its bound is recomputed by GEMM (only such
//     rows, packed into blocks), which renews its reserve and bound. The root adds the
//     entries, lowers u and re-solves. The loop ends when no row of any rank can have a
//     negative reduced cost.
//  4. The certificate: min over all n1·n2 entries of c_ij − u_i − v_j, taken over the
//     restricted entries on the root and from the reserves and bounds for all others (the root
//     checks v never rose), reduced over ranks; matched entries tight; optionally (`recheck`)
//     one more full pass recomputes every entry at the final duals, independent of that
//     bookkeeping.
// A rectangular problem (n1 < n2) is solved as a square one with n2 − n1 virtual rows of
// constant cost (the root prices them without any GEMM): the columns they take keep the
// largest v, as the rectangular certificate requires.
//
// Nearest cosines (options.nearest): each row's and each column's largest cosine over all n1·n2
// pairs, the best cosine of every feature in the other decoder, taken from the tiles of the
// first pass (the matcher's candidate pass: no GEMM of its own). With options.null_rotation,
// after the matching B's unit rows are turned by that rotation in place and one more pass
// takes the same against them: the stability's null model, on the tiles the matching built.
//
// Greedy: the approximation of greedy_assignment.h (globally cheapest free pair first, ties to
// the lower row, then the lower column), from each row's cheapest entries; a row whose entries
// are all taken before the scan may pass its last one is refilled from the free columns by
// another pass over that row alone.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "coact/backend/backend.h"
#include "coact/compare/assignment.h"
#include "coact/core/tensor.h"

namespace coact::dist {
class Comm;
}

namespace coact::compare {

// The rows [begin, end) of a `rows`-row matrix that rank `rank` of `ranks` holds: consecutive
// shares whose sizes differ by at most one (any row count, any number of ranks).
struct RowShare {
  std::int64_t begin = 0, end = 0;
  std::int64_t count() const { return end - begin; }
};
RowShare row_share(std::int64_t rows, int rank, int ranks);

struct BlockedMatchingOptions {
  bool greedy = false;
  // Restricted problem: each row's and each column's cheapest entries (as AssignmentOptions);
  // pricing hands a row at most `pricing_entries` of its most negative reduced costs per pass.
  int row_candidates = 32;
  int column_candidates = 4;
  int pricing_entries = 32;
  // Tile shape: rows of A per GEMM block and rows of B per broadcast chunk. The defaults keep
  // the GEMM near its peak; tests force small tiles to exercise the block edges.
  std::int64_t block_rows = 1024;
  std::int64_t block_columns = 4096;
  // Exact only: one more full pass at the final duals, recomputing every entry (twice the
  // GEMM work of a run without it; the pricing certificate is already a proof).
  bool recheck = false;
  // Absolute tolerance of the certificate per reduced cost (costs are in [0, 2]). GEMMs of
  // different tile shapes may round one entry differently (~1e-7: tiles of pricing passes hold
  // only some rows); the pricing certificate sees each entry once, the recheck anew.
  double certificate_tolerance = 1e-6;
  std::int64_t progress_min_rows = 4096;
  std::string label = "blocked matching";
  // The cost GEMM's arithmetic (bf16/tf32 operands with fp32 sums trade ~2^-8 in each cost for
  // speed; the certificate then holds for those costs).
  backend::Precision precision = backend::Precision::Fp32;
  // Also take the nearest cosines (NearestCosines) from the first pass's tiles.
  bool nearest = false;
  // Also the nearest cosines against B's rows turned by this rotation (d × d, row-major: each
  // row b becomes b · Q), in one more pass after the matching.
  const std::vector<float>* null_rotation = nullptr;
};

// Each row's largest cosine with any row of the other matrix (row: [a_rows]; column: each row
// of B with any row of A, [b_rows]), as 1 − the smallest cost: within a float rounding of 1
// (~6e-8) of the GEMM's cosine.
struct NearestCosines {
  std::vector<float> row, column;
};

struct BlockedMatchingStats {
  std::string method;               // "blocked-pricing" or "blocked-greedy"
  int passes = 0;                   // passes over tiles (candidate, pricing, refill, recheck)
  int pricing_rounds = 0;           // pricing passes that scanned at least one row
  std::int64_t priced_rows = 0;     // rows scanned by pricing passes, all ranks, all rounds
  std::int64_t candidate_entries = 0;  // entries of the restricted problem at the end (root)
  std::int64_t priced_entries = 0;  // of which pricing added (root; virtual rows' included)
  std::int64_t augmentations = 0;   // shortest augmenting paths (root)
  double full_pass_equivalents = 0; // entries computed by all ranks / (n1·n2): GEMM work in passes
  std::int64_t block_bytes = 0;     // this rank's GEMM operands and result of one tile (peak)
  std::int64_t rank_bytes = 0;      // this rank's peak working memory: shares, tiles, scan state
  std::int64_t max_rank_bytes = 0;  // the largest rank_bytes over ranks
  double seconds = 0;               // wall time, of which (this rank):
  double gemm_seconds = 0;          //   GEMMs of the tiles, of which
  double first_pass_gemm_seconds = 0;  //   the first pass's (one GEMM pass over this rank's rows)
  double scan_seconds = 0;          //   scanning tiles
  double solve_seconds = 0;         //   the restricted problem (root; others wait)
};

struct BlockedMatching {
  // On every rank: column_of_row (n1 entries) and cost (Σ of matched costs, in double). On the
  // root also the potentials (exact) and the stats of the restricted solve.
  Assignment assignment;
  std::vector<float> matched_cost;  // every rank: cost[i, column_of_row[i]] = 1 − cos
  // Exact: the certificate over all n1·n2 entries (every rank); greedy: not optimal, with
  // problem set to say why.
  OptimalityCertificate certificate;
  BlockedMatchingStats stats;
  NearestCosines nearest;       // every rank, with options.nearest
  NearestCosines null_nearest;  // every rank, with options.null_rotation
};

// A rank's share of a matrix's rows as the matcher takes them: `read` writes rows [first, first +
// count) of the share, row-major and `cols` wide, to `out`. The matcher reads a block of rows at
// a time and keeps only their unit-norm copy, so rows read from a file (a wide decoder's share
// is gigabytes) are never held twice.
struct ShareRows {
  std::int64_t rows = 0;
  std::int64_t cols = 0;
  std::function<void(std::int64_t first, std::int64_t count, float* out)> read;

  // Rows already in memory (copied a block at a time; `rows` must outlive the matching).
  static ShareRows in_memory(MatrixView<const float> rows);
};

// Collective over `comm` (a host-buffer communicator: MPI): every rank passes its share row_share(a_rows, rank, size) of A
// (a_share.rows must equal the share's count) and likewise of B, same width. a_rows <= b_rows.
// Throws (on every rank alike) InputError for a NaN/Inf entry, different widths or
// a_rows > b_rows, and the error of the lowest rank whose `read` threw.
BlockedMatching blocked_cosine_matching(backend::Backend& backend, dist::Comm& comm, const ShareRows& a_share,
                                        std::int64_t a_rows, const ShareRows& b_share, std::int64_t b_rows,
                                        const BlockedMatchingOptions& options = {});
// The same with both shares in memory.
BlockedMatching blocked_cosine_matching(backend::Backend& backend, dist::Comm& comm, MatrixView<const float> a_share,
                                        std::int64_t a_rows, MatrixView<const float> b_share, std::int64_t b_rows,
                                        const BlockedMatchingOptions& options = {});

}  // namespace coact::compare
