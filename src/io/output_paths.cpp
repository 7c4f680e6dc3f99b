#include "coact/io/output_paths.h"

#include <glob.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <optional>

#include "coact/core/errors.h"

namespace coact::io {
namespace {

namespace fs = std::filesystem;

// What identifies a file: device and inode when it exists, and its resolved absolute path
// (symbolic links and ".." resolved as far as the path exists).
struct Identity {
  std::optional<std::pair<dev_t, ino_t>> inode;
  std::string resolved;
  bool is_directory = false;
};

Identity identify(const std::string& path) {
  Identity id;
  struct stat st {};
  if (::stat(path.c_str(), &st) == 0) {
    id.inode = std::make_pair(st.st_dev, st.st_ino);
    id.is_directory = S_ISDIR(st.st_mode);
  }
  std::error_code ec;
  fs::path resolved = fs::weakly_canonical(fs::absolute(path, ec), ec);
  if (ec) resolved = fs::absolute(path, ec).lexically_normal();
  id.resolved = resolved.string();
  return id;
}

bool same_file(const Identity& a, const Identity& b) {
  if (a.inode && b.inode) return *a.inode == *b.inode;
  return a.resolved == b.resolved;
}

// The folder an output file goes into ("." for a bare name).
std::string parent_of(const std::string& path) {
  const fs::path parent = fs::path(path).parent_path();
  return parent.empty() ? std::string(".") : parent.string();
}

void check_parent(const std::string& flag, const std::string& path, const std::string& parent) {
  struct stat st {};
  if (::stat(parent.c_str(), &st) != 0) {
    if (errno == ENOENT)
      throw UsageError(str(flag, " ", path, ": folder ", parent, " does not exist (create it first; coact does not create missing folders)"));
    throw UsageError(str(flag, " ", path, ": cannot reach folder ", parent, ": ", std::strerror(errno)));
  }
  if (!S_ISDIR(st.st_mode)) throw UsageError(str(flag, " ", path, ": ", parent, " is not a folder"));
  if (::access(parent.c_str(), W_OK | X_OK) != 0)
    throw UsageError(str(flag, " ", path, ": cannot write into folder ", parent, ": ", std::strerror(errno)));
}

}  // namespace

OutputSpec OutputSpec::file(std::string flag, std::string path, ExistingOutput existing) {
  OutputSpec spec;
  spec.flag = std::move(flag);
  spec.path = std::move(path);
  spec.existing = existing;
  return spec;
}

OutputSpec OutputSpec::folder(std::string flag, std::string path, std::vector<std::string> files,
                              ExistingOutput existing) {
  OutputSpec spec = file(std::move(flag), std::move(path), existing);
  spec.directory = true;
  spec.files = std::move(files);
  return spec;
}

std::vector<std::string> OutputSpec::written_files() const {
  if (!directory) return {path};
  std::vector<std::string> out;
  for (const auto& name : files) out.push_back((fs::path(path) / name).string());
  return out;
}

void check_output_path(const std::string& flag, const std::string& path) {
  if (path.empty()) throw UsageError(str(flag, ": empty file name"));
  if (path.back() == '/') throw UsageError(str(flag, " ", path, ": names a folder, expected a file name"));
  struct stat st {};
  if (::stat(path.c_str(), &st) == 0) {
    if (S_ISDIR(st.st_mode)) throw UsageError(str(flag, " ", path, ": is a folder, expected a file name"));
    if (!S_ISREG(st.st_mode))
      throw UsageError(str(flag, " ", path, ": is not a regular file (a device or pipe cannot be an output)"));
  }
  check_parent(flag, path, parent_of(path));
}

void check_output_directory(const std::string& flag, const std::string& path) {
  if (path.empty()) throw UsageError(str(flag, ": empty folder name"));
  struct stat st {};
  if (::stat(path.c_str(), &st) == 0) {
    if (!S_ISDIR(st.st_mode)) throw UsageError(str(flag, " ", path, ": exists and is not a folder"));
    if (::access(path.c_str(), W_OK | X_OK) != 0)
      throw UsageError(str(flag, " ", path, ": cannot write into this folder: ", std::strerror(errno)));
    return;
  }
  std::string trimmed = path;
  while (trimmed.size() > 1 && trimmed.back() == '/') trimmed.pop_back();
  check_parent(flag, path, parent_of(trimmed));
}

void require_outputs_not_inputs(std::span<const LabelledPath> inputs, std::span<const OutputSpec> outputs) {
  std::vector<Identity> input_ids;
  for (const auto& input : inputs) input_ids.push_back(identify(input.path));
  std::vector<std::pair<const OutputSpec*, std::string>> written;
  std::vector<Identity> written_ids;
  for (const auto& output : outputs)
    for (const auto& file : output.written_files()) {
      written.emplace_back(&output, file);
      written_ids.push_back(identify(file));
    }
  for (std::size_t w = 0; w < written.size(); ++w) {
    const auto& [output, file] = written[w];
    const Identity& out = written_ids[w];
    const std::string out_parent = identify(parent_of(file)).resolved;
    for (std::size_t i = 0; i < inputs.size(); ++i) {
      const Identity& in = input_ids[i];
      if (same_file(out, in))
        throw UsageError(str(output->flag, " ", file, " is the same file as ", inputs[i].flag, " ", inputs[i].path,
                             ": an output never replaces an input, even with --force"));
      if (in.is_directory && out_parent == in.resolved)
        throw UsageError(str(output->flag, " ", file, " is inside ", inputs[i].flag, " ", inputs[i].path,
                             ", a folder the command reads: write the output elsewhere"));
    }
    for (std::size_t v = 0; v < w; ++v)
      if (same_file(out, written_ids[v]))
        throw UsageError(str(output->flag, " ", file, " and ", written[v].first->flag, " ", written[v].second,
                             " are the same file: give each output its own name"));
  }
}

std::vector<LabelledPath> store_inputs(const std::string& flag, const std::string& spec) {
  if (spec.find_first_of("*?[") == std::string::npos) return {{flag, spec}};
  std::vector<LabelledPath> out;
  glob_t matches{};
  if (::glob(spec.c_str(), 0, nullptr, &matches) == 0)
    for (std::size_t i = 0; i < matches.gl_pathc; ++i) out.push_back({flag, matches.gl_pathv[i]});
  ::globfree(&matches);
  if (out.empty()) out.push_back({flag, spec});
  return out;
}

void require_free_space(const std::string& flag, const std::string& path, double bytes, const std::string& what) {
  namespace fs = std::filesystem;
  std::error_code ec;
  fs::path where = fs::absolute(path, ec).parent_path();
  while (!where.empty() && !fs::exists(where, ec)) where = where.parent_path();
  const fs::space_info space = fs::space(where.empty() ? fs::path(".") : where, ec);
  if (ec) return;  // unknown: the write itself reports a full disk
  if (bytes > static_cast<double>(space.available))
    throw UsageError(str(flag, ": ", what, " needs ", human_bytes(bytes), "; ", human_bytes(static_cast<double>(space.available)),
                         " are free in ", where.string()));
}

}  // namespace coact::io
