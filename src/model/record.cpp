// Recording a hook's activations into an activation store, in fixed global blocks of sequences.
#include "coact/model/record.h"

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <vector>

#include "coact/core/errors.h"
#include "coact/core/progress.h"
#include "coact/core/strings.h"
#include "coact/core/timer.h"
#include "coact/dist/mpi.h"
#include "coact/io/activation_writer.h"

namespace coact::model {
namespace {

namespace fs = std::filesystem;

// The recording loop's state: one forward work space and the host rows of one block.
class Recorder {
 public:
  Recorder(const Transformer& model, const HookPoint& hook, std::span<const std::int32_t> ids, std::int64_t sequences,
           std::int64_t seq_len, std::int64_t batch)
      : model_(model), hook_(hook), ids_(ids), sequences_(sequences), seq_len_(seq_len), batch_(batch),
        width_(hook.width(model.config())), pass_(model, std::min(batch, sequences), seq_len),
        positions_(static_cast<std::size_t>(batch * seq_len)) {
    for (std::size_t r = 0; r < positions_.size(); ++r) positions_[r] = static_cast<std::int32_t>(r % static_cast<std::size_t>(seq_len));
    if (model.backend().kind() != backend::DeviceKind::Cpu) values_.resize(static_cast<std::size_t>(batch * seq_len * width_));
  }

  std::int64_t blocks() const { return (sequences_ + batch_ - 1) / batch_; }
  std::int64_t width() const { return width_; }
  // Sequences of block b (0 past the end).
  std::int64_t block_sequences(std::int64_t block) const {
    return block < blocks() ? std::min(batch_, sequences_ - block * batch_) : 0;
  }

  // Runs block b and returns its rows on the host (valid until the next call).
  const float* run(std::int64_t block) {
    Stopwatch clock;
    const std::int64_t first = block * batch_, count = block_sequences(block);
    ForwardRequest request;
    request.hook = hook_;
    request.capture = true;
    pass_.run(ids_.subspan(static_cast<std::size_t>(first * seq_len_), static_cast<std::size_t>(count * seq_len_)), count,
              request);
    const float* rows = pass_.activations();
    if (!values_.empty()) {  // a device: copy back (synchronous, so the time is the forward's)
      model_.backend().copy_bytes(values_.data(), rows, static_cast<std::size_t>(count * seq_len_ * width_) * sizeof(float),
                                  backend::CopyKind::DeviceToHost);
      rows = values_.data();
    }
    forward_seconds_ += clock.seconds();
    return rows;
  }
  const std::int32_t* tokens(std::int64_t block) const { return ids_.data() + block * batch_ * seq_len_; }
  const std::int32_t* positions() const { return positions_.data(); }
  double forward_seconds() const { return forward_seconds_; }

