#include "cli.h"

#include <boost/version.hpp>


#include <algorithm>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <sstream>
#include <thread>

#include "coact/backend/backend.h"
#include "coact/core/errors.h"
#include "coact/core/ini.h"
#include "coact/core/log.h"
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

namespace {

// A variables_map value as INI text; program_options keeps values as boost::any.
std::string value_text(const po::variable_value& value) {
  const auto& any = value.value();
  if (const auto* s = boost::any_cast<std::string>(&any)) return *s;
  if (const auto* b = boost::any_cast<bool>(&any)) return *b ? "true" : "false";
  if (const auto* i = boost::any_cast<int>(&any)) return std::to_string(*i);
  if (const auto* l = boost::any_cast<std::int64_t>(&any)) return std::to_string(*l);
  if (const auto* d = boost::any_cast<double>(&any)) {
    std::ostringstream out;
    out.precision(17);
    out << *d;
    return out.str();
  }
  if (const auto* v = boost::any_cast<std::vector<std::string>>(&any)) {
    std::string joined;
    for (const auto& item : *v) joined += (joined.empty() ? "" : " ") + item;
    return joined;
  }
  return "?";
}

}  // namespace

std::string CommandLine::resolved_config() const {
  std::string out;
  for (const auto& [name, value] : values_) {
    if (name == "help" || name == "config" || name == "log-level" || name == "log-all-ranks" || value.empty()) continue;
    out += name + " = " + value_text(value) + "\n";
  }
  return out;
}

std::string CommandLine::command_line(const Invocation& invocation) const {
  std::string out = "coact " + invocation.command;
  for (const auto& arg : invocation.args) out += " " + arg;
  return out;
}

std::string CommandLine::require(const std::string& name) const {
  if (!has(name)) throw UsageError(str("missing required option --", name, " (see coact ", command_, " --help)"));
  return get<std::string>(name);
}

bool CommandLine::parse(const Invocation& invocation) {
  po::options_description all;
  all.add(own_);
  for (const auto& group : groups_) all.add(group);
  all.add(common_);
  try {
    std::vector<std::string> args = invocation.args;
    po::store(po::command_line_parser(args).options(all).positional(positional_).run(), values_);
    if (values_.count("help")) {
      if (invocation.mpi.is_root()) std::cout << help_text() << std::flush;
      return false;
    }
    if (values_.count("config") && !config_is_study_) {
      const std::string path = values_["config"].as<std::string>();
      read_ini(path);  // refuses a folder, a binary file, a key set twice or a malformed line, with its line
      std::ifstream file(path);
      if (!file) throw ConfigError(str(path, ": cannot read configuration file"));
      try {
        po::store(po::parse_config_file(file, all, false), values_);
      } catch (const po::error& e) {
        throw ConfigError(str(path, ": ", e.what()));
      }
    }
    po::notify(values_);
  } catch (const po::error& e) {
    throw UsageError(str(e.what(), " (see coact ", command_, " --help)"));
  }

  const auto& mpi = invocation.mpi;
  log::configure({log::parse_level(get<std::string>("log-level")), mpi.rank(), mpi.size(), get<bool>("log-all-ranks")});

  if (has_device_) backend::parse_device_request(device());  // validate early, before any work
  if (has_threads_) {
    int threads = 0;
    if (has("threads")) {
      threads = get<int>("threads");
      if (threads < 1 || threads > 4096) throw UsageError(str("--threads = ", threads, ": expected >= 1 and <= 4096"));
      const int cores = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
      if (threads * std::max(1, mpi.local_size()) > cores && mpi.is_root())
        log::warn("--threads ", threads, " × ", mpi.local_size(), " rank(s) on this host exceed its ", cores,
                  " cores: the threads share them and run slower, not faster");
    } else if (std::getenv("OMP_NUM_THREADS") == nullptr) {
      // Ranks sharing a host share its cores.
      const int cores = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
      threads = std::max(1, cores / std::max(1, mpi.local_size()));
    }
    if (threads != 0) backend::set_cpu_threads(threads);
  }
  return true;
}

}  // namespace coact::app
