#include "coact/sae/checkpoint.h"

#include <algorithm>
#include <cmath>
#include <filesystem>

#include "coact/core/errors.h"
#include "coact/io/activation_store.h"
#include "coact/io/atomic_output.h"
#include "coact/io/h5.h"

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
  return str(files.size(), " file(s), ", bytes, " bytes, first: ", fs::path(files.front()).filename().string());
}

namespace {

// Every SaeConfig field as an attribute cfg_<field>; the same list reads them back.
void write_config(io::Attributes& a, const SaeConfig& c) {
  a.set("cfg_recipe", to_string(c.recipe));
  a.set("cfg_d_in", c.d_in);
  a.set("cfg_n_features", c.n_features);
  a.set("cfg_seed", static_cast<std::int64_t>(c.seed));
  a.set("cfg_lr", c.lr);
  a.set("cfg_adam_beta1", c.adam_beta1);
  a.set("cfg_adam_beta2", c.adam_beta2);
  a.set("cfg_adam_eps", c.adam_eps);
  a.set("cfg_lr_warmup_steps", c.lr_warmup_steps);
  a.set("cfg_lr_decay_steps", c.lr_decay_steps);
  a.set("cfg_project_decoder_grad", static_cast<std::int64_t>(c.project_decoder_grad));
  a.set("cfg_renormalize_decoder", static_cast<std::int64_t>(c.renormalize_decoder));
  a.set("cfg_l1_coeff", c.l1_coeff);
  a.set("cfg_resample_every", c.resample_every);
  a.set("cfg_resample_window", c.resample_window);
  a.set("cfg_resample_threshold", c.resample_threshold);
  a.set("cfg_k", c.k);
  a.set("cfg_k_aux", c.k_aux);
  a.set("cfg_auxk_alpha", c.auxk_alpha);
  a.set("cfg_dead_tokens", c.dead_tokens);
  a.set("cfg_path", to_string(c.path));
  a.set("cfg_sparse_max_density", c.sparse_max_density);
  a.set("cfg_precision", backend::to_string(c.precision));
}

SaeConfig read_config(const io::Attributes& a) {
  SaeConfig c;
  c.recipe = parse_recipe(a.get_string("cfg_recipe"));
  c.d_in = a.get_int("cfg_d_in");
  c.n_features = a.get_int("cfg_n_features");
  c.seed = static_cast<std::uint64_t>(a.get_int("cfg_seed"));
  c.lr = a.get_double("cfg_lr");
  c.adam_beta1 = a.get_double("cfg_adam_beta1");
  c.adam_beta2 = a.get_double("cfg_adam_beta2");
  c.adam_eps = a.get_double("cfg_adam_eps");
  c.lr_warmup_steps = a.get_int("cfg_lr_warmup_steps");
  c.lr_decay_steps = a.get_int("cfg_lr_decay_steps");
  c.project_decoder_grad = a.get_int("cfg_project_decoder_grad") != 0;
  c.renormalize_decoder = a.get_int("cfg_renormalize_decoder") != 0;
  c.l1_coeff = a.get_double("cfg_l1_coeff");
  c.resample_every = a.get_int("cfg_resample_every");
  c.resample_window = a.get_int("cfg_resample_window");
  c.resample_threshold = a.get_double("cfg_resample_threshold");
  c.k = a.get_int("cfg_k");
  c.k_aux = a.get_int("cfg_k_aux");
  c.auxk_alpha = a.get_double("cfg_auxk_alpha");
  c.dead_tokens = a.get_int("cfg_dead_tokens");
  c.path = parse_compute_path(a.get_string("cfg_path"));
  c.sparse_max_density = a.get_double("cfg_sparse_max_density");
  // Files written before the precision was recorded were trained in fp32.
  c.precision = backend::parse_precision(a.get_string_or("cfg_precision", "fp32"));
  return c;
}

void write_tensors(io::File& f, const std::string& group, const SaeTensors& t) {
  const std::int64_t d = t.d_in, n = t.n_features;
  f.write_dataset<float>(group + "W_enc", t.w_enc, {d, n});
  f.write_dataset<float>(group + "b_enc", t.b_enc, {n});
  f.write_dataset<float>(group + "W_dec", t.w_dec, {n, d});
  f.write_dataset<float>(group + "b_dec", t.b_dec, {d});
}

SaeTensors read_tensors(const io::File& f, const std::string& group, std::int64_t d, std::int64_t n) {
  SaeTensors t = SaeTensors::zeros(d, n);
  const struct {
    const char* name;
    std::vector<float>* data;
    io::Shape shape;
  } parts[] = {{"W_enc", &t.w_enc, {d, n}}, {"b_enc", &t.b_enc, {n}}, {"W_dec", &t.w_dec, {n, d}}, {"b_dec", &t.b_dec, {d}}};
  for (const auto& p : parts) {
    const io::Dataset ds = f.dataset(group + p.name);
    if (ds.shape() != p.shape)
      throw InputError(str(ds.where(), ": shape ", io::shape_string(ds.shape()), ", expected ", io::shape_string(p.shape)));
    if (ds.element_type() != io::ElementType::F32)
      throw InputError(str(ds.where(), ": dtype ", io::to_string(ds.element_type()), ", expected float32"));
    ds.read<float>(*p.data);
    // A NaN or Inf parameter would silently poison every code (graph, export, resume).
    const auto bad = std::find_if(p.data->begin(), p.data->end(), [](float v) { return !std::isfinite(v); });
    if (bad != p.data->end())
      throw InputError(str(ds.where(), ": element ", bad - p.data->begin(), " is ", *bad, " (parameters must be finite)"));
  }
  return t;
}

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

}  // namespace

