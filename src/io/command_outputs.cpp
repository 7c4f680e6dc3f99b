#include "coact/io/command_outputs.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstring>
#include <filesystem>

#include "coact/core/errors.h"
#include "coact/dist/mpi.h"

namespace coact::io {
namespace {

namespace fs = std::filesystem;

// The kinds of error the root's checks raise, to raise the same on every rank.
enum class Verdict : std::uint8_t { Ok, Usage, Exists, Busy, Io };

[[noreturn]] void raise(Verdict verdict, const std::string& message) {
  switch (verdict) {
    case Verdict::Usage: throw UsageError(message);
    case Verdict::Exists: throw OutputExistsError(message);
    case Verdict::Busy: throw OutputBusyError(message);
    default: throw IoError(message);
  }
}

// The root's verdict and message on every rank.
void share(dist::MpiComm& comm, Verdict& verdict, std::string& message) {
  auto code = static_cast<std::uint8_t>(verdict);
  code = comm.broadcast_value(code, 0);
  verdict = static_cast<Verdict>(code);
  if (verdict == Verdict::Ok) return;
  auto length = static_cast<std::uint64_t>(message.size());
  length = comm.broadcast_value(length, 0);
  message.resize(static_cast<std::size_t>(length));
  if (length > 0) comm.broadcast(message.data(), message.size(), 0);
}

}  // namespace

CommandOutputs::CommandOutputs(const std::string& command, std::vector<LabelledPath> inputs,
                               std::vector<OutputSpec> outputs, bool force, dist::MpiComm* comm)
    : outputs_(std::move(outputs)) {
  const bool root = comm == nullptr || comm->is_root();
  Verdict verdict = Verdict::Ok;
  std::string message;
  if (root) {
    try {
      prepare(command, inputs, force);
    } catch (const UsageError& e) {
      verdict = Verdict::Usage;
      message = e.what();
    } catch (const OutputExistsError& e) {
      verdict = Verdict::Exists;
      message = e.what();
    } catch (const OutputBusyError& e) {
      verdict = Verdict::Busy;
      message = e.what();
    } catch (const Error& e) {
      verdict = Verdict::Io;
      message = e.what();
    }
    if (verdict != Verdict::Ok) release();
  }
  if (comm && comm->size() > 1) share(*comm, verdict, message);
  if (verdict != Verdict::Ok) raise(verdict, message);
}

CommandOutputs::~CommandOutputs() { release(); }

void CommandOutputs::prepare(const std::string& command, const std::vector<LabelledPath>& inputs, bool force) {
  for (const auto& output : outputs_) {
    if (output.directory) {
      check_output_directory(output.flag, output.path);
      for (const auto& name : output.files)
        if (name.empty() || name.find('/') != std::string::npos || name == "." || name == "..")
          throw Error(str(output.flag, ": '", name, "' is not a plain file name inside the output folder"));
    } else {
      check_output_path(output.flag, output.path);
    }
  }
  require_outputs_not_inputs(inputs, outputs_);
  for (const auto& output : outputs_) {
    if (!output.directory) continue;
    struct stat st {};
    if (::stat(output.path.c_str(), &st) == 0) continue;
    if (::mkdir(output.path.c_str(), 0777) != 0 && errno != EEXIST)
      throw IoError(str(output.flag, " ", output.path, ": cannot create the folder: ", std::strerror(errno)));
    created_folders_.push_back(output.path);
  }
  for (const auto& output : outputs_)
    for (const auto& file : output.written_files()) {
      locks_.emplace_back(file, command);
      remove_stale_partials(file);
    }
  if (force) return;
  for (const auto& output : outputs_) {
    if (output.existing == ExistingOutput::CommandDecides) continue;
    for (const auto& file : output.written_files()) {
      std::error_code ec;
      if (fs::exists(file, ec))
        throw OutputExistsError(str(output.flag, " ", file, ": output exists; pass --force to overwrite it"));
    }
  }
}

void CommandOutputs::release() noexcept {
  locks_.clear();
  for (const auto& folder : created_folders_) ::rmdir(folder.c_str());  // fails, as meant, unless empty
  created_folders_.clear();
}

}  // namespace coact::io
