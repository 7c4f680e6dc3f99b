#include "coact/sae/checkpoint.h"

#include <algorithm>
#include <cmath>
#include <filesystem>

#include "coact/core/errors.h"
#include "coact/core/memory.h"
#include "coact/core/sha256.h"
#include "coact/dist/mpi.h"
#include "coact/io/activation_store.h"
#include "coact/io/atomic_output.h"
#include "coact/io/h5.h"
#include "coact/io/stored_options.h"
#include "coact/sae/checkpoint_check.h"

namespace coact::sae {

namespace fs = std::filesystem;

void MetricsTable::append(const StepMetrics& m, double tps, double elapsed) {
  step.push_back(m.step);
  tokens.push_back(m.tokens);
  resampled.push_back(m.resampled);
  loss.push_back(m.loss);
  l2.push_back(m.l2);
  l1.push_back(m.l1);
  l0.push_back(m.l0);
  fvu.push_back(m.fvu);
  auxk.push_back(m.auxk);
  dead_fraction.push_back(m.dead_fraction);
  lr.push_back(m.lr);
  tokens_per_second.push_back(tps);
  elapsed_seconds.push_back(elapsed);
}

void MetricsTable::truncate_after(std::int64_t last) {
  std::size_t keep = 0;
  while (keep < step.size() && step[keep] <= last) ++keep;
  for (auto* v : {&step, &tokens, &resampled}) v->resize(keep);
  for (auto* v : {&loss, &l2, &l1, &l0, &fvu, &auxk, &dead_fraction, &lr, &tokens_per_second, &elapsed_seconds}) v->resize(keep);
}

std::string store_fingerprint(const std::string& spec) {
  const auto files = io::expand_store_spec(spec);
  std::uintmax_t bytes = 0;
  std::error_code ec;
  for (const auto& f : files) bytes += fs::file_size(f, ec);
  const io::ActivationStore store = io::ActivationStore::open(spec);
  const std::int64_t rows = std::min<std::int64_t>(store.rows(), 1024);
  std::vector<float> head(static_cast<std::size_t>(rows * store.d()));
  if (rows > 0) store.read_rows(0, rows, head.data());
  Sha256 hash;
  hash.update(head.data(), head.size() * sizeof(float));
  return str(files.size(), " file(s), ", bytes, " bytes, first: ", fs::path(files.front()).filename().string(),
             ", first ", rows, " rows sha256:", hash.hex_digest().substr(0, 16));
}

const options::Table<DataStream>& data_stream_table() {
  static const options::Table<DataStream> table = [] {
    using namespace options;
    Table<DataStream> t;
    t.add(text("activations", "the activation store").empty_allowed(), &DataStream::activations);
    t.add(text("fingerprint", "the store's identity").empty_allowed(), &DataStream::fingerprint);
    t.add(integer("seed", "data order seed").at_least(0), &DataStream::seed);
    t.add(integer("batch-rows", "global batch").at_least(0), &DataStream::batch_rows);
    t.add(integer("buffer-rows", "shuffle buffer rows").at_least(0), &DataStream::buffer_rows);
    t.add(integer("chunk-rows", "rows per chunk of the data order").at_least(0), &DataStream::chunk_rows);
    t.add(text("normalisation", "input normalisation").one_of({"none", "scale", "center-scale"}), &DataStream::normalisation);
    return t;
  }();
  return table;
}

namespace {

// The tensors of latents `shard` into datasets of the whole SAE's shapes: each writes its
// hyperslab (collective in a parallel file, where every shard calls this); b_dec and the input
// mean are the same on every shard (rank 0's are written).
void write_tensors(io::File& f, const std::string& group, const SaeTensors& t, const FeatureShard& shard) {
  const std::int64_t d = t.d_in, n = shard.total, first = shard.first, count = shard.count;
  COACT_REQUIRE(t.n_features == count, Error, "write_tensors: ", t.n_features, " latents for a shard of ", count);
  f.create_dataset<float>(group + "W_enc", {d, n}).write<float>(t.w_enc, {0, first}, {d, count});
  f.create_dataset<float>(group + "b_enc", {n}).write<float>(t.b_enc, {first}, {count});
  f.create_dataset<float>(group + "W_dec", {n, d}).write<float>(t.w_dec, {first, 0}, {count, d});
  f.write_dataset<float>(group + "b_dec", t.b_dec, {d});
  const std::pair<const char*, const std::vector<float>*> per_latent[] = {
      {"threshold", &t.threshold}, {"r_mag", &t.r_mag}, {"b_mag", &t.b_mag}};
  for (const auto& [name, values] : per_latent)
    if (!values->empty()) f.create_dataset<float>(group + name, {n}).write<float>(*values, {first}, {count});
  if (!t.input_mean.empty()) f.write_dataset<float>(group + "input_mean", t.input_mean, {d});
}

// The tensors `spec` makes an SAE have (the input mean only with `with_input_mean`: the
// optimiser's moments have none), each checked for shape, dtype and finiteness.
SaeTensors read_tensors(const io::File& f, const std::string& group, std::int64_t d, std::int64_t n,
                        const EncoderSpec& spec, bool with_input_mean, const FeatureShard& shard) {
  const std::int64_t first = shard.first, count = shard.count;
  SaeTensors t = SaeTensors::zeros(d, count, spec);
  if (!with_input_mean) t.input_mean.clear();
  struct Part {
    const char* name;
    std::vector<float>* data;
    io::Shape shape;           // in the file
    io::Shape offset, extent;  // the shard's hyperslab (empty: all of it)
  };
  std::vector<Part> parts = {{"W_enc", &t.w_enc, {d, n}, {0, first}, {d, count}},
                             {"b_enc", &t.b_enc, {n}, {first}, {count}},
                             {"W_dec", &t.w_dec, {n, d}, {first, 0}, {count, d}},
                             {"b_dec", &t.b_dec, {d}, {}, {}}};
  if (!t.threshold.empty()) parts.push_back({"threshold", &t.threshold, {n}, {first}, {count}});
  if (!t.r_mag.empty()) parts.push_back({"r_mag", &t.r_mag, {n}, {first}, {count}});
  if (!t.b_mag.empty()) parts.push_back({"b_mag", &t.b_mag, {n}, {first}, {count}});
  if (!t.input_mean.empty()) parts.push_back({"input_mean", &t.input_mean, {d}, {}, {}});
  for (const auto& p : parts) {
    const io::Dataset ds = f.dataset(group + p.name);
    if (ds.shape() != p.shape)
      throw InputError(str(ds.where(), ": shape ", io::shape_string(ds.shape()), ", expected ", io::shape_string(p.shape)));
    if (ds.element_type() != io::ElementType::F32)
      throw InputError(str(ds.where(), ": dtype ", io::to_string(ds.element_type()), ", expected float32"));
    ds.read<float>(*p.data, p.offset, p.extent);
    // A NaN or Inf parameter would silently poison every code (graph, export, resume).
    const auto bad = std::find_if(p.data->begin(), p.data->end(), [](float v) { return !std::isfinite(v); });
    if (bad != p.data->end())
      throw InputError(str(ds.where(), ": element ", bad - p.data->begin(), " is ", *bad, " (parameters must be finite)"));
  }
  return t;
}

// The encoder of a file: its encoder_* attributes, or for a file from before coact stored them,
// the encoder its recipe trains, with the normalisation of its training store (whose
// statistics the file did not keep then).
EncoderSpec read_encoder(const io::File& f, const SaeConfig& config, const DataStream& data, const std::string& path,
                         std::vector<float>& legacy_mean) {
  const auto a = f.attributes();
  EncoderSpec spec;
  if (a.has("encoder_kind")) {
    spec = io::read_options(a, "encoder_", encoder_table(), EncoderSpec{}, path);
  } else {
    spec = encoder_spec(config);
    const io::Normalisation normalisation = io::parse_normalisation(data.normalisation);
    if (normalisation != io::Normalisation::None) {
      StoreNormalisation recorded;
      try {
        recorded = store_normalisation(io::ActivationStore::open(data.activations), normalisation);
      } catch (const Error& e) {
        throw InputError(str(path, ": trained with normalisation '", data.normalisation,
                             "' before SAE files stored its factor, which comes from the training store ",
                             data.activations, " (", e.what(), ")"));
      }
      spec.input_norm = recorded.kind;
      spec.input_scale = recorded.scale;
      legacy_mean = std::move(recorded.mean);
    }
  }
  validate(spec, config.n_features, path);
  return spec;
}

}  // namespace

StoreNormalisation store_normalisation(const io::ActivationStore& store, io::Normalisation normalisation) {
  StoreNormalisation out;
  if (normalisation == io::Normalisation::None) return out;
  const auto& stats = store.metadata().normalisation;
  if (!stats || !(stats->mean_norm > 0))
    throw InputError(str(store.spec(), ": normalisation '", io::to_string(normalisation),
                         "' needs the store's statistics (norm_mean, norm_mean_norm > 0), which it lacks"));
  // As ActivationStore::normalise applies it: the factor rounded to float, μ as floats.
  out.scale = static_cast<float>(std::sqrt(static_cast<double>(store.d())) / stats->mean_norm);
  if (normalisation == io::Normalisation::CenterScale) {
    out.kind = InputNormKind::CenterScale;
    out.mean.assign(stats->mean.begin(), stats->mean.end());
  } else {
    out.kind = InputNormKind::Scale;
  }
  return out;
}

Sae make_sae(backend::Backend& backend, const Checkpoint& checkpoint) {
  return make_sae(backend, checkpoint, FeatureShard::whole(checkpoint.config.n_features));
}

Sae make_sae(backend::Backend& backend, const Checkpoint& checkpoint, const FeatureShard& shard) {
  Sae sae(backend, checkpoint.config.d_in, checkpoint.encoder, shard);
  sae.from_host(checkpoint.params);
  return sae;
}

namespace {

template <class T>
void write_column(io::File& f, const std::string& name, const std::vector<T>& values) {
  f.write_dataset<T>(name, values, {static_cast<std::int64_t>(values.size())});
}

template <class T>
std::vector<T> read_column(const io::File& f, const std::string& name, std::size_t rows) {
  const io::Dataset ds = f.dataset(name);
  if (ds.shape() != io::Shape{static_cast<std::int64_t>(rows)})
    throw InputError(str(ds.where(), ": shape ", io::shape_string(ds.shape()), ", expected [", rows, "]"));
  return ds.read_all<T>();
}

// Per-latent columns: a shard's part of the whole column.
template <class T>
void write_latent_column(io::File& f, const std::string& name, const std::vector<T>& values, const FeatureShard& shard) {
  f.create_dataset<T>(name, {shard.total}).template write<T>(values, {shard.first}, {shard.count});
}

template <class T>
std::vector<T> read_latent_column(const io::File& f, const std::string& name, const FeatureShard& shard) {
  const io::Dataset ds = f.dataset(name);
  if (ds.shape() != io::Shape{shard.total})
    throw InputError(str(ds.where(), ": shape ", io::shape_string(ds.shape()), ", expected [", shard.total, "]"));
  std::vector<T> out(static_cast<std::size_t>(shard.count));
  ds.read<T>(out, {shard.first}, {shard.count});
  return out;
}

}  // namespace

void write_checkpoint(const std::string& path, bool force, const Checkpoint& c, io::Provenance provenance) {
  io::AtomicOutput out(path, force);
  write_checkpoint_file(out.temporary_path(), c, std::move(provenance));
  out.commit();
}

void write_checkpoint_shards(const std::string& path, bool force, const Checkpoint& c, io::Provenance provenance,
                             const FeatureShard& shard, dist::MpiComm& shards) {
  io::AtomicOutput out(path, force, &shards);
  write_checkpoint_file(out.temporary_path(), c, std::move(provenance), shard, &shards);
  out.commit();
}

void write_checkpoint_file(const std::string& temporary, const Checkpoint& c, io::Provenance provenance) {
  write_checkpoint_file(temporary, c, std::move(provenance), FeatureShard::whole(c.config.n_features), nullptr);
}

void write_checkpoint_file(const std::string& temporary, const Checkpoint& c, io::Provenance provenance,
                           const FeatureShard& shard, const dist::MpiComm* shards) {
  {
    io::File f = io::File::create(temporary, shards != nullptr && shards->size() > 1 ? shards : nullptr);
    provenance.kind = "sae";
    if (!c.data.activations.empty()) provenance.inputs["activations"] = c.data.activations + " (" + c.data.fingerprint + ")";
    io::write_provenance(f, provenance);
    auto a = f.attributes();
    a.set("d_in", c.config.d_in);
    a.set("n_features", c.config.n_features);
    a.set("recipe", to_string(c.config.recipe));
    a.set("seed", static_cast<std::int64_t>(c.config.seed));
    a.set("step", c.state ? c.state->step : std::int64_t{0});
    a.set("total_steps", c.total_steps);
    a.set("complete", static_cast<std::int64_t>(c.complete));
    a.set("ranks", c.ranks);
    a.set("latent_shards", c.latent_shards);
    a.set("ground_truth_mmcs", c.ground_truth_mmcs);
    io::write_options(a, "data_", data_stream_table(), c.data);
    io::write_options(a, "cfg_", config_table(), c.config);
    io::write_options(a, "encoder_", encoder_table(), c.encoder);
    for (const auto& [name, lines] : {std::pair<const char*, const std::vector<std::string>*>{"import_assumptions", &c.assumptions},
                                      {"import_conversions", &c.conversions}}) {
      std::string text;
      for (const auto& line : *lines) text += line + "\n";
      if (!text.empty()) a.set(name, text);
    }
    if (!c.resume_changes.empty()) {
      std::string lines;
      for (const auto& line : c.resume_changes) lines += line + "\n";
      a.set("resume_changes", lines);
    }

    write_tensors(f, "/", c.params, shard);
    if (c.state) {
      const TrainerState& s = *c.state;
      write_tensors(f, "/optimizer/adam_m/", s.adam_m, shard);
      write_tensors(f, "/optimizer/adam_v/", s.adam_v, shard);
      write_latent_column(f, "/state/tokens_since_fired", s.tokens_since_fired, shard);
      write_latent_column(f, "/state/window_fires", s.window_fires, shard);
      auto sa = f.group_attributes("/state");
      sa.set("window_tokens", s.window_tokens);
      sa.set("data_initialized", static_cast<std::int64_t>(s.data_initialized));
    }
    const MetricsTable& m = c.metrics;
    f.create_group("/metrics");
    write_column(f, "/metrics/step", m.step);
    write_column(f, "/metrics/tokens", m.tokens);
    write_column(f, "/metrics/resampled", m.resampled);
    const std::pair<const char*, const std::vector<double>*> reals[] = {
        {"loss", &m.loss}, {"l2", &m.l2}, {"l1", &m.l1}, {"l0", &m.l0}, {"fvu", &m.fvu}, {"auxk", &m.auxk},
        {"dead_fraction", &m.dead_fraction}, {"lr", &m.lr}, {"tokens_per_second", &m.tokens_per_second},
        {"elapsed_seconds", &m.elapsed_seconds}};
    for (const auto& [name, values] : reals) write_column(f, std::string("/metrics/") + name, *values);
    f.close();
  }
}

TrainingStatus read_training_status(const io::File& file) {
  const auto a = file.attributes();
  TrainingStatus status;
  status.complete = a.get_int("complete") != 0;
  status.step = a.get_int("step");
  status.total_steps = a.get_int("total_steps");
  return status;
}

namespace {

enum class TensorsRead { None, Parameters, ParametersAndState };

Checkpoint read_checkpoint_file(const std::string& path, TensorsRead tensors, const std::optional<FeatureShard>& part) {
  const bool with_state = tensors == TensorsRead::ParametersAndState;
  const io::File f = io::File::open(path);
  io::require_kind(f, "sae");
  require_consistent_sae_attributes(f);
  const auto a = f.attributes();
  Checkpoint c;
  // Fields a file from an earlier coact lacks take their recipe's default.
  const SaeConfig base = default_config(parse_recipe(a.get_string("recipe")), 0, 0);
  c.config = io::read_options(a, "cfg_", config_table(), base, path);
  try {
    validate(c.config);
  } catch (const UsageError& e) {
    throw InputError(str(path, ": stored configuration is invalid: ", e.what()));
  }
  const std::int64_t d = c.config.d_in, n = c.config.n_features;
  c.data = io::read_options(a, "data_", data_stream_table(), DataStream{}, path);
  std::vector<float> legacy_mean;
  c.encoder = read_encoder(f, c.config, c.data, path, legacy_mean);
  const bool stored_mean = legacy_mean.empty();
  const FeatureShard shard = part ? *part : FeatureShard::whole(n);
  if (shard.total != n || shard.first < 0 || shard.count < 1 || shard.first + shard.count > n)
    throw UsageError(str(path, ": latents [", shard.first, ", ", shard.first + shard.count, ") of ", shard.total,
                         " asked of an SAE with ", n));
  if (tensors != TensorsRead::None) {
    c.params = read_tensors(f, "/", d, n, c.encoder, stored_mean, shard);
    if (!stored_mean) c.params.input_mean = std::move(legacy_mean);
    for (std::size_t j = 0; j < c.params.threshold.size(); ++j)
      if (c.params.threshold[j] < 0.0f)
        throw InputError(str(path, ":/threshold: element ", shard.first + static_cast<std::int64_t>(j), " is ",
                             c.params.threshold[j], " (a threshold is >= 0: the encoder would pass negative activations)"));
  }
  const TrainingStatus status = read_training_status(f);
  c.total_steps = status.total_steps;
  c.complete = status.complete;
  c.ranks = a.get_int("ranks");
  c.latent_shards = a.has("latent_shards") ? a.get_int("latent_shards") : 1;
  c.ground_truth_mmcs = a.get_double("ground_truth_mmcs");
  for (const auto& [name, lines] : {std::pair<const char*, std::vector<std::string>*>{"import_assumptions", &c.assumptions},
                                    {"import_conversions", &c.conversions}})
    if (a.has(name))
      for (const auto& line : split(a.get_string(name), '\n'))
        if (!line.empty()) lines->push_back(line);
  if (a.has("resume_changes"))
    for (const auto& line : split(a.get_string("resume_changes"), '\n'))
      if (!line.empty()) c.resume_changes.push_back(line);
  const std::int64_t step = status.step;
  if (with_state) {
    if (!f.has("/optimizer/adam_m/W_enc"))
      throw InputError(str(path, ": holds no optimiser state (an exported or imported SAE cannot be resumed)"));
    TrainerState s;
    s.step = step;
    s.adam_m = read_tensors(f, "/optimizer/adam_m/", d, n, c.encoder, false, shard);
    s.adam_v = read_tensors(f, "/optimizer/adam_v/", d, n, c.encoder, false, shard);
    s.tokens_since_fired = read_latent_column<std::int64_t>(f, "/state/tokens_since_fired", shard);
    s.window_fires = read_latent_column<double>(f, "/state/window_fires", shard);
    const auto sa = f.group_attributes("/state");
    s.window_tokens = sa.get_int("window_tokens");
    s.data_initialized = sa.get_int("data_initialized") != 0;
    c.state = std::move(s);
  }
  if (f.has("/metrics/step")) {
    const std::size_t rows = static_cast<std::size_t>(f.dataset("/metrics/step").shape().at(0));
    MetricsTable& m = c.metrics;
    m.step = read_column<std::int64_t>(f, "/metrics/step", rows);
    m.tokens = read_column<std::int64_t>(f, "/metrics/tokens", rows);
    m.resampled = read_column<std::int64_t>(f, "/metrics/resampled", rows);
    const std::pair<const char*, std::vector<double>*> reals[] = {
        {"loss", &m.loss}, {"l2", &m.l2}, {"l1", &m.l1}, {"l0", &m.l0}, {"fvu", &m.fvu}, {"auxk", &m.auxk},
        {"dead_fraction", &m.dead_fraction}, {"lr", &m.lr}, {"tokens_per_second", &m.tokens_per_second},
        {"elapsed_seconds", &m.elapsed_seconds}};
    for (const auto& [name, values] : reals) *values = read_column<double>(f, std::string("/metrics/") + name, rows);
  }
  return c;
}

}  // namespace

Checkpoint read_checkpoint(const std::string& path, bool with_state) {
  return read_checkpoint(path, with_state, std::nullopt);
}

Checkpoint read_checkpoint(const std::string& path, bool with_state, const std::optional<FeatureShard>& shard) {
  return read_checkpoint_file(path, with_state ? TensorsRead::ParametersAndState : TensorsRead::Parameters, shard);
}

Checkpoint read_checkpoint_record(const std::string& path) {
  return read_checkpoint_file(path, TensorsRead::None, std::nullopt);
}

ParameterRows::ParameterRows(const std::string& path)
    : path_(path), record_(read_checkpoint_record(path)), file_(io::File::open(path)) {}

std::vector<float> ParameterRows::read(const std::string& name, std::int64_t first, std::int64_t count) const {
  const std::int64_t width = name == "W_enc" ? record_.config.n_features : record_.config.d_in;
  std::vector<float> rows = allocate_vector<float>({str("rows of ", name, " of ", path_)},
                                                   static_cast<std::size_t>(std::max<std::int64_t>(0, count * width)));
  read_into(name, first, count, rows);
  return rows;
}

void ParameterRows::read_into(const std::string& name, std::int64_t first, std::int64_t count, std::span<float> rows) const {
  const std::int64_t d = record_.config.d_in, n = record_.config.n_features;
  io::Shape shape;
  if (name == "W_dec") {
    shape = {n, d};
  } else if (name == "W_enc") {
    shape = {d, n};
  } else {
    throw UsageError(str("ParameterRows: '", name, "' is not a 2-D parameter (W_enc or W_dec)"));
  }
  if (first < 0 || count < 0 || first + count > shape[0])
    throw UsageError(str(path_, ":/", name, ": rows [", first, ", ", first + count, ") of ", shape[0]));
  const io::Dataset ds = file_.dataset("/" + name);
  if (ds.shape() != shape)
    throw InputError(str(ds.where(), ": shape ", io::shape_string(ds.shape()), ", expected ", io::shape_string(shape)));
  if (ds.element_type() != io::ElementType::F32)
    throw InputError(str(ds.where(), ": dtype ", io::to_string(ds.element_type()), ", expected float32"));
  COACT_REQUIRE(static_cast<std::int64_t>(rows.size()) == count * shape[1], Error, path_, ":/", name, ": ", count,
                " rows into room for ", rows.size(), " floats");
  if (count > 0) ds.read<float>(rows, {first, 0}, {count, shape[1]});
  const auto bad = std::find_if(rows.begin(), rows.end(), [](float v) { return !std::isfinite(v); });
  if (bad != rows.end())
    throw InputError(str(ds.where(), ": element ", first * shape[1] + (bad - rows.begin()), " is ", *bad,
                         " (parameters must be finite)"));
}

std::vector<std::string> resume_differences(const Checkpoint& file, const SaeConfig& config, const DataStream& data,
                                            std::int64_t ranks, std::int64_t latent_shards) {
  std::vector<std::string> out;
  // Named as the file names them (cfg_l1_coeff, data_seed), without the prefix.
  for (const auto& d : config_table().differences(file.config, config))
    out.push_back(str(options::attribute_name(d.name), ": ", d.first, " in the checkpoint, ", d.second, " in this run"));
  for (const auto& d : data_stream_table().differences(file.data, data))
    out.push_back(str("data_", options::attribute_name(d.name), ": ", d.first, " in the checkpoint, ", d.second, " in this run"));
  if (file.ranks != ranks)
    out.push_back(str("ranks: trained on ", file.ranks, " rank(s), this run has ", ranks,
                      " (a continuation is bit-identical only on the same count)"));
  if (file.latent_shards != latent_shards)
    out.push_back(str("latent_shards: trained over ", file.latent_shards, " shard(s), this run has ", latent_shards,
                      " (a continuation is bit-identical only on the same layout)"));
  return out;
}

}  // namespace coact::sae
