#include "coact/pipeline/plan.h"

#include <filesystem>
#include <map>
#include <utility>

#include "coact/core/errors.h"
#include "coact/core/sha256.h"
#include "coact/core/strings.h"
#include "coact/io/activation_store.h"
#include "coact/io/h5.h"
#include "coact/io/provenance.h"
#include "coact/pipeline/manifest.h"
#include "coact/sae/checkpoint.h"

namespace coact::pipeline {

namespace fs = std::filesystem;

const char* to_string(Action action, bool planned) {
  switch (action) {
    case Action::Skip: return planned ? "skip (complete)" : "skipped";
    case Action::Run: return planned ? "run" : "ran";
    case Action::Resume: return planned ? "resume" : "resumed";
    case Action::Replace: return planned ? "replace" : "replaced";
    case Action::External: return "external";
    case Action::Later: return "not requested";
  }
  return "?";
}

std::string StagePlan::to_bytes() const {
  std::string bytes;
  bytes += static_cast<char>(data);
  for (auto a : train) bytes += static_cast<char>(a);
  for (auto a : graph) bytes += static_cast<char>(a);
  bytes += static_cast<char>(compare);
  bytes += static_cast<char>(report);
  return bytes;
}

StagePlan StagePlan::from_bytes(const std::string& bytes, std::size_t seeds) {
  if (bytes.size() != 3 + 2 * seeds) throw Error("coact run: the plan broadcast from the root has the wrong size");
  StagePlan p;
  std::size_t i = 0;
  auto next = [&] { return static_cast<Action>(bytes[i++]); };
  p.data = next();
  for (std::size_t s = 0; s < seeds; ++s) p.train.push_back(next());
  for (std::size_t s = 0; s < seeds; ++s) p.graph.push_back(next());
  p.compare = next();
  p.report = next();
  return p;
}

namespace {

// Ordered "section.key" -> value pairs of a fingerprint text; "# input X: Y" lines count as
// key "input X".
std::vector<std::pair<std::string, std::string>> parse_text(const std::string& text) {
  std::vector<std::pair<std::string, std::string>> out;
  std::string section;
  for (const auto& raw : split(text, '\n')) {
    const std::string line = trim(raw);
    if (line.empty()) continue;
    if (line.rfind("# input ", 0) == 0) {
      const auto colon = line.find(':');
      out.emplace_back(trim(line.substr(2, colon - 2)), colon == std::string::npos ? "" : trim(line.substr(colon + 1)));
    } else if (line[0] == '#') {
      continue;
    } else if (line.front() == '[' && line.back() == ']') {
      section = line.substr(1, line.size() - 2);
    } else {
      const auto eq = line.find('=');
      out.emplace_back(section + "." + trim(line.substr(0, eq)), eq == std::string::npos ? "" : trim(line.substr(eq + 1)));
    }
  }
  return out;
}

enum class State { Absent, Match, Incomplete, Different };
struct Found {
  State state = State::Absent;
  std::string detail;  // for Different: why
};

Found compare_config(const std::string& path, const io::File& file, const std::string& wanted) {
  const std::string stored = file.attributes().get_string_or("config", "");
  if (stored == wanted) return {State::Match, ""};
  if (stored.rfind(kFingerprintHeader, 0) != 0)
    return {State::Different, str(path, ": was not made by this study (it was made by `",
                                   file.attributes().get_string_or("command_line", "?"), "`)")};
  return {State::Different, str(path, ": was made with another configuration: ", first_difference(stored, wanted))};
}

Found inspect_h5(const std::string& path, const std::string& kind, const std::string& wanted) {
  std::error_code ec;
  if (!fs::exists(path, ec)) return {};
  try {
    // A directory of shards (a recorded store) is complete when every shard matches.
    const std::vector<std::string> files = fs::is_directory(path, ec) ? io::expand_store_spec(path) : std::vector{path};
    Found found{State::Match, ""};
    for (const auto& f : files) {
      const io::File file = io::File::open(f);
      if (io::file_kind(file) != kind) return {State::Different, str(f, ": is not a coact ", kind, " file")};
      found = compare_config(f, file, wanted);
      if (found.state != State::Match) return found;
      if (kind == "sae" && !sae::read_training_status(file).complete) found.state = State::Incomplete;
    }
    return found;
  } catch (const Error& e) {
    return {State::Different, str(path, ": cannot be read as a coact ", kind, " file (", e.what(), ")")};
  }
}

// report.md has no attributes: manifest.json says which configuration wrote it and its hash.
Found inspect_report(const Study& s, const JsonValue* previous) {
  const std::string path = s.report_path();
  std::error_code ec;
  if (!fs::exists(path, ec)) return {};
  const PreviousOutput recorded = previous_output(previous, "report", path);
  if (recorded.fingerprint.empty())
    return {State::Different, str(path, ": exists but ", s.manifest_path(), " does not record it")};
  if (recorded.sha256 != file_sha256(path)) return {State::Different, str(path, ": was changed after coact run wrote it")};
  if (recorded.fingerprint != fingerprint(s.report_text))
    return {State::Different, str(path, ": was written with another configuration (report section or its inputs)")};
  return {State::Match, ""};
}

class Planner {
 public:
  explicit Planner(const Study& s) : s_(s) {}

