#include "train_flags.h"

#include <algorithm>

#include "coact/core/errors.h"
#include "coact/core/strings.h"

namespace coact::app {

std::vector<std::uint64_t> parse_seed_list(const std::string& text, const std::string& name) {
  if (trim(text).empty()) throw UsageError(str(name, ": no seeds given (expected e.g. 52,55)"));
  std::vector<std::uint64_t> seeds;
  for (const auto& part : split(text, ',')) {
    const std::string t = trim(part);
    std::size_t used = 0;
    unsigned long long value = 0;
    try {
      value = std::stoull(t, &used);
    } catch (const std::exception&) {
      used = 0;
    }
    if (t.empty() || used != t.size() || t[0] == '-')
      throw UsageError(str(name, ": '", t, "' is not a non-negative integer (expected e.g. 52,55)"));
    if (std::find(seeds.begin(), seeds.end(), value) != seeds.end()) throw UsageError(str(name, ": ", value, " is listed twice"));
    seeds.push_back(value);
  }
  return seeds;
}

namespace {

class Flags {
 public:
  Flags(const po::variables_map& values, std::string prefix) : values_(values), prefix_(std::move(prefix)) {}
  bool has(const std::string& name) const { return values_.count(key(name)) > 0 && !values_[key(name)].empty(); }
  template <class T>
  T get(const std::string& name) const {
    return values_[key(name)].as<T>();
  }
  // How errors name the flag: "--steps" or "train.steps".
  std::string label(const std::string& name) const { return prefix_.empty() ? "--" + name : prefix_ + name; }
  void require_at_least(const std::string& name, std::int64_t minimum) const {
    if (has(name) && get<std::int64_t>(name) < minimum)
      throw UsageError(str(label(name), ": must be at least ", minimum, " (got ", get<std::int64_t>(name), ")"));
  }
  template <class T>
  void set_if_given(const std::string& name, T& field) const {
    if (has(name)) field = get<T>(name);
  }
  template <class F>
  auto naming(const std::string& name, F&& parse) const {
    try {
      return parse(get<std::string>(name));
    } catch (const UsageError& e) {
      throw UsageError(str(label(name), ": ", e.what()));
    }
  }

 private:
  std::string key(const std::string& name) const { return prefix_ + name; }
  const po::variables_map& values_;
  std::string prefix_;
};

}  // namespace

void read_training_flags(const po::variables_map& values, const std::string& prefix, sae::TrainingOptions& o) {
  const Flags f(values, prefix);
  const sae::Recipe recipe = f.naming("recipe", [](const std::string& t) { return sae::parse_recipe(t); });
  for (const char* name : {"n", "expansion", "d-in", "batch-size", "steps", "tokens", "chunk-rows", "log-every"})
    f.require_at_least(name, 1);
  f.require_at_least("buffer-rows", 0);
  f.require_at_least("checkpoint-every", 0);
  f.require_at_least("data-seed", -1);
  f.set_if_given("n", o.n_features);
  f.set_if_given("expansion", o.expansion);
  if (o.n_features == 0 && o.expansion == 0) o.expansion = 8;
  f.set_if_given("d-in", o.d_in);
  o.batch_rows = f.get<std::int64_t>("batch-size");
  if (f.has("steps") == f.has("tokens"))
    throw UsageError(str(f.label("steps"), ": give exactly one of ", f.label("steps"), " and ", f.label("tokens")));
  o.steps = f.has("steps") ? f.get<std::int64_t>("steps") : f.get<std::int64_t>("tokens") / o.batch_rows;
  if (o.steps <= 0) throw UsageError(str(f.label("tokens"), ": fewer tokens than one batch of ", o.batch_rows));
  o.buffer_rows = f.get<std::int64_t>("buffer-rows");
  o.chunk_rows = f.get<std::int64_t>("chunk-rows");
  o.data_seed = f.get<std::int64_t>("data-seed");
  o.normalisation = f.naming("normalise", [](const std::string& t) { return io::parse_normalisation(t); });
  o.checkpoint_every = f.get<std::int64_t>("checkpoint-every");
  o.log_every = f.get<std::int64_t>("log-every");

  // Recipe defaults for the width are filled in per run (they may depend on n); given flags
  // override them.
  sae::SaeConfig& c = o.config;
  c = sae::default_config(recipe, 0, 0);
  f.set_if_given("adam-beta1", c.adam_beta1);
  f.set_if_given("adam-beta2", c.adam_beta2);
  f.set_if_given("adam-eps", c.adam_eps);
  f.set_if_given("lr-warmup-steps", c.lr_warmup_steps);
  f.set_if_given("lr-decay-steps", c.lr_decay_steps);
  f.set_if_given("project-decoder-grad", c.project_decoder_grad);
  f.set_if_given("renormalize-decoder", c.renormalize_decoder);
  f.set_if_given("l1-coeff", c.l1_coeff);
  f.set_if_given("resample-every", c.resample_every);
  f.set_if_given("resample-window", c.resample_window);
  f.set_if_given("resample-threshold", c.resample_threshold);
  f.set_if_given("k", c.k);
  f.set_if_given("k-aux", c.k_aux);
  f.set_if_given("auxk-alpha", c.auxk_alpha);
  f.set_if_given("dead-tokens", c.dead_tokens);
  if (f.has("path")) c.path = f.naming("path", [](const std::string& t) { return sae::parse_compute_path(t); });
  f.set_if_given("sparse-max-density", c.sparse_max_density);
  if (f.has("lr") && f.get<double>("lr") <= 0) throw UsageError(str(f.label("lr"), ": must be positive"));
  o.lr_override = f.has("lr") ? f.get<double>("lr") : -1.0;
}

}  // namespace coact::app
