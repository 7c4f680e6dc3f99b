// manifest.json: what a `coact run` did in its output directory — each stage's outputs with
// their content hashes, its fingerprint (sha256 of the configuration text it was made with),
// whether it ran, resumed or was skipped and how long it took; the inputs with their hashes;
// the coact and library versions; the job (ranks, hosts, Slurm ids). Written by the root after
// every stage, atomically, so an interrupted job leaves an accurate record. docs/cluster.md
// documents the fields.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "coact/core/json_value.h"
#include "coact/pipeline/study.h"

namespace coact::dist {
class MpiRuntime;
}

namespace coact::pipeline {

// "sha256:<hex>" of a text.
std::string fingerprint(const std::string& text);

// The previous manifest.json, or nothing when absent or unreadable (a warning says why).
std::optional<JsonValue> read_previous_manifest(const std::string& path);

// What the previous manifest recorded for `path` as an output of a stage named `stage`
// (empty strings when it did not).
struct PreviousOutput {
  std::string fingerprint, sha256;
};
PreviousOutput previous_output(const JsonValue* previous, const std::string& stage, const std::string& path);

struct FileRecord {
  std::string role, path;
  std::int64_t bytes = -1;
  std::int64_t mtime_ns = 0;  // for the hash cache only: an unchanged file is not hashed again
  std::string sha256;         // "" when not hashed (larger than the limit)
};

struct StageRecord {
  std::string stage;          // data, train, graph, compare, report
  std::int64_t seed = -1;     // train and graph: one record per seed
  std::string action;         // ran, resumed, replaced, skipped, external, not requested; pending while planned
  std::string fingerprint;
  double seconds = 0;
  std::vector<FileRecord> inputs, outputs;
};

class Manifest {
 public:
  // `versions`: the program's components beyond the library's own (e.g. the command-line parser).
  Manifest(const Study& study, dist::MpiRuntime& mpi, std::optional<JsonValue> previous,
           std::vector<std::pair<std::string, std::string>> versions);

  const JsonValue* previous() const { return previous_ ? &*previous_ : nullptr; }
  // A file's record with its sha256 (reused from the previous manifest when the size and
  // modification time are unchanged; files above 4 GiB are not hashed). A store spec that
  // names several shard files gives one record per file.
  std::vector<FileRecord> files(const std::string& role, const std::string& path);
  // Adds or replaces the record of (stage, seed).
  void set(const StageRecord& record);
  // Writes manifest.json atomically. `status`: running, interrupted, failed or complete.
  void write(const std::string& status, const std::string& error = "");

 private:
  const Study& study_;
  std::string command_line_;
  struct Job {
    int ranks = 1, hosts = 1, threads = 1, cuda_devices = 0;
    std::string root_host;
    std::vector<std::pair<std::string, std::string>> environment;  // SLURM_* of this attempt
  } job_;
  std::int64_t attempt_ = 1;
  std::vector<std::pair<std::string, std::string>> versions_;
  std::optional<JsonValue> previous_;
  struct Cached {
    std::int64_t bytes = -1, mtime_ns = 0;
    std::string sha256;
  };
  std::map<std::string, Cached> cache_;
  std::vector<StageRecord> records_;
};

}  // namespace coact::pipeline
