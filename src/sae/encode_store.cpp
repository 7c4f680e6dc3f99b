#include "coact/sae/encode_store.h"

#include <algorithm>
#include <cstring>
#include <optional>

#include "coact/backend/buffer.h"
#include "coact/core/errors.h"
#include "coact/core/progress.h"
#include "coact/core/sha256.h"
#include "coact/core/timer.h"
#include "coact/dist/mpi.h"
#include "coact/io/activation_store.h"
#include "coact/io/atomic_output.h"
#include "coact/io/h5.h"
#include "coact/io/provenance.h"
#include "coact/sae/checkpoint.h"
#include "coact/sae/checkpoint_check.h"
#include "coact/sae/encoder.h"
#include "coact/sae/shard_codes.h"

namespace coact::sae {

const options::Table<EncodeOptions>& encode_table() {
  static const options::Table<EncodeOptions> table = [] {
    using namespace options;
    Table<EncodeOptions> t;
    t.add(integer("rows", "encode the store's first rows (0: all of them)").at_least(0), &EncodeOptions::rows);
    t.add(integer("block-rows", "rows a rank encodes at once").at_least(1).at_most(16777216, "2^24 rows of codes")
              .performance(),
          &EncodeOptions::block_rows);
    t.add(inference_shards_option(), &EncodeOptions::latent_shards);
    return t;
  }();
  return table;
}

namespace {

// The root's growing codes.h5.
class CodesWriter {
 public:
  CodesWriter(const EncodeOptions& o, std::int64_t rows, std::int64_t n, std::int64_t d, const io::ActivationStore& store,
              const Checkpoint& sae)
      : output_(o.out, o.force), file_(io::File::create(output_.temporary_path())), rows_(rows) {
    io::Provenance provenance{"codes", o.command_line, o.config_text,
                              {{"sae", o.sae + " sha256:" + file_sha256(o.sae)}, {"activations", o.activations}}};
    io::write_provenance(file_, provenance);
    auto a = file_.attributes();
    a.set("rows", rows);
    a.set("n_features", n);
    a.set("d_in", d);
    a.set("encoder_kind", to_string(sae.encoder.kind));
    a.set("input_norm", to_string(sae.encoder.input_norm));
    a.set("sae_seed", static_cast<std::int64_t>(sae.config.seed));
    io::DatasetOptions grow;
    grow.extendible = true;
    indptr_ = file_.create_dataset<std::int64_t>("/indptr", {1}, grow);
    const std::int64_t zero = 0;
    indptr_->write<std::int64_t>(std::span<const std::int64_t>(&zero, 1), {0}, {1});
    indices_ = file_.create_dataset<std::int32_t>("/indices", {0}, grow);
    values_ = file_.create_dataset<float>("/values", {0}, grow);
    if (store.metadata().has_tokens) tokens_ = file_.create_dataset<std::int32_t>("/tokens", {rows});
    if (store.metadata().has_positions) positions_ = file_.create_dataset<std::int32_t>("/positions", {rows});
  }

  // Appends the packed codes of one round (in row order), and their tokens and positions.
  void append(const std::vector<std::uint8_t>& round, const io::ActivationStore& store) {
    std::size_t at = 0;
    while (at < round.size()) {
      const SparseCodesHost codes = unpack_codes(round, at, 0);
      const std::int64_t rows = codes.rows, nnz = codes.offsets.back();
      std::vector<std::int64_t> ends(codes.offsets.begin() + 1, codes.offsets.end());
      for (auto& end : ends) end += nnz_;
      indptr_->extend(written_ + rows + 1);
      indptr_->write<std::int64_t>(ends, {written_ + 1}, {rows});
      indices_->extend(nnz_ + nnz);
      values_->extend(nnz_ + nnz);
      if (nnz > 0) {
        indices_->write<std::int32_t>(codes.index, {nnz_}, {nnz});
        values_->write<float>(codes.value, {nnz_}, {nnz});
      }
      std::vector<std::int32_t> ids(static_cast<std::size_t>(rows));
      if (tokens_ && rows > 0) {
        store.read_tokens(written_, rows, ids.data());
        tokens_->write<std::int32_t>(ids, {written_}, {rows});
      }
      if (positions_ && rows > 0) {
        store.read_positions(written_, rows, ids.data());
        positions_->write<std::int32_t>(ids, {written_}, {rows});
      }
      written_ += rows;
      nnz_ += nnz;
    }
  }

