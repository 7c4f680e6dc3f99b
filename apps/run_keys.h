// The keys of a `coact run` study file, in one table: each key's section, type, default and help.
// The same table registers the Boost options (so `--help` lists every key and the command line
// may override any of them as --section.key), renders the resolved configuration as INI text,
// and says which keys take part in an output's fingerprint (performance and logging knobs do
// not: changing them never invalidates finished work).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "cli.h"

namespace coact::app::run {

enum class KeyType { String, Int, Double, Bool };

struct KeySpec {
  std::string section;                 // "run", "data", "synth", "record", "train", "graph", "compare", "report"
  std::string name;                    // as in the matching command's flag, e.g. "batch-size"
  KeyType type = KeyType::String;
  std::optional<std::string> fallback; // default as INI text; absent: no default (e.g. "the recipe's")
  std::string help;
  bool fingerprint = true;             // false: performance/logging knobs that never change results

  std::string full_name() const { return section + "." + name; }  // "train.batch-size"
};

// Every key, in the order --help and the resolved text list them.
const std::vector<KeySpec>& study_keys();

// Adds one options group per section to `options` (names "section.key").
void add_study_options(po::options_description& options);

// Typed access to the parsed values by full name ("train.steps").
class Keys {
 public:
  explicit Keys(const po::variables_map& values) : values_(values) {}
  bool has(const std::string& name) const;
  std::int64_t get_int(const std::string& name) const;
  double get_double(const std::string& name) const;
  bool get_bool(const std::string& name) const;
  std::string get_string(const std::string& name) const;
  // The value as INI text ("" when absent).
  std::string text(const std::string& name) const;

  // "[section]\nkey = value\n..." for the keys of `section` that have a value, in table order;
  // `fingerprint_only` leaves out the knobs that never change results; `skip` names keys to leave out.
  std::string section_text(const std::string& section, bool fingerprint_only,
                           const std::vector<std::string>& skip = {}) const;

 private:
  const po::variables_map& values_;
};

// The shortest decimal text that reads back as the same double ("0.7", "3e-4").
std::string shortest(double value);

}  // namespace coact::app::run
