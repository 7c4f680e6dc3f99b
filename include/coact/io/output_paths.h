// Checks a command makes on its output paths before any work, so that a typo or a clash fails
// at once with one line naming the flag, instead of after an hour of training or by replacing
// an input:
//   - check_output_path / check_output_directory: the name is usable and its folder exists
//     and is writable. Missing parent folders are never created: a missing folder is usually a
//     typo, and creating it would hide the output somewhere unexpected.
//   - require_outputs_not_inputs: no output is one of the inputs, whatever --force says
//     (--force replaces an earlier output, never the data a command reads).
// io::CommandOutputs (command_outputs.h) runs these together with the output locks; commands
// normally use that.
#pragma once

#include <span>
#include <string>
#include <vector>

namespace coact::io {

// A path with the flag that gave it, for messages: {"--activations", "acts.h5"}. Positional
// arguments use their role as the flag ("FILE").
struct LabelledPath {
  std::string flag;
  std::string path;
};

// What a command does with an output that already exists when it starts.
enum class ExistingOutput {
  RefuseWithoutForce,  // the default: replaced only with --force (OutputExistsError otherwise)
  CommandDecides,      // the command resumes or updates it itself: `train --resume` continues its
                       // checkpoints, `communities` / `centrality` rewrite the graph in place
};

// One output of a command: a file, or a folder with the names of the files the command writes
// in it (train --out DIR writes DIR/sae_<seed>.h5; export --format saelens writes
// DIR/sae_weights.safetensors and DIR/cfg.json). Only the named files are checked, locked and
// refused without --force; other files in the folder are left alone.
struct OutputSpec {
  std::string flag;
  std::string path;
  bool directory = false;
  std::vector<std::string> files;  // directory outputs: plain file names inside `path`
  ExistingOutput existing = ExistingOutput::RefuseWithoutForce;

  static OutputSpec file(std::string flag, std::string path,
                         ExistingOutput existing = ExistingOutput::RefuseWithoutForce);
  static OutputSpec folder(std::string flag, std::string path, std::vector<std::string> files,
                           ExistingOutput existing = ExistingOutput::RefuseWithoutForce);

  // The files the output writes: {path}, or path/<name> for each name.
  std::vector<std::string> written_files() const;
};

// A file output, before any work: refuses (UsageError "<flag> <path>: ...") an empty name, a
// name ending in '/', an existing folder or non-regular file (a device, a pipe) at the path, a
// parent folder that does not exist or is not a folder, and a parent this process may not
// write into. Does not look at whether the file exists (that is --force's business).
void check_output_path(const std::string& flag, const std::string& path);

// A folder output: `path` is an existing folder this process may write into, or does not exist
// and its parent passes the checks of check_output_path (the folder itself may be created by
// the command; its parents never are). UsageError otherwise.
void check_output_directory(const std::string& flag, const std::string& path);

// Refuses (UsageError naming both flags and the path) any output file that is the same file as
// an input: the same device and inode when both exist (hard links, symbolic links, "a/../a.h5",
// relative and absolute spellings all resolve to it), the same resolved path when the output
// does not exist yet. Also refuses an output file directly inside an input that is a folder (an
// activation store given as a folder of shards would take the new file as one of its shards),
// and two outputs that are the same file. Inputs that do not exist are compared by path only
// (their reader reports them).
void require_outputs_not_inputs(std::span<const LabelledPath> inputs, std::span<const OutputSpec> outputs);

// Refuses (UsageError naming `flag`) an output of about `bytes` that would not fit the space
// free where `path` goes: "--rows 10^12 × d 64 × 4 bytes needs 256 TB; 50 GB are free in DIR".
// `what` says how the size comes about ("--rows 1,000,000 × d 64 × 4 bytes").
void require_free_space(const std::string& flag, const std::string& path, double bytes, const std::string& what);

// The files behind an activation-store spec for require_outputs_not_inputs: a glob expands to
// its matches, a folder stays a folder (so an output inside it is refused); anything else is
// returned as given. Never throws for a spec that matches nothing (the store's reader does).
std::vector<LabelledPath> store_inputs(const std::string& flag, const std::string& spec);

}  // namespace coact::io