 private:
  const Transformer& model_;
  HookPoint hook_;
  std::span<const std::int32_t> ids_;
  std::int64_t sequences_, seq_len_, batch_, width_;
  ForwardPass pass_;
  std::vector<std::int32_t> positions_;
  std::vector<float> values_;
  double forward_seconds_ = 0.0;
};

io::ActivationWriterOptions writer_options(const RecordOptions& options, std::int64_t rows, std::int64_t width,
                                           std::int64_t seq_len) {
  io::ActivationWriterOptions w;
  w.rows = rows;
  w.d = width;
  w.dtype = options.dtype;
  w.source = options.source;
  w.sequence_length = seq_len;
  w.tokens = true;
  w.positions = true;
  w.provenance = options.provenance;
  return w;
}

void set_attributes(io::File& file, const RecordOptions& options) {
  auto attrs = file.attributes();
  for (const auto& [key, value] : options.string_attributes) attrs.set(key, value);
  for (const auto& [key, value] : options.int_attributes) attrs.set(key, value);
}

}  // namespace

RecordReport record_activations(const Transformer& model, const HookPoint& hook, std::span<const std::int32_t> ids,
                                std::int64_t sequences, std::int64_t seq_len, dist::MpiComm& comm,
                                const RecordOptions& options) {
  COACT_REQUIRE(sequences >= 1 && static_cast<std::int64_t>(ids.size()) == sequences * seq_len, UsageError,
                "record: ", ids.size(), " token ids for ", sequences, " sequences of ", seq_len);
  COACT_REQUIRE(options.batch_sequences >= 1, UsageError, "--batch-sequences must be at least 1");
  Stopwatch total;
  Recorder recorder(model, hook, ids, sequences, seq_len, options.batch_sequences);
  const int rank = comm.rank(), ranks = comm.size();
  const std::int64_t blocks = recorder.blocks(), rows = sequences * seq_len, batch = options.batch_sequences;
  Progress progress("record", rows, "tokens", {.enabled = comm.is_root()});
  RecordReport report;
  report.sequences = sequences;
  report.rows = rows;
  double write_seconds = 0.0;

  if (!options.shards) {
    io::ActivationWriter writer(options.out, options.force, &comm, writer_options(options, rows, recorder.width(), seq_len));
    set_attributes(writer.file(), options);
    // Round k: rank r records block k·P + r (or nothing); every rank makes the same writes.
    const std::int64_t rounds = (blocks + ranks - 1) / ranks;
    for (std::int64_t k = 0; k < rounds; ++k) {
      const std::int64_t block = k * ranks + rank, count = recorder.block_sequences(block);
      const float* values = count > 0 ? recorder.run(block) : nullptr;
      Stopwatch clock;
      const std::int64_t first = std::min(block * batch * seq_len, rows);
      writer.write_rows(first, count * seq_len, values, count > 0 ? recorder.tokens(block) : nullptr,
                        count > 0 ? recorder.positions() : nullptr);
      write_seconds += clock.seconds();
      const std::int64_t before = std::min(rows, k * ranks * batch * seq_len);
      progress.advance(std::min(rows, (k + 1) * ranks * batch * seq_len) - before);
    }
    Stopwatch clock;
    writer.finish();
    write_seconds += clock.seconds();
  } else {
    // One shard per rank: a contiguous range of whole blocks, so the shards in rank order hold
    // the same rows as the single file.
    std::uint8_t refuse = 0;
    if (comm.is_root()) {
      std::error_code ec;
      if (fs::exists(options.out, ec) && !fs::is_directory(options.out, ec)) refuse = 2;
      for (const auto& entry : fs::directory_iterator(options.out, ec))
        if (entry.path().filename().string().rfind("shard_", 0) == 0 && !options.force) refuse = 1;
    }
    refuse = comm.broadcast_value(refuse, 0);
    if (refuse == 2) throw OutputExistsError(str(options.out, ": exists and is not a directory (sharded output needs one)"));
    if (refuse == 1) throw OutputExistsError(str(options.out, ": already holds shards; pass --force to overwrite them"));
    const std::int64_t first_block = blocks * rank / ranks, last_block = blocks * (rank + 1) / ranks;
    const std::int64_t first_row = std::min(first_block * batch * seq_len, rows);
    const std::int64_t last_row = std::min(last_block * batch * seq_len, rows);
    char name[32];
    std::snprintf(name, sizeof name, "shard_%05d.h5", rank);
    {
      io::ActivationWriter writer((fs::path(options.out) / name).string(), options.force, nullptr,
                                  writer_options(options, last_row - first_row, recorder.width(), seq_len));
      set_attributes(writer.file(), options);
      for (std::int64_t block = first_block; block < last_block; ++block) {
        const std::int64_t count = recorder.block_sequences(block);
        const float* values = recorder.run(block);
        Stopwatch clock;
        writer.write_rows(block * batch * seq_len - first_row, count * seq_len, values, recorder.tokens(block),
                          recorder.positions());
        write_seconds += clock.seconds();
        progress.advance(count * seq_len * ranks);  // an estimate: ranks run alike
      }
      Stopwatch clock;
      writer.finish();
      write_seconds += clock.seconds();
    }
    comm.barrier();
    if (comm.is_root()) {
      // Shards of an earlier run with more ranks would join this store: remove them.
      std::error_code ec;
      for (const auto& entry : fs::directory_iterator(options.out, ec)) {
        const std::string file = entry.path().filename().string();
        int index = -1;
        if (std::sscanf(file.c_str(), "shard_%d.h5", &index) == 1 && index >= ranks) fs::remove(entry.path(), ec);
      }
    }
  }
  progress.finish();
  report.seconds = total.seconds();
  report.forward_seconds = recorder.forward_seconds();
  report.write_seconds = write_seconds;
  return report;
}

}  // namespace coact::model