  std::int64_t nnz() const { return nnz_; }

  void finish() {
    COACT_REQUIRE(written_ == rows_, Error, "coact encode: wrote ", written_, " rows of ", rows_);
    file_.attributes().set("nnz", nnz_);
    indptr_.reset();
    indices_.reset();
    values_.reset();
    tokens_.reset();
    positions_.reset();
    file_.close();
    output_.commit();
  }

 private:
  io::AtomicOutput output_;
  io::File file_;
  std::optional<io::Dataset> indptr_, indices_, values_, tokens_, positions_;
  std::int64_t rows_ = 0, written_ = 0, nnz_ = 0;
};

}  // namespace

EncodeResult encode_store(dist::MpiRuntime& mpi, const EncodeOptions& o) {
  Stopwatch clock;
  dist::MpiComm& world = mpi.world();
  encode_table().check(o, options::flag_labels());
  const SaeSummary summary = describe_sae(o.sae);
  const InferenceGrid grid = make_inference_grid(world, o.latent_shards, summary.n_features);
  // A shard reads only its latents' hyperslabs.
  const Checkpoint checkpoint = read_checkpoint(o.sae, false, grid.latents);
  const io::ActivationStore store = io::ActivationStore::open(o.activations);
  const std::int64_t d = checkpoint.config.d_in, n = checkpoint.config.n_features;
  if (store.d() != d)
    throw InputError(str(o.activations, ": activations have d = ", store.d(), " but ", o.sae, " has d_in = ", d));
  if (o.rows > store.rows())
    throw UsageError(str("--rows ", o.rows, ": ", o.activations, " holds ", store.rows(), " rows"));
  const std::int64_t rows = o.rows > 0 ? o.rows : store.rows();
  const std::int64_t block = std::min(o.block_rows, std::max<std::int64_t>(rows, 1));
  // Block b goes to data rank b mod P/T; the shards of a data rank encode the same block.
  const std::int64_t blocks = (rows + block - 1) / block, data_ranks = grid.data_ranks;

  std::optional<CodesWriter> writer;
  if (world.is_root()) writer.emplace(o, rows, n, d, store, checkpoint);
  const auto compute = backend::make_backend(o.device, mpi.local_rank());
  const Sae sae = make_sae(*compute, checkpoint, grid.latents);
  Encoder encoder(sae, block, backend::Precision::Fp32, grid.comm.get());
  std::vector<float> host(static_cast<std::size_t>(block * d));
  backend::Buffer<float> device(*compute, host.size());
  Progress progress("encode", (blocks + data_ranks - 1) / data_ranks, "rounds", {.enabled = world.is_root()});
  for (std::int64_t round = 0; round * data_ranks < blocks; ++round) {
    const std::int64_t b = round * data_ranks + grid.data_rank;
    std::vector<std::uint8_t> mine;
    if (b < blocks) {
      const std::int64_t first = b * block, count = std::min(block, rows - first);
      store.read_rows(first, count, host.data());
      compute->copy_bytes(device.data(), host.data(), static_cast<std::size_t>(count * d) * sizeof(float),
                          backend::CopyKind::HostToDevice);
      encoder.encode(device.data(), count);
      // Shard 0 of each data rank holds the block's whole code; it alone sends it to the root.
      const SparseCodesHost codes = grid.comm ? gather_codes(*grid.comm, encoder.to_host(), 0) : encoder.to_host();
      if (grid.shard == 0) mine = pack_codes(codes);
    }
    // World rank order is data-rank order, so the root receives the round's blocks in row order.
    const std::vector<std::uint8_t> gathered = world.gather_bytes(mine.data(), mine.size(), 0);
    if (writer) writer->append(gathered, store);
    progress.advance();
  }
  progress.finish();
  EncodeResult result;
  result.rows = rows;
  result.n_features = n;
  if (writer) {
    result.nnz = writer->nnz();
    writer->finish();
  }
  world.barrier();
  result.seconds = clock.seconds();
  return result;
}

}  // namespace coact::sae
