// A `coact run` study resolved from its INI file: the options of every stage, checked before
// any work (ConfigError naming the key), and the fingerprint text of each stage — the INI
// sections that stage's outputs depend on, which every output carries as its provenance
// `config` attribute, so a re-run recognises finished work.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "cli.h"
#include "coact/compare/comparison.h"
#include "coact/compare/report.h"
#include "coact/data/synth.h"
#include "coact/graph/build.h"
#include "coact/sae/training.h"
#include "run_keys.h"
#include "run_record.h"

namespace coact::app::run {

enum class Source { Synthetic, Store, Record };
// Stages in pipeline order.
enum class Stage { Data = 0, Train = 1, Graph = 2, Compare = 3, Report = 4 };
const char* to_string(Stage stage);

struct Study {
  std::string config_path;
  std::string command_line;
  std::string out;              // output directory
  bool force = false;
  backend::DeviceRequest device = backend::DeviceRequest::Auto;
  Stage stop_after = Stage::Report;
  std::int64_t expected_ranks = 0;  // run.ranks (0: any)

  Source source = Source::Synthetic;
  std::string store;            // the activation store (read, or written by the data stage)
  data::SynthConfig synth;
  RecordRequest record;

  std::vector<std::uint64_t> seeds;
  int parallel_seeds = 0;       // seeds per train_saes call (0: all at once)
  sae::TrainingOptions train;   // everything but `seeds`, `resume` and `force`
  graph::GraphBuildOptions graph;        // template: sae and out are set per seed
  compare::ComparisonOptions compare;    // template: saes, graphs and out set by the run
  compare::ReportOptions report;

  // Fingerprint texts (INI): what each stage's outputs depend on.
  std::string data_text, train_text, graph_text, compare_text, report_text;
  // Every key's resolved value (INI), for the manifest.
  std::string resolved_text;

  std::string acts_path() const { return store; }
  std::string sae_path(std::uint64_t seed) const;
  std::string graph_path(std::uint64_t seed) const;
  std::string compare_path() const;
  std::string report_path() const;
  std::string manifest_path() const;
  bool runs(Stage stage) const { return static_cast<int>(stage) <= static_cast<int>(stop_after); }
};

// Reads the parsed keys into a Study and validates everything that needs no file: types,
// choices, ranges, seeds. Throws ConfigError naming the key. The same on every rank.
Study resolve_study(const CommandLine& cli, const Invocation& invocation);

// Checks what needs the file system or the job's layout, on the root (inputs exist, the store's
// width fits the SAE, the batch fits the store) and on every rank (ranks, GPUs), collectively:
// every rank throws the same ConfigError naming the key. Adds the identity of external inputs
// (an existing store, the model and token files: names and sizes) to the fingerprint texts.
void check_study(Study& study, const Invocation& invocation);

// The header line of every fingerprint text.
inline constexpr const char* kFingerprintHeader =
    "# coact run: the configuration this output was made with (the sections it depends on)\n";

}  // namespace coact::app::run
