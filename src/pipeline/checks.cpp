#include "coact/pipeline/checks.h"

#include <algorithm>
#include <filesystem>

#include "coact/core/errors.h"
#include "coact/core/strings.h"
#include "coact/dist/mpi.h"
#include "coact/io/activation_store.h"
#include "coact/io/shuffle.h"
#include "coact/pipeline/resources.h"
#include "coact/sae/checkpoint.h"
#include "coact/sae/shard_codes.h"
#include "coact/dist/root.h"

namespace coact::pipeline {

namespace fs = std::filesystem;

namespace {

// The same message on every rank: the first non-empty one in rank order.
std::string first_problem(dist::MpiComm& world, const std::string& mine) {
  constexpr std::size_t width = 512;
  std::string padded = mine.substr(0, width - 1);
  padded.resize(width, '\0');
  std::vector<char> all(static_cast<std::size_t>(world.size()) * width);
  world.allgather(padded.data(), all.data(), width);
  for (int r = 0; r < world.size(); ++r) {
    const std::string text(all.data() + static_cast<std::size_t>(r) * width);
    if (!text.empty()) return text;
  }
  return "";
}

// Every rank: the job's size and, for GPUs, one GPU per rank.
void check_layout(const Study& s, dist::MpiRuntime& mpi, std::int64_t expected_ranks) {
  const int ranks = mpi.size();
  if (expected_ranks > 0 && expected_ranks != ranks)
    throw ConfigError(str("run.ranks: the study asks for ", expected_ranks, " ranks but the job has ", ranks,
                          " (srun -n / mpirun -np)"));
  if (s.job.parallel_seeds > ranks)
    throw ConfigError(str("train.parallel-seeds: ", s.job.parallel_seeds,
                          " seed groups need at least as many ranks; the job has ", ranks));
  const int groups = train_groups(s, ranks);
  try {
    sae::check_latent_shards(s.train, 0, ranks, groups);  // n is known once the store is
  } catch (const UsageError& e) {
    throw ConfigError(str("train.latent-shards: ", e.what()));
  }
  try {
    sae::check_inference_shards(s.graph.latent_shards, 0, ranks);  // n: as above
  } catch (const UsageError& e) {
    throw ConfigError(str("graph.latent-shards: ", e.what()));
  }
  const std::int64_t group_ranks = (ranks + groups - 1) / groups;
  if (s.train.batch_rows < group_ranks)
    throw ConfigError(str("train.batch-size: ", s.train.batch_rows, " tokens cannot be split over the ", group_ranks,
                          " ranks that train each seed"));

  std::string problem;
  const int gpus = backend::cuda_device_count();
  const auto device = s.job.device;
  const bool wants_gpu = device == backend::DeviceRequest::Cuda || (device == backend::DeviceRequest::Auto && gpus > 0);
  if (device == backend::DeviceRequest::Cuda && gpus == 0)
    problem = str("device = cuda but rank ", mpi.rank(), " on ", dist::processor_name(), " sees no GPU");
  else if (wants_gpu && gpus > 1 && mpi.local_size() > gpus)
    problem = str("device: ", mpi.local_size(), " ranks on ", dist::processor_name(), " would share its ", gpus,
                  " GPUs; run one rank per GPU (srun --ntasks-per-node=", gpus, ", mpirun -npernode ", gpus,
                  ") or set device = cpu");
  const std::string message = first_problem(mpi.world(), problem);
  if (!message.empty()) throw ConfigError(message);
}

void require_file(const std::string& key, const std::string& path) {
  std::error_code ec;
  if (!fs::is_regular_file(path, ec)) throw ConfigError(str(key, ": ", path, " does not exist or is not a file"));
}

// "# input record.tokens: tokens.h5, 123 bytes": a cheap identity (files may be very large).
std::string identity_line(const std::string& key, const std::string& path) {
  std::error_code ec;
  return str("# input ", key, ": ", fs::path(path).filename().string(), ", ", fs::file_size(path, ec), " bytes\n");
}

// Root only: inputs exist, and the SAE fits the store. Returns the identity lines of external inputs.
std::string check_inputs(const Study& s) {
  std::error_code ec;
  if (fs::exists(s.out(), ec) && !fs::is_directory(s.out(), ec))
    throw ConfigError(str("out: ", s.out(), " exists and is not a directory"));
  std::string identity;
  std::int64_t d = 0, rows = 0;
  const Source source = s.job.source;
  if (source == Source::Store) {
    try {
      const io::ActivationStore store = io::ActivationStore::open(s.store_path());
      d = store.d();
      rows = store.rows();
    } catch (const Error& e) {
      throw ConfigError(str("data.store: ", e.what()));
    }
    identity += str("# input data.store: ", sae::store_fingerprint(s.store_path()), "\n");
  } else if (source == Source::Synthetic) {
    d = s.synth.d;
    rows = s.synth.rows;
    io::require_free_space("synth.rows", s.store_path(), data::synth_store_bytes(s.synth), data::synth_store_size_text(s.synth));
  } else {
    const model::ModelInputOptions& r = s.record_inputs;
    require_file("record.model", r.weights);
    identity += identity_line("record.model", r.weights);
    if (!r.config.empty()) {
      require_file("record.model-config", r.config);
      identity += identity_line("record.model-config", r.config);
    }
    for (const auto& tokens : r.tokens) {
      require_file("record.tokens", tokens);
      identity += identity_line("record.tokens", tokens);
    }
  }
  if (!s.compare.truth_store.empty() && s.runs(Stage::Compare)) {
    try {
      io::expand_store_spec(s.compare.truth_store);
    } catch (const Error& e) {
      throw ConfigError(str("compare.truth: ", e.what()));
    }
  }
  if (d <= 0) return identity;  // recorded data: its width is known once recorded

  // The checks train_saes makes, now rather than after the data stage.
  const sae::TrainingOptions& o = s.train;
  if (o.d_in && *o.d_in != d) throw ConfigError(str("train.d-in: ", *o.d_in, " but the activations have d = ", d));
  const std::int64_t n = o.n_features ? *o.n_features : o.expansion.value_or(8) * d;
  if (o.n_features && o.expansion && *o.n_features != *o.expansion * d)
    throw ConfigError(str("train.n: ", *o.n_features, " and train.expansion ", *o.expansion, " disagree for d = ", d));
  if (n % d != 0) throw ConfigError(str("train.n: ", n, " is not a multiple of the activation width d = ", d));
  sae::SaeConfig c = o.config;
  c.d_in = d;
  c.n_features = n;
  c.lr = o.lr ? *o.lr : sae::default_config(c.recipe, d, n).lr;
  try {
    sae::validate(c);
  } catch (const UsageError& e) {
    throw ConfigError(str("train: ", e.what()));
  }
  try {
    io::ShuffleSchedule(rows, {0, o.batch_rows, o.buffer_rows, o.chunk_rows});
  } catch (const Error& e) {
    throw ConfigError(str("train.batch-size: ", e.what()));
  }
  if (s.graph.strict && s.runs(Stage::Graph) && rows < s.graph.batch_tokens * s.graph.num_batches)
    throw ConfigError(str("graph.num-batches: the store holds ", rows / s.graph.batch_tokens, " batches of ",
                          s.graph.batch_tokens, " tokens, fewer than ", s.graph.num_batches, " (graph.strict)"));
  return identity;
}

}  // namespace

void check_study(Study& s, dist::MpiRuntime& mpi) {
  check_layout(s, mpi, s.job.ranks);
  std::string identity;
  dist::run_on_root(mpi.world(), [&] { identity = check_inputs(s); });
  identity = dist::broadcast_string(mpi.world(), identity);
  if (identity.empty()) return;
  // Every text starts with the data text: the inputs' identity goes at its end.
  const std::size_t old = s.data_text.size();
  for (std::string* text : {&s.train_text, &s.graph_text, &s.compare_text, &s.report_text}) text->insert(old, identity);
  s.data_text += identity;
  s.train.config_text = s.train_text;
  s.graph.config_text = s.graph_text;
  s.compare.config_text = s.compare_text;
  s.record.config_text = s.data_text;
}

}  // namespace coact::pipeline
