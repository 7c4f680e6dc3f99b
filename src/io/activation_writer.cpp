#include "coact/io/activation_writer.h"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "coact/core/errors.h"
#include "coact/core/half.h"
#include "coact/dist/mpi.h"

namespace coact::io {

std::optional<ElementType> store_dtype(std::string_view name) {
  if (name == "float32" || name == "f32") return ElementType::F32;
  if (name == "float16" || name == "f16") return ElementType::F16;
  return std::nullopt;
}

namespace {

std::int64_t default_chunk_rows(std::int64_t d, std::size_t element_bytes, std::int64_t rows) {
  const std::int64_t target = (1 << 20) / std::max<std::int64_t>(1, d * static_cast<std::int64_t>(element_bytes));
  return std::clamp<std::int64_t>(target, 1, std::max<std::int64_t>(1, rows));
}

}  // namespace

ActivationWriter::ActivationWriter(const std::string& path, bool force, dist::MpiComm* comm,
                                   ActivationWriterOptions options)
    : options_(std::move(options)), comm_(comm && comm->size() > 1 ? comm : nullptr) {
  COACT_REQUIRE(options_.d > 0, UsageError, "activation store: d must be positive (got ", options_.d, ")");
  COACT_REQUIRE(options_.rows >= 0, UsageError, "activation store: rows must be >= 0");
  COACT_REQUIRE(options_.dtype == ElementType::F32 || options_.dtype == ElementType::F16, UsageError,
                "activation store: dtype must be float32 or float16");
  output_ = std::make_unique<AtomicOutput>(path, force, comm_);
  file_ = std::make_unique<File>(File::create(output_->temporary_path(), comm_));
  const std::size_t element = options_.dtype == ElementType::F32 ? 4 : 2;
  const std::int64_t chunk = options_.chunk_rows > 0 ? options_.chunk_rows
                                                     : default_chunk_rows(options_.d, element, options_.rows);
  // Unfiltered chunks by rows: readers memory-map them directly.
  activations_ = std::make_unique<Dataset>(file_->create_dataset_typed(
      "/activations", {options_.rows, options_.d}, options_.dtype, {.chunk = {chunk, options_.d}}));
  if (options_.tokens)
    tokens_ = std::make_unique<Dataset>(file_->create_dataset<std::int32_t>("/tokens", {options_.rows}, {.chunk = {chunk * 16}}));
  if (options_.positions)
    positions_ =
        std::make_unique<Dataset>(file_->create_dataset<std::int32_t>("/positions", {options_.rows}, {.chunk = {chunk * 16}}));
}

ActivationWriter::~ActivationWriter() = default;

void ActivationWriter::write_rows(std::int64_t first_row, std::int64_t count, const float* values,
                                  const std::int32_t* tokens, const std::int32_t* positions) {
  COACT_REQUIRE(!finished_, Error, "ActivationWriter::write_rows after finish()");
  COACT_REQUIRE(first_row >= 0 && count >= 0 && first_row + count <= options_.rows, Error,
                "ActivationWriter: rows [", first_row, ", ", first_row + count, ") outside [0, ", options_.rows, ")");
  const std::int64_t d = options_.d;
  const std::size_t n = static_cast<std::size_t>(count * d);
  const Shape offset{count ? first_row : 0, 0}, extent{count, count ? d : 0};

  // Statistics describe the stored values (after float16 rounding).
  BlockStats block{first_row, count, 0.0, std::vector<double>(static_cast<std::size_t>(d), 0.0)};
  if (options_.dtype == ElementType::F16) {
    half_buffer_.resize(n);
    for (std::size_t i = 0; i < n; ++i) half_buffer_[i] = float_to_half(values[i]);
    activations_->write_raw(half_buffer_.data(), ElementType::F16, offset, extent);
    for (std::int64_t r = 0; r < count; ++r) {
      double norm_sq = 0.0;
      for (std::int64_t c = 0; c < d; ++c) {
        const double v = half_to_float(half_buffer_[static_cast<std::size_t>(r * d + c)]);
        block.sum[static_cast<std::size_t>(c)] += v;
        norm_sq += v * v;
      }
      block.norm_sum += std::sqrt(norm_sq);
    }
  } else {
    activations_->write<float>(std::span<const float>(values, n), offset, extent);
    for (std::int64_t r = 0; r < count; ++r) {
      double norm_sq = 0.0;
      for (std::int64_t c = 0; c < d; ++c) {
        const double v = values[r * d + c];
        block.sum[static_cast<std::size_t>(c)] += v;
        norm_sq += v * v;
      }
      block.norm_sum += std::sqrt(norm_sq);
    }
  }
  const Shape row_offset{count ? first_row : 0}, row_extent{count};
  if (tokens_) {
    COACT_REQUIRE(tokens != nullptr || count == 0, Error, "ActivationWriter: the store has /tokens but none were given");
    tokens_->write<std::int32_t>(std::span<const std::int32_t>(tokens, static_cast<std::size_t>(count)), row_offset, row_extent);
  }
  if (positions_) {
    COACT_REQUIRE(positions != nullptr || count == 0, Error, "ActivationWriter: the store has /positions but none were given");
    positions_->write<std::int32_t>(std::span<const std::int32_t>(positions, static_cast<std::size_t>(count)), row_offset,
                                    row_extent);
  }
  if (count > 0) blocks_.push_back(std::move(block));
}

void ActivationWriter::finish() {
  if (finished_) return;
  const std::size_t d = static_cast<std::size_t>(options_.d);
  // Gather every block's partial sums to the root and add them in global row order, so the
  // result is the same however the rows were split between ranks. Record: first_row, rows,
  // norm_sum, sum[d].
  const std::size_t record = 3 + d;
  std::vector<double> packed;
  packed.reserve(blocks_.size() * record);
  for (const auto& b : blocks_) {
    packed.push_back(static_cast<double>(b.first_row));
    packed.push_back(static_cast<double>(b.rows));
    packed.push_back(b.norm_sum);
    packed.insert(packed.end(), b.sum.begin(), b.sum.end());
  }
  if (comm_) {
    const auto bytes = comm_->gather_bytes(packed.data(), packed.size() * sizeof(double), 0);
    packed.assign(bytes.size() / sizeof(double), 0.0);
    if (!bytes.empty()) std::memcpy(packed.data(), bytes.data(), bytes.size());
  }
  NormalisationStats stats;
  stats.mean.assign(d, 0.0);
  if (!comm_ || comm_->is_root()) {
    std::vector<std::size_t> order(packed.size() / record);
    for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
    std::sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return packed[a * record] < packed[b * record]; });
    double norm_total = 0.0;
    for (std::size_t i : order) {
      const double* rec = packed.data() + i * record;
      stats.rows += static_cast<std::int64_t>(rec[1]);
      norm_total += rec[2];
      for (std::size_t c = 0; c < d; ++c) stats.mean[c] += rec[3 + c];
    }
    if (stats.rows > 0) {
      for (double& m : stats.mean) m /= static_cast<double>(stats.rows);
      stats.mean_norm = norm_total / static_cast<double>(stats.rows);
    }
  }
  if (comm_) {
    stats.rows = comm_->broadcast_value(stats.rows, 0);
    stats.mean_norm = comm_->broadcast_value(stats.mean_norm, 0);
    comm_->broadcast(std::span<double>(stats.mean), 0);
  }

  Provenance provenance = options_.provenance;
  provenance.kind = "activations";
  write_provenance(*file_, provenance);
  auto attrs = file_->attributes();
  attrs.set("rows", options_.rows);
  attrs.set("d", options_.d);
  attrs.set("dtype", to_string(options_.dtype));
  attrs.set("source", options_.source);
  attrs.set("sequence_length", options_.sequence_length);
  attrs.set("norm_rows", stats.rows);
  attrs.set("norm_mean", stats.mean);
  attrs.set("norm_mean_norm", stats.mean_norm);

  activations_.reset();
  tokens_.reset();
  positions_.reset();
  file_->close();
  output_->commit();
  finished_ = true;
}

}  // namespace coact::io