void write_checkpoint(const std::string& path, bool force, const Checkpoint& c, io::Provenance provenance) {
  io::AtomicOutput out(path, force);
  {
    io::File f = io::File::create(out.temporary_path());
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
    a.set("ground_truth_mmcs", c.ground_truth_mmcs);
    a.set("data_activations", c.data.activations);
    a.set("data_fingerprint", c.data.fingerprint);
    a.set("data_seed", static_cast<std::int64_t>(c.data.seed));
    a.set("data_batch_rows", c.data.batch_rows);
    a.set("data_buffer_rows", c.data.buffer_rows);
    a.set("data_chunk_rows", c.data.chunk_rows);
    a.set("data_normalisation", c.data.normalisation);
    write_config(a, c.config);

    write_tensors(f, "/", c.params);
    if (c.state) {
      const TrainerState& s = *c.state;
      write_tensors(f, "/optimizer/adam_m/", s.adam_m);
      write_tensors(f, "/optimizer/adam_v/", s.adam_v);
      write_column(f, "/state/tokens_since_fired", s.tokens_since_fired);
      write_column(f, "/state/window_fires", s.window_fires);
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
  out.commit();
}

Checkpoint read_checkpoint(const std::string& path, bool with_state) {
  const io::File f = io::File::open(path);
  io::require_kind(f, "sae");
  const auto a = f.attributes();
  Checkpoint c;
  c.config = read_config(a);
  try {
    validate(c.config);
  } catch (const UsageError& e) {
    throw InputError(str(path, ": stored configuration is invalid: ", e.what()));
  }
  const std::int64_t d = c.config.d_in, n = c.config.n_features;
  c.params = read_tensors(f, "/", d, n);
  c.total_steps = a.get_int("total_steps");
  c.complete = a.get_int("complete") != 0;
  c.ranks = a.get_int("ranks");
  c.ground_truth_mmcs = a.get_double("ground_truth_mmcs");
  c.data.activations = a.get_string("data_activations");
  c.data.fingerprint = a.get_string("data_fingerprint");
  c.data.seed = static_cast<std::uint64_t>(a.get_int("data_seed"));
  c.data.batch_rows = a.get_int("data_batch_rows");
  c.data.buffer_rows = a.get_int("data_buffer_rows");
  c.data.chunk_rows = a.get_int("data_chunk_rows");
  c.data.normalisation = a.get_string("data_normalisation");
  const std::int64_t step = a.get_int("step");
  if (with_state) {
    if (!f.has("/optimizer/adam_m/W_enc"))
      throw InputError(str(path, ": holds no optimiser state (an exported or imported SAE cannot be resumed)"));
    TrainerState s;
    s.step = step;
    s.adam_m = read_tensors(f, "/optimizer/adam_m/", d, n);
    s.adam_v = read_tensors(f, "/optimizer/adam_v/", d, n);
    s.tokens_since_fired = read_column<std::int64_t>(f, "/state/tokens_since_fired", static_cast<std::size_t>(n));
    s.window_fires = read_column<double>(f, "/state/window_fires", static_cast<std::size_t>(n));
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

std::vector<std::string> config_differences(const Checkpoint& file, const SaeConfig& c, const DataStream& data) {
  std::vector<std::string> out;
  auto check = [&](const char* key, const auto& stored, const auto& wanted) {
    if (!(stored == wanted)) out.push_back(str(key, ": checkpoint has ", stored, ", this run asks for ", wanted));
  };
  const SaeConfig& s = file.config;
  check("recipe", std::string(to_string(s.recipe)), std::string(to_string(c.recipe)));
  check("d_in", s.d_in, c.d_in);
  check("n_features", s.n_features, c.n_features);
  check("seed", s.seed, c.seed);
  check("lr", s.lr, c.lr);
  check("adam_beta1", s.adam_beta1, c.adam_beta1);
  check("adam_beta2", s.adam_beta2, c.adam_beta2);
  check("adam_eps", s.adam_eps, c.adam_eps);
  check("lr_warmup_steps", s.lr_warmup_steps, c.lr_warmup_steps);
  check("lr_decay_steps", s.lr_decay_steps, c.lr_decay_steps);
  check("project_decoder_grad", s.project_decoder_grad, c.project_decoder_grad);
  check("renormalize_decoder", s.renormalize_decoder, c.renormalize_decoder);
  check("l1_coeff", s.l1_coeff, c.l1_coeff);
  check("resample_every", s.resample_every, c.resample_every);
  check("resample_window", s.resample_window, c.resample_window);
  check("resample_threshold", s.resample_threshold, c.resample_threshold);
  check("k", s.k, c.k);
  check("k_aux", s.k_aux, c.k_aux);
  check("auxk_alpha", s.auxk_alpha, c.auxk_alpha);
  check("dead_tokens", s.dead_tokens, c.dead_tokens);
  check("data seed", file.data.seed, data.seed);
  check("batch rows", file.data.batch_rows, data.batch_rows);
  check("buffer rows", file.data.buffer_rows, data.buffer_rows);
  check("chunk rows", file.data.chunk_rows, data.chunk_rows);
  check("normalisation", file.data.normalisation, data.normalisation);
  return out;
}

}  // namespace coact::sae
