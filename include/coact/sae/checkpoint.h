// sae_<seed>.h5: a trained (or training) SAE with everything needed to continue, inspect and
// reproduce it (docs/formats.md, "sae_<seed>.h5"): parameters in the presented layouts (W_enc
// [d, n]) with the encoder's kind, extra tensors and input normalisation, Adam moments and
// resampling state, the recipe's full configuration, the data stream's settings and position,
// and the metrics table. Written atomically by the root. Files written before coact stored the
// encoder (no encoder_kind attribute) read as the relu or topk SAE their recipe made.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "coact/io/activation_store.h"
#include "coact/io/h5.h"
#include "coact/io/provenance.h"
#include "coact/sae/config.h"
#include "coact/sae/sae.h"
#include "coact/sae/trainer.h"

namespace coact::sae {

// One row per logged step.
struct MetricsTable {
  std::vector<std::int64_t> step, tokens, resampled;
  std::vector<double> loss, l2, l1, l0, fvu, auxk, dead_fraction, lr, tokens_per_second, elapsed_seconds;

  void append(const StepMetrics& m, double tokens_per_second, double elapsed_seconds);
  // Drops rows after `step` (a resumed run repeats nothing it logged before).
  void truncate_after(std::int64_t step);
  std::size_t size() const { return step.size(); }
};

// How the training data was drawn: with the step, it fixes the next batch exactly.
struct DataStream {
  std::string activations;   // store spec as given
  std::string fingerprint;   // store_fingerprint(): files, bytes, a hash of the first rows
  std::uint64_t seed = 0;
  std::int64_t batch_rows = 0;
  std::int64_t buffer_rows = 0;
  std::int64_t chunk_rows = 0;
  std::string normalisation = "none";
};

struct Checkpoint {
  SaeConfig config;
  EncoderSpec encoder;                // how the SAE encodes (its own kind, not the recipe's)
  SaeTensors params;                  // with the encoder's extra tensors
  std::optional<TrainerState> state;  // absent when read without the optimiser, or imported
  MetricsTable metrics;
  DataStream data;
  std::int64_t total_steps = 0;       // the run's target
  bool complete = false;
  std::int64_t ranks = 1;             // ranks that trained it (a resume on another count is not bit-identical)
  std::int64_t latent_shards = 1;     // shards its latents were split over (likewise; 1 in files before them)
  double ground_truth_mmcs = -1;      // mean max cosine to true features (synthetic data), -1 if unknown
  // Differences a deliberate resume (--resume-anyway) accepted, one line each, oldest first.
  std::vector<std::string> resume_changes;
  // Imported SAEs: what the source did not say and coact assumed, one line each (the
  // `import_assumptions` attribute); empty otherwise.
  std::vector<std::string> assumptions;
  std::vector<std::string> conversions;  // imported SAEs: exact changes of representation (import_conversions)
};

// The SAE of a checkpoint on a backend, parameters loaded: what every command that encodes uses.
Sae make_sae(backend::Backend& backend, const Checkpoint& checkpoint);
// The same for a checkpoint read as latents `shard` (read_checkpoint with a FeatureShard).
Sae make_sae(backend::Backend& backend, const Checkpoint& checkpoint, const FeatureShard& shard);

// A store's normalisation as ActivationStore::normalise applies it: the factor s (float, as
// applied), and μ for center-scale. InputError when the store has no statistics.
struct StoreNormalisation {
  InputNormKind kind = InputNormKind::None;
  double scale = 1.0;
  std::vector<float> mean;
};
StoreNormalisation store_normalisation(const io::ActivationStore& store, io::Normalisation normalisation);

// DataStream's fields, stored as data_<name> attributes and compared on resume.
const options::Table<DataStream>& data_stream_table();

// What a checkpoint says of its training, from its attributes alone (cheap): every planner
// (coact train's resume decision, coact run's plan) reads it here.
struct TrainingStatus {
  bool complete = false;
  std::int64_t step = 0, total_steps = 0;
};
TrainingStatus read_training_status(const io::File& file);

// Writes `path` atomically; `force` allows replacing an existing file (a run overwrites its own
// previous checkpoint with force = true).
void write_checkpoint(const std::string& path, bool force, const Checkpoint& checkpoint, io::Provenance provenance);
// The same into `temporary`, a path an io::AtomicOutput or io::DirectoryOutput owns (several
// files written as one output).
void write_checkpoint_file(const std::string& temporary, const Checkpoint& checkpoint, io::Provenance provenance);

// Latent shards: every rank of `shards` (the ranks holding one SAE's shards, in shard order)
// calls this with the same checkpoint except that params and state hold its own latents,
// `shard`; each writes its hyperslabs of the one file, collectively through MPI-IO, so no rank
// holds the whole SAE. The file is the one write_checkpoint writes for the whole SAE.
void write_checkpoint_shards(const std::string& path, bool force, const Checkpoint& checkpoint,
                             io::Provenance provenance, const FeatureShard& shard, dist::MpiComm& shards);
void write_checkpoint_file(const std::string& temporary, const Checkpoint& checkpoint, io::Provenance provenance,
                           const FeatureShard& shard, const dist::MpiComm* shards);

// Reads and validates (kind "sae", root attributes consistent (checkpoint_check.h), shapes,
// configuration, finite parameters). `with_state` also reads the Adam moments and resampling
// state (needed to resume; not to encode).
Checkpoint read_checkpoint(const std::string& path, bool with_state);
// Only latents `shard` of the parameters and state (hyperslab reads; a resumed shard's part,
// whatever the shard count that wrote the file). UsageError when the shard is not of this SAE.
Checkpoint read_checkpoint(const std::string& path, bool with_state, const std::optional<FeatureShard>& shard);
// The same checks and fields but no tensor (params and state empty): the configuration, data
// stream, encoder, status, attributes and metrics. What a planner reads of a file that may
// hold a million latents.
Checkpoint read_checkpoint_record(const std::string& path);

// Blocks of rows of a checkpoint's 2-D parameters without reading the rest: "W_dec" [n, d] by
// latents, "W_enc" [d, n] by input coordinates. The file is checked as read_checkpoint_record
// checks it; each block for the dataset's shape, dtype and finite entries, as read_checkpoint
// checks the whole. What the comparison reads, which holds no SAE whole.
class ParameterRows {
 public:
  explicit ParameterRows(const std::string& path);
  const Checkpoint& record() const { return record_; }  // read_checkpoint_record's fields
  // Rows [first, first + count) of `name` ("W_enc" or "W_dec"), row-major.
  std::vector<float> read(const std::string& name, std::int64_t first, std::int64_t count) const;
  // The same into `rows` (count × the row width floats), for a caller that reads block after block.
  void read_into(const std::string& name, std::int64_t first, std::int64_t count, std::span<float> rows) const;

 private:
  std::string path_;
  Checkpoint record_;
  io::File file_;
};

// What a resumed run must match, as "what: checkpoint value, this run value" lines (empty when
// compatible): every configuration field that changes results, the data stream (store,
// its fingerprint, order, batching, normalisation), the rank count and the latent shards.
std::vector<std::string> resume_differences(const Checkpoint& file, const SaeConfig& config, const DataStream& data,
                                            std::int64_t ranks, std::int64_t latent_shards = 1);

// An identity of an activation store: file count, total bytes, first file name and the
// SHA-256 of its first rows (up to 1,024), so a different store of the same size is told apart.
std::string store_fingerprint(const std::string& spec);

}  // namespace coact::sae
