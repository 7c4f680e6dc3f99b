#include "coact/io/directory_output.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>

#include "coact/core/errors.h"
#include "coact/io/output_paths.h"

namespace coact::io {
namespace {

namespace fs = std::filesystem;

bool is_file(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode);
}

}  // namespace

DirectoryOutput::DirectoryOutput(std::string flag, std::string directory, std::vector<std::string> files, bool force)
    : flag_(std::move(flag)), directory_(std::move(directory)), files_(std::move(files)) {
  check_output_directory(flag_, directory_);
  for (const auto& name : files_)
    if (name.empty() || name.find('/') != std::string::npos || name == "." || name == "..")
      throw Error(str(flag_, ": '", name, "' is not a plain file name inside the output folder"));
  if (!force)
    for (const auto& name : files_)
      if (fs::exists(final_path(name)))
        throw OutputExistsError(str(flag_, " ", directory_, ": ", name, " exists; pass --force to overwrite the files in this folder"));
  struct stat st {};
  if (::stat(directory_.c_str(), &st) != 0) {
    if (::mkdir(directory_.c_str(), 0777) != 0 && errno != EEXIST)
      throw IoError(str(flag_, " ", directory_, ": cannot create the folder: ", std::strerror(errno)));
    created_directory_ = true;
  }
  try {
    for (const auto& name : files_) outputs_.push_back(std::make_unique<AtomicOutput>(final_path(name), force));
  } catch (...) {
    outputs_.clear();
    if (created_directory_) ::rmdir(directory_.c_str());
    throw;
  }
}

DirectoryOutput::~DirectoryOutput() {
  std::error_code ec;
  if (!staging_.empty()) fs::remove_all(staging_, ec);
  outputs_.clear();  // each removes its temporary unless committed
  if (created_directory_ && !committed_) ::rmdir(directory_.c_str());  // only succeeds when empty
}

const std::string& DirectoryOutput::temporary_path(const std::string& file) const {
  for (std::size_t i = 0; i < files_.size(); ++i)
    if (files_[i] == file) return outputs_[i]->temporary_path();
  throw Error(str(directory_, ": '", file, "' is not one of the files declared for this output"));
}

std::string DirectoryOutput::final_path(const std::string& file) const { return (fs::path(directory_) / file).string(); }

const std::string& DirectoryOutput::staging_directory() {
  if (!staging_.empty()) return staging_;
  if (files_.empty()) throw Error(str(directory_, ": an output folder with no declared files has nothing to stage"));
  // Named after the first file's temporaries, so the stale-partial sweep of that file (under
  // its lock) also removes a staging folder an interrupted run left.
  const std::string& first = outputs_.front()->temporary_path();
  const std::string token = first.substr(first.rfind(".partial-") + 9);
  staging_ = (fs::path(directory_) / ("." + files_.front() + ".partial-" + token + ".d")).string();
  if (::mkdir(staging_.c_str(), 0777) != 0) {
    const std::string reason = std::strerror(errno);
    staging_.clear();
    throw IoError(str(flag_, " ", directory_, ": cannot create a staging folder: ", reason));
  }
  return staging_;
}

std::vector<std::string> DirectoryOutput::gather(bool require_all) {
  std::vector<std::string> written;
  for (std::size_t i = 0; i < files_.size(); ++i) {
    const std::string& temporary = outputs_[i]->temporary_path();
    if (!is_file(temporary) && !staging_.empty()) {
      const std::string staged = (fs::path(staging_) / files_[i]).string();
      if (is_file(staged) && std::rename(staged.c_str(), temporary.c_str()) != 0)
        throw IoError(str(final_path(files_[i]), ": cannot move the staged file into place: ", std::strerror(errno)));
    }
    if (is_file(temporary))
      written.push_back(files_[i]);
    else if (require_all)
      throw IoError(str(final_path(files_[i]), ": was not written, so the folder ", directory_, " is left as it was"));
  }
  return written;
}

void DirectoryOutput::commit() {
  gather(true);
  for (auto& output : outputs_) output->commit();
  committed_ = true;
}

std::vector<std::string> DirectoryOutput::commit_written() {
  const std::vector<std::string> written = gather(false);
  for (std::size_t i = 0; i < files_.size(); ++i)
    if (is_file(outputs_[i]->temporary_path())) outputs_[i]->commit();
  committed_ = true;
  return written;
}

}  // namespace coact::io
