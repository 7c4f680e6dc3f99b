// CommandLine's parsing: the command line and --config file into the variables map, the
// logging, device and thread settings every command shares, and the resolved configuration
// written into outputs' provenance.
#include "cli.h"

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <sstream>
#include <thread>

#include "coact/backend/backend.h"
#include "coact/core/errors.h"
#include "coact/core/ini.h"
#include "coact/core/log.h"

namespace coact::app {

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
