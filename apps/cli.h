// Command-line handling shared by every subcommand: Boost.Program_options with the common
// flags, --help, and --config FILE (INI; every flag may be set there, the command line wins).
// apps/ is the only user of Boost.Program_options.
#pragma once

#include <boost/program_options.hpp>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "coact/core/options.h"
#include "coact/dist/mpi.h"
#include "coact/io/command_outputs.h"

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

// The files a --shards output writes: shard_00000.h5 ... one per rank.
std::vector<std::string> shard_files(int ranks);

// The program's components beyond the library's (the command-line parser), for manifests.
std::vector<std::pair<std::string, std::string>> program_versions();

class CommandLine {
 public:
  // `usage` is the synopsis after "coact <command> ", e.g. "--sae FILE --activations FILE".
  CommandLine(std::string command, std::string usage, std::string summary);

  const std::string& name() const { return command_; }  // "run"
  // The command's own options; add before parse().
  po::options_description& options() { return own_; }
  // Positional arguments collected into option `name` (e.g. input files).
  void positional(const std::string& name, int max_count = -1);
  // Every user field of an options table as a flag --<prefix><name>, taken as text and parsed
  // and range-checked by the table (so a flag and a study key accept exactly the same values).
  // `caption` starts a separate group in --help.
  template <class S>
  void add_table(const options::Table<S>& table, const std::string& prefix = "", const std::string& caption = "") {
    add_fields(options::listing(table), prefix, caption);
  }
  void add_fields(const std::vector<options::FieldListing>& fields, const std::string& prefix, const std::string& caption);
  // The values given (command line or --config) for `table`'s fields, typed and checked, keyed
  // by field name; errors name the flag.
  template <class S>
  std::map<std::string, options::Value> given(const options::Table<S>& table, const std::string& prefix = "") const {
    std::map<std::string, options::Value> out;
    for (const auto& f : table.fields())
      if (f.spec.user)
        if (auto text = given_text(f.spec, prefix)) out.emplace(f.spec.name, f.spec.parse(*text, "--" + prefix + f.spec.name));
    return out;
  }

  // Opt-in flag groups.
  void add_output_flags(const std::string& out_help);    // --out, --force
  void add_seed_flag(std::int64_t default_seed);          // --seed
  void add_compute_flags();                               // --device, --threads
  void add_threads_flag();                                // --threads only (CPU-only commands)
  // --config names a study file the command reads itself (coact run), not flag values.
  void config_is_study() { config_is_study_ = true; }

  // Parses, applies --config, configures logging and threads. Returns false when --help was
  // asked (the help was printed on the root); throws UsageError/ConfigError on bad input.
  bool parse(const Invocation& invocation);

  const po::variables_map& values() const { return values_; }
  bool has(const std::string& name) const { return values_.count(name) > 0 && !values_[name].empty(); }
  // Given on the command line or in --config, not only a default.
  bool given(const std::string& name) const { return has(name) && !values_[name].defaulted(); }
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

  // The output-safety layer (io/command_outputs.h) for this command: output paths checked, no
  // output that is an input (whatever --force says), one writer per output (a lock held until
  // the returned object goes), stale temporaries of earlier runs removed, existing outputs
  // refused without --force. Every rank calls it; keep the result until the outputs are written.
  std::unique_ptr<io::CommandOutputs> protect(const Invocation& invocation, std::vector<io::LabelledPath> inputs,
                                              std::vector<io::OutputSpec> outputs) const;

  std::string help_text() const;

  // Every option's resolved value as INI lines ("key = value"), defaults included and the
  // common logging flags left out: stored in outputs so a run can be repeated with --config.
  std::string resolved_config() const;
  // "coact <command> <args...>" as typed.
  std::string command_line(const Invocation& invocation) const;

 private:
  // The text given for a field: its value, a list's values joined by commas, "false" for
  // --no-<name>; nullopt when not given.
  std::optional<std::string> given_text(const options::Spec& spec, const std::string& prefix) const;

  std::string command_;
  std::string usage_;
  std::string summary_;
  po::options_description own_;
  std::vector<po::options_description> groups_;  // tables with their own caption
  po::options_description common_;
  po::positional_options_description positional_;
  po::variables_map values_;
  bool has_device_ = false;
  bool has_threads_ = false;
  bool config_is_study_ = false;
};

}  // namespace coact::app
