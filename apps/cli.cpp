// CommandLine: the flags a command declares (its own, its options tables', the shared output,
// compute and thread flags), its help text and the output guard; cli_parse.cpp parses them.
#include "cli.h"

#include <boost/version.hpp>

#include <algorithm>
#include <cstdio>
#include <iostream>
#include <sstream>

#include "coact/backend/backend.h"
#include "coact/core/errors.h"
#include "coact/dist/mpi.h"
#include "coact/dist/root.h"

namespace coact::app {

void run_on_root(const Invocation& invocation, const std::function<void()>& work) {
  dist::run_on_root(invocation.mpi.world(), work);
}

std::vector<std::string> shard_files(int ranks) {
  std::vector<std::string> names;
  for (int r = 0; r < ranks; ++r) {
    char name[32];
    std::snprintf(name, sizeof name, "shard_%05d.h5", r);
    names.emplace_back(name);
  }
  return names;
}

std::vector<std::pair<std::string, std::string>> program_versions() {
  return {{"boost", str(BOOST_VERSION / 100000, ".", BOOST_VERSION / 100 % 1000, ".", BOOST_VERSION % 100)}};
}

CommandLine::CommandLine(std::string command, std::string usage, std::string summary)
    : command_(std::move(command)), usage_(std::move(usage)), summary_(std::move(summary)),
      own_("Options"), common_("Common options") {
  common_.add_options()
      ("help,h", "show this help and exit")
      ("config", po::value<std::string>()->value_name("FILE"),
       "read options from an INI file (key = value, keys as the long flags); the command line wins")
      ("log-level", po::value<std::string>()->default_value("info")->value_name("LEVEL"),
       "debug, info, warn, error or quiet")
      ("log-all-ranks", po::bool_switch(), "log from every rank (prefixed), not only rank 0");
}

void CommandLine::positional(const std::string& name, int max_count) { positional_.add(name.c_str(), max_count); }

void CommandLine::add_output_flags(const std::string& out_help) {
  own_.add_options()
      ("out,o", po::value<std::string>()->value_name("PATH"), out_help.c_str())
      ("force", po::bool_switch(), "overwrite existing outputs");
}

void CommandLine::add_seed_flag(std::int64_t default_seed) {
  own_.add_options()("seed", po::value<std::int64_t>()->default_value(default_seed)->value_name("N"),
                     "random seed");
}

void CommandLine::add_compute_flags() {
  has_device_ = true;
  common_.add_options()("device", po::value<std::string>()->default_value("auto")->value_name("KIND"),
                        "compute backend: cpu, cuda or auto (cuda when a GPU is visible)");
  add_threads_flag();
}

void CommandLine::add_threads_flag() {
  has_threads_ = true;
  common_.add_options()("threads", po::value<int>()->value_name("N"),
                        "CPU threads per rank (default: OMP_NUM_THREADS, else cores / ranks on the host)");
}

void CommandLine::add_fields(const std::vector<options::FieldListing>& fields, const std::string& prefix,
                             const std::string& caption) {
  if (!caption.empty()) groups_.emplace_back(caption);
  po::options_description& target = caption.empty() ? own_ : groups_.back();
  for (const auto& [field, default_text] : fields) {
    const options::Spec* spec = &field;
    std::string help = spec->help;
    if (!spec->derived.empty()) help += " (default: " + spec->derived + ")";
    else if (!default_text.empty()) help += " (default: " + default_text + ")";
    const std::string range = spec->range_text();
    if (!range.empty() && spec->choices.empty()) help += "; " + range;
    const std::string name = prefix + spec->name;
    if (spec->list && prefix.empty()) {
      target.add_options()(name.c_str(), po::value<std::vector<std::string>>()->multitoken()->value_name(spec->shown_value() + "..."),
                           help.c_str());
      continue;
    }
    auto* semantic = po::value<std::string>()->value_name(spec->shown_value());
    // On a command's own line a flag alone means true (--strict) and a flag that defaults to
    // true has a --no-<name> switch; study keys (--train.x) always take a value, as in the file.
    if (spec->kind == options::Kind::Flag && prefix.empty()) {
      semantic->implicit_value("true");
      if (default_text == "true") {
        const std::string negation = "no-" + spec->name;
        target.add_options()(negation.c_str(), po::bool_switch(), str("the same as --", name, "=false").c_str());
      }
    }
    target.add_options()(name.c_str(), semantic, help.c_str());
  }
}

std::optional<std::string> CommandLine::given_text(const options::Spec& spec, const std::string& prefix) const {
  const std::string name = prefix + spec.name;
  const std::string negation = "no-" + spec.name;
  const bool negated = prefix.empty() && spec.kind == options::Kind::Flag && values_.count(negation) &&
                       !values_[negation].defaulted() && values_[negation].as<bool>();
  if (!has(name)) return negated ? std::optional<std::string>("false") : std::nullopt;
  if (negated) throw UsageError(str("--", name, " and --", negation, ": give one of them"));
  if (spec.list && prefix.empty()) return options::list_text(get<std::vector<std::string>>(name));
  return get<std::string>(name);
}

std::unique_ptr<io::CommandOutputs> CommandLine::protect(const Invocation& invocation, std::vector<io::LabelledPath> inputs,
                                                         std::vector<io::OutputSpec> outputs) const {
  return std::make_unique<io::CommandOutputs>("coact " + command_, std::move(inputs), std::move(outputs), force(),
                                              &invocation.mpi.world());
}

std::string CommandLine::help_text() const {
  std::ostringstream out;
  out << "Usage: coact " << command_ << " " << usage_ << "\n\n" << summary_ << "\n\n";
  if (!own_.options().empty()) out << own_ << "\n";
  for (const auto& group : groups_) out << group << "\n";
  out << common_;
  return out.str();
}

}  // namespace coact::app