  // `upstream_changed`: an input of this output is being made again.
  Action decide(const Found& f, bool upstream_changed) const {
    if (f.state == State::Different) {
      if (!s_.force)
        throw OutputExistsError(str(f.detail, "; pass --force to replace it and what depends on it, or use another out"));
      return Action::Replace;
    }
    if (f.state == State::Absent) return Action::Run;
    if (upstream_changed || s_.rerun) return Action::Replace;
    return f.state == State::Incomplete ? Action::Resume : Action::Skip;
  }

 private:
  const Study& s_;
};

}  // namespace

std::string first_difference(const std::string& stored, const std::string& wanted) {
  const auto a = parse_text(stored), b = parse_text(wanted);
  std::map<std::string, std::string> in_file(a.begin(), a.end());
  std::map<std::string, std::string> here(b.begin(), b.end());
  for (const auto& [key, value] : b) {
    const auto it = in_file.find(key);
    if (it == in_file.end()) return str(key, " is ", value, " here and not set in the file");
    if (it->second != value) return str(key, " is ", value, " here, ", it->second, " in the file");
  }
  for (const auto& [key, value] : a)
    if (!here.count(key)) return str(key, " is ", value, " in the file and not set here");
  return stored == wanted ? "" : "the texts differ in layout";
}

StagePlan make_plan(const Study& s, const JsonValue* previous) {
  const Planner planner(s);
  StagePlan p;
  bool data_changed = false;
  if (s.job.source == Source::Store) {
    p.data = Action::External;
  } else {
    p.data = planner.decide(inspect_h5(s.store_path(), "activations", s.data_text), false);
    data_changed = does_work(p.data);
  }
  bool any_changed = data_changed;
  for (const auto seed : s.seeds()) {
    Action t = Action::Later, g = Action::Later;
    if (s.runs(Stage::Train)) t = planner.decide(inspect_h5(s.sae_path(seed), "sae", s.train_text), data_changed);
    if (s.runs(Stage::Graph))
      g = planner.decide(inspect_h5(s.graph_path(seed), "graph", s.graph_text), data_changed || does_work(t));
    any_changed = any_changed || does_work(t) || does_work(g);
    p.train.push_back(t);
    p.graph.push_back(g);
  }
  p.compare = Action::Later;
  p.report = Action::Later;
  if (s.runs(Stage::Compare)) p.compare = planner.decide(inspect_h5(s.compare_path(), "compare", s.compare_text), any_changed);
  if (s.runs(Stage::Report))
    p.report = planner.decide(inspect_report(s, previous), any_changed || does_work(p.compare));
  return p;
}

}  // namespace coact::pipeline
