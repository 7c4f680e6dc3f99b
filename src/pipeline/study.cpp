#include "coact/pipeline/study.h"

#include <filesystem>
#include <functional>
#include <set>

#include "coact/core/errors.h"
#include "coact/core/ini.h"
#include "coact/core/strings.h"

namespace coact::pipeline {

namespace fs = std::filesystem;
using options::Value;

const char* to_string(Source source) {
  switch (source) {
    case Source::Synthetic: return "synthetic";
    case Source::Store: return "store";
    case Source::Record: return "record";
  }
  return "?";
}

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

std::string Study::store_path() const { return job.store.empty() ? (fs::path(job.out) / "acts.h5").string() : job.store; }
std::string Study::sae_path(std::uint64_t seed) const { return sae::sae_path(job.out, seed); }
std::string Study::graph_path(std::uint64_t seed) const {
  return (fs::path(job.out) / ("graph_" + std::to_string(seed) + ".h5")).string();
}
std::string Study::compare_path() const { return (fs::path(job.out) / "compare.h5").string(); }
std::string Study::report_path() const { return (fs::path(job.out) / "report.md").string(); }
std::string Study::manifest_path() const { return (fs::path(job.out) / "manifest.json").string(); }

namespace {

// ---- the pipeline's own keys -----------------------------------------------------------------

template <class E>
E parse_choice(const std::string& text, std::initializer_list<E> all) {
  for (E e : all)
    if (text == to_string(e)) return e;
  return *all.begin();  // unreachable: the table's choices were checked first
}

const char* device_text(backend::DeviceRequest d) {
  return d == backend::DeviceRequest::Cpu ? "cpu" : d == backend::DeviceRequest::Cuda ? "cuda" : "auto";
}

const options::Table<JobOptions>& top_table() {
  static const options::Table<JobOptions> table = [] {
    using namespace options;
    Table<JobOptions> t;
    t.add(text("out", "output directory (relative to where the job starts)").shown_as("DIR"), &JobOptions::out);
    t.add<backend::DeviceRequest>(text("device", "compute backend: cpu, cuda or auto (cuda when a GPU is visible)")
                                      .one_of({"cpu", "cuda", "auto"})
                                      .performance(),
                                  &JobOptions::device, [](const backend::DeviceRequest& d) { return std::string(device_text(d)); },
                                  backend::parse_device_request);
    t.add(integer("threads", "CPU threads per rank").at_least(1).at_most(4096).performance()
              .derived_from("OMP_NUM_THREADS, else cores / ranks on the host"),
          &JobOptions::threads);
    return t;
  }();
  return table;
}

const options::Table<JobOptions>& run_table() {
  static const options::Table<JobOptions> table = [] {
    using namespace options;
    Table<JobOptions> t;
    t.add(integer("ranks", "ranks the job must have (0: any); a mismatch fails before any work").at_least(0)
              .at_most(1048576)
              .performance(),
          &JobOptions::ranks);
    t.add<Stage>(text("stop-after", "last stage to run").one_of({"data", "train", "graph", "compare", "report"}).performance(),
                 &JobOptions::stop_after, [](const Stage& s) { return std::string(to_string(s)); },
                 [](const std::string& name) {
                   return parse_choice(name, {Stage::Data, Stage::Train, Stage::Graph, Stage::Compare, Stage::Report});
                 });
    return t;
  }();
  return table;
}

const options::Table<JobOptions>& data_table() {
  static const options::Table<JobOptions> table = [] {
    using namespace options;
    Table<JobOptions> t;
    t.add<Source>(text("source", "synthetic ([synth], written to data.store), store (an existing store at data.store) or "
                                 "record ([record])")
                      .one_of({"synthetic", "store", "record"}),
                  &JobOptions::source, [](const Source& s) { return std::string(to_string(s)); },
                  [](const std::string& name) { return parse_choice(name, {Source::Synthetic, Source::Store, Source::Record}); });
    t.add(text("store", "activation store: the input for source = store (file, directory of shards or glob); else where to "
                        "write it")
              .shown_as("PATH")
              .derived_from("OUT/acts.h5"),
          [](const JobOptions& j) { return j.store.empty() ? Value() : Value(j.store); },
          [](JobOptions& j, const Value& v) { j.store = options::is_set(v) ? std::get<std::string>(v) : std::string(); });
    return t;
  }();
  return table;
}

const options::Table<JobOptions>& evaluate_table() {
  static const options::Table<JobOptions> table = [] {
    using namespace options;
    Table<JobOptions> t;
    t.add(flag("evaluate", "add each SAE's CE-loss recovered (and KL) on the recorded model to the report "
                           "(data.source = record; 256 sequences of the recorded tokens)"),
          &JobOptions::evaluate);
    return t;
  }();
  return table;
}

const options::Table<JobOptions>& seeds_table() {
  static const options::Table<JobOptions> table = [] {
    using namespace options;
    Table<JobOptions> t;
    t.add(integer("parallel-seeds", "seeds trained at once on disjoint rank groups (0: min(seeds, ranks)); at most the ranks")
              .at_least(0)
              .performance(),
          &JobOptions::parallel_seeds);
    return t;
  }();
  return table;
}

// ---- sections --------------------------------------------------------------------------------

// Where a study's texts come from: the file's sections, then the command line's overrides.
class Sources {
 public:
  Sources(const IniFile* file, const StudyTexts& overrides, std::string origin)
      : file_(file), overrides_(overrides), origin_(std::move(origin)) {}

