// A study: every stage's options, typed, from an INI file (`coact run --config study.ini`) or
// built in code (`coact demo`), checked before any work. Each section of the file is one or
// two options tables of the modules that own the stage:
//
//   (top)      out, device, threads
//   [run]      ranks, stop-after                       (pipeline)
//   [data]     source, store                           (pipeline)
//   [synth]    data::synth_table                       coact synth's flags
//   [record]   model::model_input_table, record_store_table   coact record's flags
//   [train]    sae::training_table, parallel-seeds     coact train's flags
//   [graph]    graph::graph_build_table                coact graph's flags
//   [compare]  compare::comparison_table, correlation_table   coact compare's flags
//   [report]   compare::report_table                   coact report's flags
//
// Every output carries the fingerprint text of its stage — the sections its outputs depend on,
// with every value in effect — as its provenance `config` attribute, so a re-run recognises
// finished work and names the first key that differs.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "coact/backend/backend.h"
#include "coact/compare/activation_correlation.h"
#include "coact/compare/comparison.h"
#include "coact/compare/report.h"
#include "coact/core/options.h"
#include "coact/data/synth.h"
#include "coact/graph/build.h"
#include "coact/io/output_paths.h"
#include "coact/model/inputs.h"
#include "coact/model/record_store.h"
#include "coact/sae/training.h"

namespace coact::pipeline {

enum class Source { Synthetic, Store, Record };
const char* to_string(Source source);
// Stages in pipeline order.
enum class Stage { Data = 0, Train = 1, Graph = 2, Compare = 3, Report = 4 };
const char* to_string(Stage stage);

// The top of a study file and [run], [data]: the pipeline's own keys.
struct JobOptions {
  std::string out;                                      // output directory
  backend::DeviceRequest device = backend::DeviceRequest::Auto;
  std::optional<std::int64_t> threads;                  // CPU threads per rank
  std::int64_t ranks = 0;                               // run.ranks: the job must have this many (0: any)
  Stage stop_after = Stage::Report;
  Source source = Source::Synthetic;
  std::string store;                                    // data.store ("" = OUT/acts.h5)
  std::int64_t parallel_seeds = 0;                      // train.parallel-seeds (0: min(seeds, ranks))
  bool evaluate = false;                                // report.evaluate: CE-loss recovered on the recorded model
};

struct Study {
  std::string config_path;   // the study file ("" for a study built in code)
  std::string command_line;
  JobOptions job;
  bool force = false;        // replace outputs made with another configuration
  bool rerun = false;        // replace every existing output (coact demo --force)

  data::SynthConfig synth;
  model::ModelInputOptions record_inputs;
  model::RecordStoreOptions record;
  sae::TrainingOptions train;            // everything but paths, resume and force
  graph::GraphBuildOptions graph;        // template: sae and out are set per seed
  compare::ComparisonOptions compare;    // template: saes, graphs and out set by the run
  compare::ActivationCorrelationOptions correlation;  // compare.match = activations
  compare::ReportOptions report;

  // Fingerprint texts (INI): what each stage's outputs depend on.
  std::string data_text, train_text, graph_text, compare_text, report_text;
  // Every key's value in effect (INI), for the manifest.
  std::string resolved_text;

  const std::string& out() const { return job.out; }
  const std::vector<std::uint64_t>& seeds() const { return train.seeds; }
  std::string store_path() const;
  std::string sae_path(std::uint64_t seed) const;
  std::string graph_path(std::uint64_t seed) const;
  std::string compare_path() const;
  std::string report_path() const;
  std::string manifest_path() const;
  bool runs(Stage stage) const { return static_cast<int>(stage) <= static_cast<int>(job.stop_after); }
};

// One section of a study file as its tables list it (for `coact run --help` and for the
// command line's --section.key overrides).
struct SectionListing {
  std::string name;     // "" for the top of the file
  std::string caption;  // "[train] SAEs (as coact train)"
  std::vector<options::FieldListing> fields;
};
const std::vector<SectionListing>& study_sections();

// Text values by section and key, as a file or a command line gives them.
using StudyTexts = std::map<std::string, std::map<std::string, std::string>>;

// Reads the study file, applies `overrides` (the command line wins) and resolves every stage's
// options: types, choices, ranges, seeds, combinations. Throws ConfigError naming the key (and
// the file and line when it comes from the file). Needs no other file; the same on every rank.
Study load_study(const std::string& path, const StudyTexts& overrides, const std::string& command_line);

// The same from texts alone (no file): a study built from a command line or in tests.
Study study_from_texts(const StudyTexts& texts, const std::string& origin, const std::string& command_line);

// What `coact demo` runs: the embedded synthetic data set, two seeds of a TopK SAE that
// recovers its planted features in seconds, graphs over every batch, the comparison and
// report. jobs/configs/demo.ini is this study as a file (a test keeps them equal).
struct DemoOptions {
  std::string out = "coact-demo";
  std::vector<std::uint64_t> seeds{52, 55};
  sae::Recipe recipe = sae::Recipe::TopK;
  std::int64_t steps = 1500;
  std::int64_t rows = data::SynthConfig{}.rows;
  bool plots = true;
  bool html = false;  // the interactive HTML report beside report.md
  backend::DeviceRequest device = backend::DeviceRequest::Auto;
};
Study demo_study(const DemoOptions& options, const std::string& command_line);

// What a study reads from outside (an existing store, the model, token and tokenizer files, a
// truth store), labelled by their keys, and what it writes: the files under `out` (`existing`
// says whether an existing one is refused without --force or left to the plan), plus a produced
// store outside `out`. For io::CommandOutputs: the whole run is one writer.
std::vector<io::LabelledPath> study_inputs(const Study& study);
std::vector<io::OutputSpec> study_outputs(const Study& study, io::ExistingOutput existing);

// The study as INI text with every key in effect (a study file that reproduces it).
std::string study_text(const Study& study);

// The header line of every fingerprint text.
inline constexpr const char* kFingerprintHeader =
    "# coact run: the configuration this output was made with (the sections it depends on)\n";

}  // namespace coact::pipeline
