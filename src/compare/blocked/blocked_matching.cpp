// blocked_cosine_matching: the collective checks, the tiles, and the choice of matcher.
#include "coact/compare/blocked_matching.h"

#include <cstring>
#include <limits>
#include <optional>

#include "blocked/cosine_tiles.h"
#include "blocked/drivers.h"
#include "blocked/exchange.h"
#include "blocked/tile_scans.h"
#include "coact/compare/shared_errors.h"
#include "coact/core/strings.h"

namespace coact::compare {

RowShare row_share(std::int64_t rows, int rank, int ranks) {
  return {rows * rank / ranks, rows * (rank + 1) / ranks};
}

namespace blocked {

void share_result(dist::Comm& comm, BlockedMatching& result, std::int64_t rows) {
  if (comm.size() == 1) return;
  Assignment& a = result.assignment;
  OptimalityCertificate& c = result.certificate;
  a.column_of_row.resize(static_cast<std::size_t>(rows));
  result.matched_cost.resize(static_cast<std::size_t>(rows));
  comm.broadcast(std::span<std::int32_t>(a.column_of_row), 0);
  comm.broadcast(std::span<float>(result.matched_cost), 0);
  struct Scalars {
    double cost, min_reduced_cost, max_matched_reduced_cost, free_column_excess, gap_bound;
    std::int64_t valid_assignment, optimal, problem_length;
  } s{a.cost, c.min_reduced_cost, c.max_matched_reduced_cost, c.free_column_excess, c.gap_bound,
      c.valid_assignment, c.optimal, static_cast<std::int64_t>(c.problem.size())};
  s = comm.broadcast_value(s, 0);
  a.cost = s.cost;
  c.min_reduced_cost = s.min_reduced_cost;
  c.max_matched_reduced_cost = s.max_matched_reduced_cost;
  c.free_column_excess = s.free_column_excess;
  c.gap_bound = s.gap_bound;
  c.valid_assignment = s.valid_assignment != 0;
  c.optimal = s.optimal != 0;
  c.problem.resize(static_cast<std::size_t>(s.problem_length));
  comm.broadcast(c.problem.data(), c.problem.size(), 0);
}

}  // namespace blocked

ShareRows ShareRows::in_memory(MatrixView<const float> rows) {
  return {rows.rows, rows.cols, [rows](std::int64_t first, std::int64_t count, float* out) {
            std::memcpy(out, rows.row(first), static_cast<std::size_t>(count * rows.cols) * sizeof(float));
          }};
}

BlockedMatching blocked_cosine_matching(backend::Backend& backend, dist::Comm& comm, MatrixView<const float> a_share,
                                        std::int64_t a_rows, MatrixView<const float> b_share, std::int64_t b_rows,
                                        const BlockedMatchingOptions& options) {
  return blocked_cosine_matching(backend, comm, ShareRows::in_memory(a_share), a_rows, ShareRows::in_memory(b_share),
                                 b_rows, options);
}

BlockedMatching blocked_cosine_matching(backend::Backend& backend, dist::Comm& comm, const ShareRows& a_share,
                                        std::int64_t a_rows, const ShareRows& b_share, std::int64_t b_rows,
                                        const BlockedMatchingOptions& options) {
  // Every rank is given the same sizes and the same kind of communicator, so these checks
  // agree without communication.
  if (comm.device_buffers()) {
    throw SharedInputError(str(options.label, ": the blocked matcher exchanges host buffers; give it an MPI "
                               "communicator, not ", comm.name()));
  }
  if (a_rows < 0 || b_rows < 0 || a_rows > b_rows) {
    throw SharedInputError(str(options.label, ": ", a_rows, " rows cannot each get a distinct one of ", b_rows,
                               " columns (give the smaller matrix first)"));
  }
  if (b_rows > std::numeric_limits<std::int32_t>::max()) {
    throw SharedInputError(str(options.label, ": ", b_rows, " rows exceed the 32-bit index range"));
  }
  if (options.null_rotation && static_cast<std::int64_t>(options.null_rotation->size()) != a_share.cols * a_share.cols) {
    throw SharedInputError(str(options.label, ": a null rotation of ", options.null_rotation->size(), " entries for rows of width ",
                               a_share.cols));
  }
  backend.require_precision(options.precision);
  blocked::CosineTiles tiles(backend, comm, a_share, a_rows, b_share, b_rows, options.block_rows,
                             options.block_columns, options.precision);
  tiles.report_progress(options.label, options.progress_min_rows * options.progress_min_rows);
  if (a_rows == 0) {
    BlockedMatching empty;
    empty.stats.method = options.greedy ? "blocked-greedy" : "blocked-pricing";
    empty.certificate.valid_assignment = true;
    empty.certificate.optimal = !options.greedy;
    empty.assignment.column_potential.assign(static_cast<std::size_t>(comm.is_root() ? b_rows : 0), 0.0);
    if (options.nearest) empty.nearest.column.assign(static_cast<std::size_t>(b_rows), -1.0f);
    if (options.null_rotation) empty.null_nearest.column.assign(static_cast<std::size_t>(b_rows), -1.0f);
    return empty;
  }
  // Both matchers' first pass visits every entry (the candidate pass; greedy's first round).
  std::optional<blocked::NearestScan> nearest;
  if (options.nearest) {
    nearest.emplace(tiles.a_share(), b_rows);
    tiles.also_visit_next_pass(*nearest);
  }
  BlockedMatching result =
      options.greedy ? blocked::greedy_matching(tiles, comm, options) : blocked::exact_matching(tiles, comm, options);
  if (nearest) {
    result.nearest = nearest->cosines(comm);
    result.stats.rank_bytes += nearest->bytes() + static_cast<std::int64_t>((a_rows + b_rows) * sizeof(float));
    result.stats.max_rank_bytes = blocked::max_over_ranks(comm, result.stats.rank_bytes);
  }
  if (options.null_rotation) {
    // The matcher's state is gone; its tiles stay for one more pass against B turned.
    tiles.turn_second(*options.null_rotation);
    blocked::NearestScan null(tiles.a_share(), b_rows);
    tiles.pass(nullptr, null, "null pass");
    result.null_nearest = null.cosines(comm);
  }
  return result;
}

}  // namespace coact::compare
