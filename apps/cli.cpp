#include "cli.h"


#include <algorithm>
#include <fstream>
#include <iostream>
#include <sstream>
#include <thread>

#include "coact/backend/backend.h"
#include "coact/core/errors.h"
#include "coact/core/log.h"
#include "coact/dist/mpi.h"

namespace coact::app {

namespace {

// An error raised on the root and shared with every rank.
class RootFailure : public Error {
 public:
  RootFailure(const std::string& message, int code) : Error(message), code_(code) {}
  int exit_code() const noexcept override { return code_; }
  bool collective() const noexcept override { return true; }

 private:
  int code_;
};

}  // namespace

void run_on_root(const Invocation& invocation, const std::function<void()>& work) {
  auto& world = invocation.mpi.world();
  std::string message;
  std::int32_t code = 0;
  if (world.is_root()) {
    try {
      work();
    } catch (const Error& e) {
      message = e.what();
      code = e.exit_code();
      if (world.size() == 1) throw;
    } catch (const std::exception& e) {
      message = e.what();
      code = 1;
      if (world.size() == 1) throw;
    }
  }
  if (world.size() == 1) return;
  code = world.broadcast_value(code, 0);
  std::uint64_t length = world.broadcast_value<std::uint64_t>(message.size(), 0);
  message.resize(length);
  world.broadcast(message.data(), length, 0);
  if (code != 0) throw RootFailure(message, code);
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

std::string CommandLine::help_text() const {
  std::ostringstream out;
  out << "Usage: coact " << command_ << " " << usage_ << "\n\n" << summary_ << "\n\n";
  if (!own_.options().empty()) out << own_ << "\n";
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
  all.add(own_).add(common_);
  try {
    std::vector<std::string> args = invocation.args;
    po::store(po::command_line_parser(args).options(all).positional(positional_).run(), values_);
    if (values_.count("help")) {
      if (invocation.mpi.is_root()) std::cout << help_text() << std::flush;
      return false;
    }
    if (values_.count("config")) {
      const std::string path = values_["config"].as<std::string>();
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
      if (threads < 1) throw UsageError(str("--threads must be at least 1 (got ", threads, ")"));
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
