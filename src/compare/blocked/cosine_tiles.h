// Tiles of the cost 1 − cos(a_i, b_j), computed by Backend::gemm on this rank's rows of A
// against every row of B, one broadcast chunk of B at a time: the blocked matcher's only
// access to the cost. A pass visits, for each chunk of B's rows (in order of the rank holding
// them), the rows of A it was asked for, a block at a time; each tile goes to a TileVisitor on
// the host. Holds this rank's rows of A and B, normalised, and the buffers of one tile: nothing
// of size n1·n2. Internal to the compare module.
#pragma once

#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "coact/backend/backend.h"
#include "coact/backend/buffer.h"
#include "coact/compare/blocked_matching.h"
#include "coact/core/tensor.h"
#include "coact/dist/comm.h"

namespace coact::compare::blocked {

// Floats of a share read at once before they are normalised (16 MiB): the only copy of the rows
// as read that the tiles hold.
inline constexpr std::int64_t kShareReadFloats = std::int64_t{4} << 20;

struct Tile {
  const float* values = nullptr;         // rows × columns, host memory, row stride `columns`
  std::int64_t rows = 0, columns = 0;
  const std::int32_t* local_rows = nullptr;  // the tile's rows: indices into this rank's share of A
  std::int64_t first_slot = 0;           // position of local_rows[0] in the pass's row list
  std::int64_t column_begin = 0;         // global index of the tile's first column
};

class TileVisitor {
 public:
  virtual ~TileVisitor() = default;
  virtual void visit(const Tile& tile) = 0;
};

class CosineTiles {
 public:
  // a_share: rows row_share(a_rows, rank, size) of A; b_share likewise of B (same width), each
  // read a block of rows at a time and kept only normalised.
  // Throws SharedInputError on every rank when any rank holds a NaN/Inf entry, and on every
  // rank the error of the lowest rank whose read threw.
  CosineTiles(backend::Backend& backend, dist::Comm& comm, const ShareRows& a_share, std::int64_t a_rows,
              const ShareRows& b_share, std::int64_t b_rows, std::int64_t block_rows,
              std::int64_t block_columns, backend::Precision precision = backend::Precision::Fp32);

  // Collective: every rank calls it with the rows of its share it needs (ascending local
  // indices; an empty list still takes part in the broadcasts), or all of them when `rows` is
  // null.
  // `what` names the pass in the root's progress line (see report_progress).
  void pass(const std::vector<std::int32_t>* rows, TileVisitor& visitor, const std::string& what);
  // Turns this rank's unit rows of B by `rotation` (d × d, row-major: b ← b · Q) in place, a
  // block of rows at a time by Backend::gemm: later passes see B turned (the stability's null
  // model; an orthogonal Q keeps the rows unit).
  void turn_second(const std::vector<float>& rotation);
  // The next pass's tiles also go to `watcher`, after `visitor` (a second reading of the same
  // tiles, for a caller that wraps a matcher: the nearest cosines ride on its first pass).
  void also_visit_next_pass(TileVisitor& watcher) { watcher_ = &watcher; }
  // Passes over at least `min_entries` of the root's entries show progress (coact::Progress)
  // on the root, as "<label>: <what>".
  void report_progress(std::string label, std::int64_t min_entries) {
    progress_label_ = std::move(label);
    progress_min_entries_ = min_entries;
  }

  const RowShare& a_share() const { return a_share_; }
  std::int64_t a_rows() const { return a_rows_; }
  std::int64_t b_rows() const { return b_rows_; }
  std::int64_t width() const { return d_; }
  // Bytes of one tile's operands and result (A block, B chunk, tile; device and host copies).
  std::int64_t block_bytes() const { return block_bytes_; }
  // Bytes of the normalised shares of A and B.
  std::int64_t share_bytes() const { return share_bytes_; }
  double gemm_seconds() const { return gemm_seconds_; }
  double visit_seconds() const { return visit_seconds_; }
  std::int64_t entries() const { return entries_; }  // tile entries computed by this rank
  int passes() const { return passes_; }

 private:
  const float* chunk_of(int owner, std::int64_t first, std::int64_t count);
  const float* block_of(const std::int32_t* rows, std::int64_t count);

  backend::Backend& backend_;
  dist::Comm& comm_;
  bool host_backend_;
  RowShare a_share_, b_share_;
  std::int64_t a_rows_, b_rows_, d_;
  std::int64_t block_rows_, block_columns_;
  backend::Precision precision_;
  backend::Buffer<float> a_unit_;        // this rank's rows of A, unit norm (backend memory)
  std::vector<float> b_unit_;            // this rank's rows of B, unit norm (host: broadcast source)
  std::vector<float> chunk_host_;        // a chunk received from another rank
  backend::Buffer<float> chunk_device_;  // the chunk on the device (non-host backends)
  backend::Buffer<float> block_;         // rows of A gathered for one tile
  backend::Buffer<float> tile_;          // the tile (backend memory)
  std::vector<float> tile_host_;         // the tile on the host (non-host backends)
  std::vector<std::int32_t> all_rows_;   // 0 .. share − 1
  std::int64_t block_bytes_ = 0, share_bytes_ = 0;
  double gemm_seconds_ = 0, visit_seconds_ = 0;
  std::int64_t entries_ = 0;
  int passes_ = 0;
  TileVisitor* watcher_ = nullptr;
  std::string progress_label_;
  std::int64_t progress_min_entries_ = std::numeric_limits<std::int64_t>::max();
};

}  // namespace coact::compare::blocked