  struct Text {
    std::string value, where;  // where: " (study.ini, line 12)" or " (command line)"
  };
  std::map<std::string, Text> section(const std::string& name) const {
    std::map<std::string, Text> out;
    if (file_)
      for (const auto& [key, value] : file_->section(name))
        out[key] = {value, str(" (", origin_, ", line ", file_->lines.at(name).at(key), ")")};
    if (const auto it = overrides_.find(name); it != overrides_.end())
      for (const auto& [key, value] : it->second) out[key] = {value, " (command line)"};
    return out;
  }
  std::set<std::string> section_names() const {
    std::set<std::string> names;
    if (file_)
      for (const auto& [name, keys] : file_->sections) names.insert(name);
    for (const auto& [name, keys] : overrides_) names.insert(name);
    return names;
  }
  const std::string& origin() const { return origin_; }

 private:
  const IniFile* file_;
  const StudyTexts& overrides_;
  std::string origin_;
};

std::string label(const std::string& section, const std::string& key) { return section.empty() ? key : section + "." + key; }

// The values a section gives for one table's keys, parsed and checked; the keys taken are
// added to `claimed`. Errors name the key first, then where it was given.
template <class S>
std::map<std::string, Value> take(const Sources& sources, const std::string& section, const options::Table<S>& table,
                                  std::set<std::string>& claimed) {
  std::map<std::string, Value> out;
  for (const auto& [key, text] : sources.section(section)) {
    const auto* f = table.find(key);
    if (!f || !f->spec.user) continue;
    claimed.insert(key);
    try {
      out.emplace(key, f->spec.parse(text.value, label(section, key)));
    } catch (const UsageError& e) {
      throw ConfigError(e.what() + text.where);
    }
  }
  return out;
}

void refuse_unclaimed(const Sources& sources, const std::string& section, const std::set<std::string>& claimed) {
  for (const auto& [key, text] : sources.section(section))
    if (!claimed.count(key))
      throw ConfigError(str(sources.origin(), ": unrecognised option '", label(section, key), "'", text.where,
                            "; coact run --help lists every key"));
}

// Applies values to a struct, turning a library's UsageError into a ConfigError.
template <class F>
void applying(F&& work) {
  try {
    work();
  } catch (const ConfigError&) {
    throw;
  } catch (const UsageError& e) {
    throw ConfigError(e.what());
  }
}

std::string section_text(const std::string& name, const std::string& lines) { return "[" + name + "]\n" + lines; }

// The fingerprint texts: each stage's holds the sections its outputs depend on, upstream first.
void make_fingerprints(Study& s) {
  std::string data = section_text("data", str("source = ", to_string(s.job.source), "\n"));
  // Where a made store goes is not how it is made; an existing store is its own identity.
  if (s.job.source == Source::Store) data += str("store = ", s.job.store, "\n");
  if (s.job.source == Source::Synthetic) data += section_text("synth", data::synth_table().ini(s.synth, true));
  if (s.job.source == Source::Record)
    data += section_text("record", model::model_input_table().ini(s.record_inputs, true) +
                                       model::record_store_table().ini(s.record, true));
  s.data_text = std::string(kFingerprintHeader) + data;
  // Seeds are left out: each SAE file is one seed (its name and `seed` attribute), and adding
  // a seed to the study must not invalidate the others.
  s.train_text = s.data_text + section_text("train", sae::training_table().ini(s.train, true));
  s.graph_text = s.train_text + section_text("graph", graph::graph_build_table().ini(s.graph, true));
  s.compare_text = s.graph_text +
                   section_text("compare", compare::comparison_table().ini(s.compare, true) +
                                               (s.compare.pair.match_activations
                                                    ? compare::correlation_table().ini(s.correlation, true)
                                                    : std::string())) +
                   section_text("train", "seeds = " + sae::seed_list_text(s.seeds()) + "\n");
  s.report_text = s.compare_text + section_text("report", compare::report_table().ini(s.report, true) +
                                                             evaluate_table().ini(s.job, true));
}

// The stage options' paths and provenance, from the study.
void fill_stage_options(Study& s) {
  s.train.activations = s.store_path();
  s.train.out_dir = s.job.out;
  s.train.device = s.job.device;
  s.train.command_line = s.command_line;
  s.train.config_text = s.train_text;
  s.train.resume = true;
  s.graph.activations = s.store_path();
  s.graph.device = s.job.device;
  s.graph.command_line = s.command_line;
  s.graph.config_text = s.graph_text;
  s.compare.out = s.compare_path();
  s.compare.command_line = s.command_line;
  s.compare.config_text = s.compare_text;
  s.correlation.device = s.job.device;
  s.report.out = s.report_path();
  s.record.out = s.store_path();
  s.record.device = s.job.device;
  s.record.command_line = s.command_line;
  s.record.config_text = s.data_text;
}

// Everything that needs no file: required keys and combinations.
void check_combinations(const Study& s, const Sources& sources) {
  if (s.job.out.empty()) throw ConfigError("out: no output directory; set `out = DIR` at the top of the file or pass --out DIR");
  if (s.job.source == Source::Store && s.job.store.empty())
    throw ConfigError("data.store: required when data.source = store (the activation store to read)");
  if (s.job.source == Source::Record) {
    if (s.record_inputs.weights.empty()) throw ConfigError("record.model: required when data.source = record");
    if (s.record_inputs.tokens.empty()) throw ConfigError("record.tokens: required when data.source = record");
  }
  const auto train = sources.section("train");
  if (!train.count("seeds")) throw ConfigError("train.seeds: required (e.g. seeds = 52,55)");
  if (!s.train.steps && !s.train.tokens) throw ConfigError("train.steps: give train.steps or train.tokens");
  if (s.seeds().size() < 2 && s.runs(Stage::Compare))
    throw ConfigError("train.seeds: a comparison needs two or more seeds (or set run.stop-after = graph)");
  if (s.job.parallel_seeds > static_cast<std::int64_t>(s.seeds().size()))
    throw ConfigError(str("train.parallel-seeds: ", s.job.parallel_seeds, " is more than the ", s.seeds().size(), " seeds"));
  data::check_synth_combination(s.synth, options::key_labels("synth"));
  if (s.job.evaluate && s.job.source != Source::Record)
    throw ConfigError("report.evaluate: needs data.source = record (the model whose hook the SAEs replace)");
}

}  // namespace

const std::vector<SectionListing>& study_sections() {
  static const std::vector<SectionListing> sections = [] {
    auto join = [](std::vector<options::FieldListing> a, const std::vector<options::FieldListing>& b) {
      a.insert(a.end(), b.begin(), b.end());
      return a;
    };
    return std::vector<SectionListing>{
        {"", "the job (top of the file)", options::listing(top_table())},
        {"run", "[run] the job", options::listing(run_table())},
        {"data", "[data] activations", options::listing(data_table())},
        {"synth", "[synth] synthetic activations (data.source = synthetic; as coact synth)", options::listing(data::synth_table())},
        {"record", "[record] recorded activations (data.source = record; as coact record)",
         join(options::listing(model::model_input_table()), options::listing(model::record_store_table()))},
        {"train", "[train] SAEs (as coact train)", join(options::listing(sae::training_table()), options::listing(seeds_table()))},
        {"graph", "[graph] co-activation graphs (as coact graph)", options::listing(graph::graph_build_table())},
        {"compare", "[compare] the comparison (as coact compare)",
         join(options::listing(compare::comparison_table()), options::listing(compare::correlation_table()))},
        {"report", "[report] report.md (as coact report)",
         join(options::listing(compare::report_table()), options::listing(evaluate_table()))},
    };
  }();
  return sections;
}

namespace {

Study resolve(const Sources& sources, const std::string& config_path, const std::string& command_line) {
  Study s;
  s.config_path = config_path;
  s.command_line = command_line;
  for (const auto& name : sources.section_names()) {
    bool known = false;
    for (const auto& section : study_sections()) known = known || section.name == name;
    if (!known) throw ConfigError(str(sources.origin(), ": unknown section [", name, "]; coact run --help lists them"));
  }

  std::set<std::string> top, run, data, synth, record, train, graph, comparison, report;
  applying([&] { top_table().apply(take(sources, "", top_table(), top), s.job, options::key_labels("")); });
  applying([&] { run_table().apply(take(sources, "run", run_table(), run), s.job, options::key_labels("run")); });
  applying([&] { data_table().apply(take(sources, "data", data_table(), data), s.job, options::key_labels("data")); });
  applying([&] { data::synth_table().apply(take(sources, "synth", data::synth_table(), synth), s.synth, options::key_labels("synth")); });
  applying([&] {
    model::model_input_table().apply(take(sources, "record", model::model_input_table(), record), s.record_inputs,
                                     options::key_labels("record"));
    model::record_store_table().apply(take(sources, "record", model::record_store_table(), record), s.record,
                                      options::key_labels("record"));
  });
  applying([&] {
    sae::apply_training_values(take(sources, "train", sae::training_table(), train), s.train, options::key_labels("train"));
    seeds_table().apply(take(sources, "train", seeds_table(), train), s.job, options::key_labels("train"));
  });
  applying([&] {
    graph::graph_build_table().apply(take(sources, "graph", graph::graph_build_table(), graph), s.graph,
                                     options::key_labels("graph"));
  });
  applying([&] {
    compare::comparison_table().apply(take(sources, "compare", compare::comparison_table(), comparison), s.compare,
                                      options::key_labels("compare"));
    compare::correlation_table().apply(take(sources, "compare", compare::correlation_table(), comparison), s.correlation,
                                       options::key_labels("compare"));
  });
  applying([&] {
    compare::report_table().apply(take(sources, "report", compare::report_table(), report), s.report,
                                  options::key_labels("report"));
    evaluate_table().apply(take(sources, "report", evaluate_table(), report), s.job, options::key_labels("report"));
  });
  const std::pair<const char*, const std::set<std::string>*> claimed[] = {
      {"", &top},        {"run", &run},     {"data", &data},   {"synth", &synth},          {"record", &record},
      {"train", &train}, {"graph", &graph}, {"compare", &comparison}, {"report", &report}};
  for (const auto& [name, keys] : claimed) refuse_unclaimed(sources, name, *keys);

  check_combinations(s, sources);
  make_fingerprints(s);
  fill_stage_options(s);
  s.resolved_text = study_text(s);
  return s;
}

}  // namespace

Study load_study(const std::string& path, const StudyTexts& overrides, const std::string& command_line) {
  const IniFile file = read_ini(path);
  return resolve(Sources(&file, overrides, path), path, command_line);
}

Study study_from_texts(const StudyTexts& texts, const std::string& origin, const std::string& command_line) {
  return resolve(Sources(nullptr, texts, origin), "", command_line);
}

std::string study_text(const Study& s) {
  std::string out = top_table().ini(s.job, false);
  out += section_text("run", run_table().ini(s.job, false));
  out += section_text("data", data_table().ini(s.job, false));
  out += section_text("synth", data::synth_table().ini(s.synth, false));
  if (s.job.source == Source::Record)
    out += section_text("record", model::model_input_table().ini(s.record_inputs, false) +
                                      model::record_store_table().ini(s.record, false));
  out += section_text("train", sae::training_table().ini(s.train, false) + seeds_table().ini(s.job, false));
  out += section_text("graph", graph::graph_build_table().ini(s.graph, false));
  out += section_text("compare", compare::comparison_table().ini(s.compare, false) +
                                     compare::correlation_table().ini(s.correlation, false));
  out += section_text("report", compare::report_table().ini(s.report, false) + evaluate_table().ini(s.job, false));
  return out;
}

std::vector<io::LabelledPath> study_inputs(const Study& s) {
  std::vector<io::LabelledPath> inputs;
  if (s.job.source == Source::Store) inputs = io::store_inputs("data.store", s.store_path());
  if (s.job.source == Source::Record) {
    const model::ModelInputOptions& r = s.record_inputs;
    inputs.push_back({"record.model", r.weights});
    if (!r.config.empty()) inputs.push_back({"record.model-config", r.config});
    for (const auto& tokens : r.tokens) inputs.push_back({"record.tokens", tokens});
    for (const auto& [key, path] : {std::pair{"record.tokenizer", r.tokenizer}, {"record.encoder", r.encoder},
                                    {"record.merges", r.merges}})
      if (!path.empty()) inputs.push_back({key, path});
  }
  if (!s.compare.truth_store.empty())
    for (auto& file : io::store_inputs("compare.truth", s.compare.truth_store)) inputs.push_back(file);
  return inputs;
}

std::vector<io::OutputSpec> study_outputs(const Study& s, io::ExistingOutput existing) {
  std::vector<std::string> names;
  const fs::path out(s.out());
  const bool store_made = s.job.source != Source::Store;
  const bool store_inside = fs::path(s.store_path()).parent_path() == out && !s.record.shards;
  if (store_made && store_inside) names.push_back(fs::path(s.store_path()).filename().string());
  for (const auto seed : s.seeds()) {
    names.push_back(fs::path(s.sae_path(seed)).filename().string());
    names.push_back(fs::path(s.graph_path(seed)).filename().string());
  }
  for (const auto& path : {s.compare_path(), s.report_path(), s.manifest_path()}) names.push_back(fs::path(path).filename().string());
  std::vector<io::OutputSpec> outputs{io::OutputSpec::folder("out", s.out(), names, existing)};
  if (store_made && !store_inside) outputs.push_back(io::OutputSpec::file("data.store", s.store_path(), existing));
  return outputs;
}

Study demo_study(const DemoOptions& o, const std::string& command_line) {
  // The demo as texts, resolved like a file: one path from keys to options for both.
  StudyTexts t;
  t[""]["out"] = o.out;
  t[""]["device"] = device_text(o.device);
  t["synth"]["rows"] = std::to_string(o.rows);
  t["train"]["seeds"] = sae::seed_list_text(o.seeds);
  t["train"]["recipe"] = sae::to_string(o.recipe);
  t["train"]["n"] = "512";  // twice the planted features (256)
  t["train"]["steps"] = std::to_string(o.steps);
  t["train"]["batch-size"] = "2048";
  if (o.recipe == sae::Recipe::TopK) {
    // TopK with k = 10 (about the planted L0) recovers the planted features in seconds.
    t["train"]["k"] = "10";
    t["train"]["lr"] = "2e-3";
    t["train"]["lr-warmup-steps"] = "50";
  } else {
    t["train"]["lr"] = "1e-3";
    t["train"]["normalise"] = "scale";
  }
  t["train"]["checkpoint-every"] = "0";
  t["train"]["log-every"] = "100";
  t["graph"]["batch-tokens"] = "16384";
  t["graph"]["num-batches"] = std::to_string(std::max<std::int64_t>(1, o.rows / 16384));  // every batch of the store
  t["report"]["plots"] = o.plots ? "true" : "false";
  if (o.html) t["report"]["html"] = "true";
  return study_from_texts(t, "coact demo", command_line);
}

}  // namespace coact::pipeline
