// Command-line handling shared by every subcommand: Boost.Program_options with the common
// flags, --help, and --config FILE (INI; every flag may be set there, the command line wins).
// apps/ is the only user of Boost.Program_options.
#pragma once

#include <boost/program_options.hpp>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "coact/dist/mpi.h"

namespace coact::app {

namespace po = boost::program_options;

// What a subcommand gets: the MPI runtime and its own arguments (after the command name).
struct Invocation {
  dist::MpiRuntime& mpi;
  std::string command;
  std::vector<std::string> args;
};

// Runs `work` on the root only (serial steps such as the comparison and the report) and makes
// its outcome collective: if it throws, every rank raises the same error, so the job ends with
// one message and the right exit code instead of an abort.
void run_on_root(const Invocation& invocation, const std::function<void()>& work);

class CommandLine {
 public:
  // `usage` is the synopsis after "coact <command> ", e.g. "--sae FILE --activations FILE".
  CommandLine(std::string command, std::string usage, std::string summary);

  // The command's own options; add before parse().
  po::options_description& options() { return own_; }
  // Positional arguments collected into option `name` (e.g. input files).
  void positional(const std::string& name, int max_count = -1);
  // Opt-in flag groups.
  void add_output_flags(const std::string& out_help);    // --out, --force
  void add_seed_flag(std::int64_t default_seed);          // --seed
  void add_compute_flags();                               // --device, --threads
  void add_threads_flag();                                // --threads only (CPU-only commands)

  // Parses, applies --config, configures logging and threads. Returns false when --help was
  // asked (the help was printed on the root); throws UsageError/ConfigError on bad input.
  bool parse(const Invocation& invocation);

  const po::variables_map& values() const { return values_; }
  bool has(const std::string& name) const { return values_.count(name) > 0 && !values_[name].empty(); }
  template <class T>
  T get(const std::string& name) const {
    return values_[name].as<T>();
  }
  // Required string option, with a clear error when absent.
  std::string require(const std::string& name) const;

  // Common flags after parse().
  std::string out() const { return has("out") ? get<std::string>("out") : std::string(); }
  bool force() const { return has("force") && get<bool>("force"); }
  std::int64_t seed() const { return get<std::int64_t>("seed"); }
  std::string device() const { return has("device") ? get<std::string>("device") : std::string("auto"); }

  std::string help_text() const;

  // Every option's resolved value as INI lines ("key = value"), defaults included and the
  // common logging flags left out: stored in outputs so a run can be repeated with --config.
  std::string resolved_config() const;
  // "coact <command> <args...>" as typed.
  std::string command_line(const Invocation& invocation) const;

 private:
  std::string command_;
  std::string usage_;
  std::string summary_;
  po::options_description own_;
  po::options_description common_;
  po::positional_options_description positional_;
  po::variables_map values_;
  bool has_device_ = false;
  bool has_threads_ = false;
};

}  // namespace coact::app
