#include "run_study.h"

#include <algorithm>
#include <filesystem>

#include "coact/core/errors.h"
#include "coact/core/strings.h"
#include "coact/io/activation_store.h"
#include "coact/io/activation_writer.h"
#include "coact/io/shuffle.h"
#include "coact/sae/checkpoint.h"
#include "train_flags.h"

namespace coact::app::run {

namespace fs = std::filesystem;

const char* to_string(Stage stage) {
  switch (stage) {
    case Stage::Data: return "data";
    case Stage::Train: return "train";
    case Stage::Graph: return "graph";
    case Stage::Compare: return "compare";
    case Stage::Report: return "report";
  }
  return "?";
}

std::string Study::sae_path(std::uint64_t seed) const { return sae::sae_path(out, seed); }
std::string Study::graph_path(std::uint64_t seed) const {
  return (fs::path(out) / ("graph_" + std::to_string(seed) + ".h5")).string();
}
std::string Study::compare_path() const { return (fs::path(out) / "compare.h5").string(); }
std::string Study::report_path() const { return (fs::path(out) / "report.md").string(); }
std::string Study::manifest_path() const { return (fs::path(out) / "manifest.json").string(); }

namespace {

// Re-raises a library's UsageError as a ConfigError naming the key it came from ("": the
// message names it already).
template <class F>
auto naming(const std::string& key, F&& work) {
  try {
    return work();
  } catch (const UsageError& e) {
    throw ConfigError(key.empty() ? std::string(e.what()) : str(key, ": ", e.what()));
  }
}

Stage parse_stage(const std::string& text) {
  for (Stage s : {Stage::Data, Stage::Train, Stage::Graph, Stage::Compare, Stage::Report})
    if (text == to_string(s)) return s;
  throw ConfigError(str("run.stop-after: '", text, "' is not data, train, graph, compare or report"));
}

void require_positive(const Keys& k, const std::string& name, std::int64_t minimum = 1) {
  if (k.has(name) && k.get_int(name) < minimum)
    throw ConfigError(str(name, ": must be at least ", minimum, " (got ", k.get_int(name), ")"));
}

void resolve_synth(const Keys& k, data::SynthConfig& c) {
  c.rows = k.get_int("synth.rows");
  c.d = k.get_int("synth.d");
  c.features = k.get_int("synth.features");
  c.zipf_exponent = k.get_double("synth.zipf-exponent");
  c.max_probability = k.get_double("synth.max-probability");
  c.min_probability = k.get_double("synth.min-probability");
  c.grouped_fraction = k.get_double("synth.grouped-fraction");
  c.group_size = k.get_int("synth.group-size");
  c.group_probability = k.get_double("synth.group-probability");
  c.within_group_probability = k.get_double("synth.within-group-probability");
  c.magnitude_min = k.get_double("synth.magnitude-min");
  c.magnitude_max = k.get_double("synth.magnitude-max");
  c.noise = k.get_double("synth.noise");
  c.offset_norm = k.get_double("synth.offset-norm");
  c.truth_rows = k.get_int("synth.truth-rows");
  if (k.get_int("synth.seed") < 0) throw ConfigError("synth.seed: must be >= 0");
  c.seed = static_cast<std::uint64_t>(k.get_int("synth.seed"));
  const std::string dtype = k.get_string("synth.dtype");
  const auto type = io::store_dtype(dtype);
  if (!type) throw ConfigError(str("synth.dtype: '", dtype, "' is not float32 or float16"));
  c.dtype = *type;
  try {
    c.validate();
  } catch (const UsageError& e) {
    // The generator names its flags ("--rows: ..."); here they are keys of [synth].
    std::string message = e.what();
    if (message.rfind("--", 0) == 0) message = "synth." + message.substr(2);
    throw ConfigError(message);
  }
}

void resolve_graph(const Keys& k, graph::GraphBuildOptions& g) {
  require_positive(k, "graph.batch-tokens");
  require_positive(k, "graph.num-batches");
  require_positive(k, "graph.k", 2);
  require_positive(k, "graph.encode-rows");
  g.batch_tokens = k.get_int("graph.batch-tokens");
  g.num_batches = k.get_int("graph.num-batches");
  g.k = static_cast<int>(std::min<std::int64_t>(k.get_int("graph.k"), 1 << 20));
  g.zero_policy = naming("graph.zero-policy", [&] { return graph::parse_zero_policy(k.get_string("graph.zero-policy")); });
  g.strict = k.get_bool("graph.strict");
  if (k.has("graph.normalise")) {
    g.normalisation = k.get_string("graph.normalise");
    naming("graph.normalise", [&] { return io::parse_normalisation(g.normalisation); });
  }
  g.encode_rows = k.get_int("graph.encode-rows");
}

void resolve_compare(const Keys& k, compare::ComparisonOptions& c) {
  c.study.threshold = k.get_double("compare.threshold");
  if (!(c.study.threshold >= -1 && c.study.threshold <= 1)) throw ConfigError("compare.threshold: must be a cosine in [-1, 1]");
  const std::string method = k.get_string("compare.method");
  if (method != "exact" && method != "greedy") throw ConfigError(str("compare.method: '", method, "' is not exact or greedy"));
  c.study.greedy = method == "greedy";
  c.study.rectangular = k.get_bool("compare.rectangular");
  require_positive(k, "compare.baseline-seed", 0);
  c.study.baseline_seed = static_cast<std::uint64_t>(k.get_int("compare.baseline-seed"));
  require_positive(k, "compare.strength-bins");
  c.study.strength_bins = k.get_int("compare.strength-bins");
  c.truth_store = k.get_string("compare.truth");
}

std::string resolved_text(const CommandLine& cli, const Keys& k, const Study& s) {
  std::string text = str("out = ", s.out, "\ndevice = ", cli.device(), "\n");
  if (cli.has("threads")) text += str("threads = ", cli.get<int>("threads"), "\n");
  for (const char* section : {"run", "data", "synth", "record", "train", "graph", "compare", "report"})
    text += k.section_text(section, false);
  return text;
}

}  // namespace

Study resolve_study(const CommandLine& cli, const Invocation& invocation) {
  const Keys k(cli.values());
  Study s;
  if (!cli.has("config")) throw UsageError("coact run needs --config FILE describing the study (see jobs/configs/demo.ini)");
  s.config_path = cli.get<std::string>("config");
  s.command_line = cli.command_line(invocation);
  s.out = cli.out();
  if (s.out.empty()) throw ConfigError("out: no output directory; set `out = DIR` at the top of the file or pass --out DIR");
  s.force = cli.force();
  s.device = backend::parse_device_request(cli.device());
  s.stop_after = parse_stage(k.get_string("run.stop-after"));
  require_positive(k, "run.ranks", 0);
  s.expected_ranks = k.get_int("run.ranks");

  const std::string source = k.get_string("data.source");
  if (source == "synthetic") s.source = Source::Synthetic;
  else if (source == "store") s.source = Source::Store;
  else if (source == "record") s.source = Source::Record;
  else throw ConfigError(str("data.source: '", source, "' is not synthetic, store or record"));
  if (s.source == Source::Store && !k.has("data.store"))
    throw ConfigError("data.store: required when data.source = store (the activation store to read)");
  s.store = k.has("data.store") ? k.get_string("data.store") : (fs::path(s.out) / "acts.h5").string();
  resolve_synth(k, s.synth);
  if (s.source == Source::Record) {
    for (const char* key : {"record.model", "record.tokens"})
      if (!k.has(key)) throw ConfigError(str(key, ": required when data.source = record"));
    require_positive(k, "record.seq-len");
    require_positive(k, "record.max-sequences", 0);
    require_positive(k, "record.batch-sequences");
    s.record.model = k.get_string("record.model");
    s.record.model_config = k.get_string("record.model-config");
    for (const auto& part : split(k.get_string("record.tokens"), ','))
      if (!trim(part).empty()) s.record.tokens.push_back(trim(part));
    if (s.record.tokens.empty()) throw ConfigError("record.tokens: no token files given");
    s.record.hook = k.get_string("record.hook");
    s.record.seq_len = k.get_int("record.seq-len");
    s.record.prepend_bos = k.get_bool("record.prepend-bos");
    s.record.max_sequences = k.get_int("record.max-sequences");
    s.record.batch_sequences = k.get_int("record.batch-sequences");
    s.record.dtype = k.get_string("record.dtype");
    if (!io::store_dtype(s.record.dtype))
      throw ConfigError(str("record.dtype: '", s.record.dtype, "' is not float32 or float16"));
  }

  if (!k.has("train.seeds")) throw ConfigError("train.seeds: required (e.g. seeds = 52,55)");
  s.seeds = naming("", [&] { return parse_seed_list(k.get_string("train.seeds"), "train.seeds"); });
  if (s.seeds.size() < 2 && s.runs(Stage::Compare))
    throw ConfigError("train.seeds: a comparison needs two or more seeds (or set run.stop-after = graph)");
  require_positive(k, "train.parallel-seeds", 0);
  if (k.get_int("train.parallel-seeds") > static_cast<std::int64_t>(s.seeds.size()))
    throw ConfigError(str("train.parallel-seeds: ", k.get_int("train.parallel-seeds"), " is more than the ", s.seeds.size(),
                          " seeds"));
  s.parallel_seeds = static_cast<int>(k.get_int("train.parallel-seeds"));
  naming("", [&] { read_training_flags(cli.values(), "train.", s.train); });
  resolve_graph(k, s.graph);
  resolve_compare(k, s.compare);
  s.report.plots = k.get_bool("report.plots");

  // Fingerprints: each stage's text holds the sections its outputs depend on (upstream first).
  std::string data_section;
  if (s.source == Source::Store) data_section = k.section_text("data", true);
  else data_section = k.section_text("data", true, {"store"});  // where the store goes is not how it is made
  if (s.source == Source::Synthetic) data_section += k.section_text("synth", true);
  if (s.source == Source::Record) data_section += k.section_text("record", true);
  s.data_text = std::string(kFingerprintHeader) + data_section;
  // Seeds are left out: each SAE file is one seed (its name and `seed` attribute), and adding
  // a seed to the study must not invalidate the others.
  s.train_text = s.data_text + k.section_text("train", true, {"seeds"});
  s.graph_text = s.train_text + k.section_text("graph", true);
  s.compare_text = s.graph_text + k.section_text("compare", true) + "[train]\nseeds = " + k.text("train.seeds") + "\n";
  s.report_text = s.compare_text + k.section_text("report", true);
  s.resolved_text = resolved_text(cli, k, s);

  // The stage options: paths and provenance.
  s.train.activations = s.store;
  s.train.out_dir = s.out;
  s.train.device = s.device;
  s.train.command_line = s.command_line;
  s.train.config_text = s.train_text;
  s.graph.activations = s.store;
  s.graph.device = s.device;
  s.graph.command_line = s.command_line;
  s.graph.config_text = s.graph_text;
  s.compare.out = s.compare_path();
  s.compare.command_line = s.command_line;
  s.compare.config_text = s.compare_text;
  s.report.out = s.report_path();
  s.record.out = s.store;
  s.record.device = s.device;
  s.record.command_line = s.command_line;
  s.record.config_text = s.data_text;
  return s;
}

}  // namespace coact::app::run
