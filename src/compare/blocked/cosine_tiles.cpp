#include "blocked/cosine_tiles.h"

#include <algorithm>
#include <cstring>
#include <functional>
#include <limits>
#include <memory>
#include <utility>

#include "blocked/exchange.h"
#include "coact/compare/shared_errors.h"
#include "coact/core/errors.h"
#include "coact/core/memory.h"
#include "coact/core/progress.h"
#include "coact/core/strings.h"
#include "coact/core/timer.h"
#include "coact/dist/root.h"
#include "unit_rows.h"

namespace coact::compare::blocked {
namespace {

// Collective agreement on a share's shape and contents: every rank learns of the first bad
// row any rank found, so all of them throw the same error.
void require_finite(dist::Comm& comm, std::int64_t first_bad_global, std::int64_t none, const char* name) {
  const std::int64_t bad = -max_over_ranks(comm, -first_bad_global);
  if (bad < none) {
    throw SharedInputError(str("blocked matching: row ", bad, " of ", name, " has a NaN/Inf entry (or overflows)"));
  }
}

// Reads `share` a block of rows at a time and writes them scaled to unit norm (unit_rows.h) to
// host memory at `target(first, count)`, then calls `placed(first, count)`. Returns the first row
// holding a NaN/Inf entry, or share.rows. Only one block of the rows as read is held, so a share
// read from a file is never in memory twice.
std::int64_t read_unit_rows(const ShareRows& share, const std::function<float*(std::int64_t, std::int64_t)>& target,
                            const std::function<void(std::int64_t, std::int64_t)>& placed = {}) {
  const std::int64_t block =
      std::clamp<std::int64_t>(kShareReadFloats / std::max<std::int64_t>(1, share.cols), 1, std::max<std::int64_t>(1, share.rows));
  std::vector<float> read(static_cast<std::size_t>(std::min(block, share.rows) * share.cols));
  std::int64_t first_bad = share.rows;
  for (std::int64_t first = 0; first < share.rows; first += block) {
    const std::int64_t count = std::min(block, share.rows - first);
    share.read(first, count, read.data());
    const std::int64_t bad = normalise_rows(MatrixView<const float>(read.data(), count, share.cols), target(first, count));
    if (bad < count) first_bad = std::min(first_bad, first + bad);
    if (placed) placed(first, count);
  }
  return first_bad;
}

}  // namespace

CosineTiles::CosineTiles(backend::Backend& backend, dist::Comm& comm, const ShareRows& a_share,
                         std::int64_t a_rows, const ShareRows& b_share, std::int64_t b_rows,
                         std::int64_t block_rows, std::int64_t block_columns, backend::Precision precision)
    : backend_(backend), comm_(comm), host_backend_(backend.kind() == backend::DeviceKind::Cpu),
      a_share_(row_share(a_rows, comm.rank(), comm.size())), b_share_(row_share(b_rows, comm.rank(), comm.size())),
      a_rows_(a_rows), b_rows_(b_rows), d_(a_share.cols), block_rows_(std::max<std::int64_t>(1, block_rows)),
      block_columns_(std::max<std::int64_t>(1, block_columns)), precision_(precision) {
  // Shapes first, agreed by every rank, so that no rank goes on alone.
  const std::int64_t widest = max_over_ranks(comm, std::max(a_share.cols, b_share.cols));
  const std::int64_t narrowest = -max_over_ranks(comm, -std::min(a_share.cols, b_share.cols));
  if (widest != narrowest) {
    throw SharedInputError(str("blocked matching: rows of width ", narrowest, " and ", widest,
                               " cannot be compared (the two SAEs have different d)"));
  }
  const bool shares_fit = a_share.rows == a_share_.count() && b_share.rows == b_share_.count();
  if (max_over_ranks(comm, shares_fit ? 0 : 1) != 0) {
    throw SharedInputError(str("blocked matching: a rank's rows are not its share of the ", a_rows, " and ", b_rows,
                               " rows (row_share)"));
  }
  // One chunk is broadcast at once; keep it below the communicator's 1 GiB piece.
  block_columns_ = std::min(block_columns_, std::max<std::int64_t>(1, (std::int64_t{1} << 28) / std::max<std::int64_t>(1, d_)));

  const AllocationPurpose a_purpose{"this rank's unit-norm rows of the first decoder (blocked matching)"};
  const auto a_floats = static_cast<std::size_t>(a_share_.count() * d_);
  a_unit_ = allocating(a_purpose, static_cast<double>(a_floats * sizeof(float)),
                       [&] { return backend::Buffer<float>(backend, a_floats); });
  resize_vector(b_unit_, static_cast<std::size_t>(b_share_.count() * d_),
                {"this rank's unit-norm rows of the second decoder (blocked matching)"});
  std::int64_t bad_a = 0, bad_b = 0;
  dist::run_on_every_rank(comm, [&] {
    if (host_backend_) {
      bad_a = read_unit_rows(a_share, [&](std::int64_t first, std::int64_t) { return a_unit_.data() + first * d_; });
    } else {
      std::vector<float> staged;
      bad_a = read_unit_rows(
          a_share,
          [&](std::int64_t, std::int64_t count) {
            staged.resize(static_cast<std::size_t>(count * d_));
            return staged.data();
          },
          [&](std::int64_t first, std::int64_t count) {
            backend.copy_bytes(a_unit_.data() + first * d_, staged.data(),
                               static_cast<std::size_t>(count * d_) * sizeof(float), backend::CopyKind::HostToDevice);
          });
    }
    bad_b = read_unit_rows(b_share, [&](std::int64_t first, std::int64_t) { return b_unit_.data() + first * d_; });
  });
  require_finite(comm, bad_a < a_share_.count() ? a_share_.begin + bad_a : a_rows, a_rows, "the first matrix");
  require_finite(comm, bad_b < b_share_.count() ? b_share_.begin + bad_b : b_rows, b_rows, "the second matrix");

  const std::int64_t largest_share = (b_rows + comm.size() - 1) / comm.size();
  const std::int64_t widest_chunk = std::min(block_columns_, largest_share);
  const std::int64_t tallest_block = std::min(block_rows_, a_share_.count());
  if (comm.size() > 1) chunk_host_.resize(static_cast<std::size_t>(widest_chunk * d_));
  if (!host_backend_) chunk_device_ = backend::Buffer<float>(backend, static_cast<std::size_t>(widest_chunk * d_));
  block_ = backend::Buffer<float>(backend, static_cast<std::size_t>(tallest_block * d_));
  tile_ = backend::Buffer<float>(backend, static_cast<std::size_t>(tallest_block * widest_chunk));
  if (!host_backend_) tile_host_.resize(tile_.size());
  all_rows_.resize(static_cast<std::size_t>(a_share_.count()));
  for (std::int64_t i = 0; i < a_share_.count(); ++i) all_rows_[static_cast<std::size_t>(i)] = static_cast<std::int32_t>(i);

  const auto floats = [](std::size_t count) { return static_cast<std::int64_t>(count * sizeof(float)); };
  block_bytes_ = floats(chunk_host_.size()) + floats(chunk_device_.size()) + floats(block_.size()) +
                 floats(tile_.size()) + floats(tile_host_.size());
  share_bytes_ = floats(a_unit_.size()) + floats(b_unit_.size());
}

const float* CosineTiles::chunk_of(int owner, std::int64_t first, std::int64_t count) {
  const std::size_t floats = static_cast<std::size_t>(count * d_);
  float* source = b_unit_.data() + first * d_;
  float* host = source;
  if (comm_.size() > 1) {
    if (comm_.rank() != owner) host = chunk_host_.data();
    comm_.broadcast(host, floats * sizeof(float), owner);
  }
  if (host_backend_) return host;
  backend_.copy_bytes(chunk_device_.data(), host, floats * sizeof(float), backend::CopyKind::HostToDevice);
  return chunk_device_.data();
}

const float* CosineTiles::block_of(const std::int32_t* rows, std::int64_t count) {
  // Consecutive rows are read in place; others are gathered into the block buffer.
  if (rows[count - 1] - rows[0] == count - 1) return a_unit_.data() + static_cast<std::int64_t>(rows[0]) * d_;
  const std::size_t row_bytes = static_cast<std::size_t>(d_) * sizeof(float);
  const auto kind = host_backend_ ? backend::CopyKind::HostToDevice : backend::CopyKind::DeviceToDevice;
  for (std::int64_t r = 0; r < count; ++r) {
    backend_.copy_bytes(block_.data() + r * d_, a_unit_.data() + static_cast<std::int64_t>(rows[r]) * d_, row_bytes, kind);
  }
  return block_.data();
}

void CosineTiles::turn_second(const std::vector<float>& rotation) {
  COACT_REQUIRE(static_cast<std::int64_t>(rotation.size()) == d_ * d_, Error, "turn_second: a rotation of ", rotation.size(),
                " entries for rows of width ", d_);
  const std::int64_t rows = b_share_.count();
  if (rows == 0) return;
  const std::int64_t block = std::min<std::int64_t>(rows, 1024);
  backend::Buffer<float> q(backend_, rotation.size()), in(backend_, static_cast<std::size_t>(block * d_)),
      out(backend_, static_cast<std::size_t>(block * d_));
  q.copy_from_host(rotation);
  for (std::int64_t first = 0; first < rows; first += block) {
    const std::int64_t count = std::min(block, rows - first);
    const std::size_t bytes = static_cast<std::size_t>(count * d_) * sizeof(float);
    float* host = b_unit_.data() + first * d_;
    backend_.copy_bytes(in.data(), host, bytes, backend::CopyKind::HostToDevice);
    backend_.gemm(backend::Transpose::No, backend::Transpose::No, count, d_, d_, 1.0f, in.data(), d_, q.data(), d_, 0.0f,
                  out.data(), d_);
    backend_.copy_bytes(host, out.data(), bytes, backend::CopyKind::DeviceToHost);
    backend_.synchronize();
  }
}

void CosineTiles::pass(const std::vector<std::int32_t>* rows, TileVisitor& visitor, const std::string& what) {
  ++passes_;
  TileVisitor* const watcher = std::exchange(watcher_, nullptr);
  const std::vector<std::int32_t>& list = rows ? *rows : all_rows_;
  const auto count = static_cast<std::int64_t>(list.size());
  std::unique_ptr<Progress> progress;
  if (comm_.is_root() && count * b_rows_ >= progress_min_entries_) {
    progress = std::make_unique<Progress>(progress_label_ + ": " + what, count * b_rows_, "entries");
  }
  for (int owner = 0; owner < comm_.size(); ++owner) {
    const RowShare columns = row_share(b_rows_, owner, comm_.size());
    for (std::int64_t first = columns.begin; first < columns.end; first += block_columns_) {
      const std::int64_t width = std::min(block_columns_, columns.end - first);
      const float* chunk = chunk_of(owner, first - columns.begin, width);
      for (std::int64_t r0 = 0; r0 < count; r0 += block_rows_) {
        const std::int64_t height = std::min(block_rows_, count - r0);
        Stopwatch clock;
        const float* block = block_of(list.data() + r0, height);
        one_minus_dot_products(backend_, block, chunk, height, width, d_, tile_.data(), width, precision_);
        const float* values = tile_.data();
        if (!host_backend_) {
          backend_.copy_bytes(tile_host_.data(), tile_.data(), static_cast<std::size_t>(height * width) * sizeof(float),
                              backend::CopyKind::DeviceToHost);
          values = tile_host_.data();
        }
        backend_.synchronize();
        gemm_seconds_ += clock.seconds();
        entries_ += height * width;
        clock.restart();
        const Tile tile{values, height, width, list.data() + r0, r0, first};
        visitor.visit(tile);
        if (watcher) watcher->visit(tile);
        visit_seconds_ += clock.seconds();
        if (progress) progress->advance(height * width);
      }
    }
  }
  if (progress) progress->finish();
}

}  // namespace coact::compare::blocked
