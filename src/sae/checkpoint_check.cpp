#include "coact/sae/checkpoint_check.h"

#include <cmath>
#include <vector>

#include "coact/core/errors.h"
#include "coact/io/activation_store.h"
#include "coact/io/h5.h"
#include "coact/io/provenance.h"
#include "coact/io/stored_options.h"
#include "coact/sae/checkpoint.h"

namespace coact::sae {
namespace {

[[noreturn]] void bad_attribute(const io::File& file, const std::string& name, const std::string& what) {
  throw InputError(str(file.path(), ":/: attribute '", name, "' ", what));
}

// A root integer attribute that must equal its copy among the stored configuration (cfg_*).
void require_same(const io::File& file, const char* root, const char* config) {
  const auto a = file.attributes();
  if (!a.has(config)) return;
  const std::int64_t value = a.get_int(root), stored = a.get_int(config);
  if (value != stored) bad_attribute(file, root, str("is ", value, " but '", config, "' is ", stored));
}

void require_shape(const io::File& file, const std::string& name, const io::Shape& expected) {
  const io::Dataset dataset = file.dataset(name);
  if (dataset.shape() != expected)
    throw InputError(str(dataset.where(), ": shape ", io::shape_string(dataset.shape()), ", expected ",
                         io::shape_string(expected), " (from the root attributes d_in and n_features)"));
  if (dataset.element_type() != io::ElementType::F32)
    throw InputError(str(dataset.where(), ": dtype ", io::to_string(dataset.element_type()), ", expected float32"));
}

// The last value of a 1-D metrics column with `rows` entries.
template <class T>
T last_of(const io::File& file, const std::string& name, std::int64_t rows) {
  T value{};
  file.dataset(name).read<T>(std::span<T>(&value, 1), {rows - 1}, {1});
  return value;
}

template <class T, class Bad>
void scan(const std::string& where, const std::vector<T>& values, const Bad& bad, const char* expected) {
  for (std::size_t i = 0; i < values.size(); ++i)
    if (bad(values[i])) throw InputError(str(where, ": element ", i, " is ", values[i], ", expected ", expected));
}

}  // namespace

void require_consistent_sae_attributes(const io::File& file) {
  const auto a = file.attributes();
  for (const char* name : {"d_in", "n_features"})
    if (a.get_int(name) < 1) bad_attribute(file, name, str("is ", a.get_int(name), ", expected at least 1"));
  require_same(file, "d_in", "cfg_d_in");
  require_same(file, "n_features", "cfg_n_features");
  require_same(file, "seed", "cfg_seed");
  const std::string recipe = a.get_string("recipe");
  try {
    parse_recipe(recipe);
  } catch (const UsageError&) {
    bad_attribute(file, "recipe", str("is '", recipe, "', expected one of nanda-1l, topk, batchtopk, jumprelu, matryoshka"));
  }
  if (a.has("cfg_recipe") && a.get_string("cfg_recipe") != recipe)
    bad_attribute(file, "recipe", str("is '", recipe, "' but 'cfg_recipe' is '", a.get_string("cfg_recipe"), "'"));
  const std::int64_t step = a.get_int("step"), total = a.get_int("total_steps"), complete = a.get_int("complete");
  if (step < 0) bad_attribute(file, "step", str("is ", step, ", expected at least 0"));
  if (total < 0) bad_attribute(file, "total_steps", str("is ", total, ", expected at least 0"));
  if (complete != 0 && complete != 1) bad_attribute(file, "complete", str("is ", complete, ", expected 0 or 1"));
  // A run stopped early has steps left (or stopped right at its last one); a finished run has
  // taken all of them (or more, resumed with fewer --steps); an imported SAE is 0 of 0.
  if (complete == 0 && step > total)
    bad_attribute(file, "complete", str("is 0 but step ", step, " is past total_steps ", total));
  if (complete == 1 && step < total)
    bad_attribute(file, "complete", str("is 1 but step ", step, " is short of total_steps ", total));
  if (a.get_int("ranks") < 1) bad_attribute(file, "ranks", str("is ", a.get_int("ranks"), ", expected at least 1"));
  if (a.has("latent_shards")) {
    const std::int64_t shards = a.get_int("latent_shards");
    if (shards < 1 || shards > a.get_int("ranks") || a.get_int("ranks") % shards != 0 || shards > a.get_int("n_features"))
      bad_attribute(file, "latent_shards",
                    str("is ", shards, ", expected a divisor of ranks = ", a.get_int("ranks"), " and at most n_features"));
  }
  const std::string normalisation = a.get_string("data_normalisation");
  try {
    io::parse_normalisation(normalisation);
  } catch (const Error&) {
    bad_attribute(file, "data_normalisation", str("is '", normalisation, "', expected none, scale or center-scale"));
  }
  if (a.has("encoder_kind")) {
    const EncoderSpec spec = io::read_options(a, "encoder_", encoder_table(), EncoderSpec{}, file.path());
    validate(spec, a.get_int("n_features"), file.path() + ":/");
  }
}

SaeSummary describe_sae(const std::string& path) {
  const io::File file = io::File::open(path);
  io::require_kind(file, "sae");
  require_consistent_sae_attributes(file);
  const auto a = file.attributes();
  SaeSummary s;
  s.path = path;
  s.d_in = a.get_int("d_in");
  s.n_features = a.get_int("n_features");
  s.recipe = a.get_string("recipe");
  s.seed = a.get_int("seed");
  s.step = a.get_int("step");
  s.total_steps = a.get_int("total_steps");
  s.complete = a.get_int("complete") == 1;
  s.ranks = a.get_int("ranks");
  s.normalisation = a.get_string("data_normalisation");
  s.activations = a.get_string_or("data_activations", "");
  s.ground_truth_mmcs = a.has("ground_truth_mmcs") ? a.get_double("ground_truth_mmcs") : -1.0;
  const std::int64_t d = s.d_in, n = s.n_features;
  require_shape(file, "/W_enc", {d, n});
  require_shape(file, "/b_enc", {n});
  require_shape(file, "/W_dec", {n, d});
  require_shape(file, "/b_dec", {d});
  // The encoder kind's own tensors (read_checkpoint also checks their values).
  if (a.has("encoder_kind")) {
    const EncoderSpec spec = io::read_options(a, "encoder_", encoder_table(), EncoderSpec{}, path);
    if (uses_threshold(spec.kind)) {
      require_shape(file, "/threshold", {n});
      const std::vector<float> theta = file.dataset("/threshold").read_all<float>();
      for (std::size_t j = 0; j < theta.size(); ++j)
        if (!(theta[j] >= 0.0f))
          throw InputError(str(path, ":/threshold: element ", j, " is ", theta[j], ", expected a finite threshold >= 0"));
    }
    if (spec.kind == EncoderKind::Gated) {
      require_shape(file, "/r_mag", {n});
      require_shape(file, "/b_mag", {n});
    }
    if (spec.input_norm == InputNormKind::CenterScale) require_shape(file, "/input_mean", {d});
  }
  s.has_optimizer_state = file.has("/optimizer/adam_m/W_enc");
  if (file.has("/metrics/step")) {
    const io::Shape shape = file.dataset("/metrics/step").shape();
    if (shape.size() != 1) throw InputError(str(path, ":/metrics/step: shape ", io::shape_string(shape), ", expected [rows]"));
    s.metric_rows = shape[0];
    for (const char* column : {"tokens", "loss", "l0", "fvu", "dead_fraction"}) {
      const io::Dataset dataset = file.dataset(std::string("/metrics/") + column);
      if (dataset.shape() != shape)
        throw InputError(str(dataset.where(), ": shape ", io::shape_string(dataset.shape()), ", expected ",
                             io::shape_string(shape), " (as /metrics/step)"));
    }
    if (s.metric_rows > 0) {
      LoggedMetrics m;
      m.step = last_of<std::int64_t>(file, "/metrics/step", s.metric_rows);
      m.tokens = last_of<std::int64_t>(file, "/metrics/tokens", s.metric_rows);
      m.loss = last_of<double>(file, "/metrics/loss", s.metric_rows);
      m.l0 = last_of<double>(file, "/metrics/l0", s.metric_rows);
      m.fvu = last_of<double>(file, "/metrics/fvu", s.metric_rows);
      m.dead_fraction = last_of<double>(file, "/metrics/dead_fraction", s.metric_rows);
      s.last = m;
    }
  }
  return s;
}

SaeCheckReport check_sae(const std::string& path) {
  const SaeSummary summary = describe_sae(path);
  // read_checkpoint checks every shape and dtype and that every parameter and moment is finite.
  const Checkpoint c = read_checkpoint(path, summary.has_optimizer_state);
  SaeCheckReport report;
  report.parameters = static_cast<std::int64_t>(c.params.w_enc.size() + c.params.b_enc.size() + c.params.w_dec.size() +
                                                c.params.b_dec.size());
  if (c.state) {
    const TrainerState& s = *c.state;
    const auto negative = [](float v) { return v < 0.0f; };
    scan(path + ":/optimizer/adam_v/W_enc", s.adam_v.w_enc, negative, "a second moment >= 0");
    scan(path + ":/optimizer/adam_v/b_enc", s.adam_v.b_enc, negative, "a second moment >= 0");
    scan(path + ":/optimizer/adam_v/W_dec", s.adam_v.w_dec, negative, "a second moment >= 0");
    scan(path + ":/optimizer/adam_v/b_dec", s.adam_v.b_dec, negative, "a second moment >= 0");
    scan(path + ":/state/tokens_since_fired", s.tokens_since_fired, [](std::int64_t v) { return v < 0; }, "a count >= 0");
    scan(path + ":/state/window_fires", s.window_fires, [](double v) { return !(v >= 0.0 && std::isfinite(v)); },
         "a finite count >= 0");
    report.optimizer_values = 2 * report.parameters;
  }
  const MetricsTable& m = c.metrics;
  const std::pair<const char*, const std::vector<double>*> reals[] = {
      {"loss", &m.loss}, {"l2", &m.l2}, {"l1", &m.l1}, {"l0", &m.l0}, {"fvu", &m.fvu}, {"auxk", &m.auxk},
      {"dead_fraction", &m.dead_fraction}, {"lr", &m.lr}, {"tokens_per_second", &m.tokens_per_second},
      {"elapsed_seconds", &m.elapsed_seconds}};
  for (const auto& [name, values] : reals)
    scan(str(path, ":/metrics/", name), *values, [](double v) { return !std::isfinite(v); }, "a finite number");
  for (std::size_t row = 0; row < m.step.size(); ++row) {
    const bool ascending = row == 0 || m.step[row] > m.step[row - 1];
    if (!ascending || m.step[row] < 1 || m.step[row] > summary.step)
      throw InputError(str(path, ":/metrics/step: row ", row, " is step ", m.step[row],
                           ", expected steps ascending in [1, step = ", summary.step, "]"));
  }
  report.metric_rows = static_cast<std::int64_t>(m.size());
  return report;
}

}  // namespace coact::sae
