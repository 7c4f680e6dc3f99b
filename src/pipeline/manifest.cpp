#include "coact/pipeline/manifest.h"

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "coact/backend/backend.h"
#include "coact/core/errors.h"
#include "coact/core/json.h"
#include "coact/core/log.h"
#include "coact/core/sha256.h"
#include "coact/core/strings.h"
#include "coact/dist/mpi.h"
#include "coact/dist/nccl.h"
#include "coact/io/activation_store.h"
#include "coact/io/atomic_output.h"
#include "coact/io/h5.h"
#include "coact/io/provenance.h"
#include "coact/version.h"

namespace coact::pipeline {

namespace fs = std::filesystem;

namespace {

// Files above this are identified by size and time only: hashing a recorded store of hundreds
// of GiB on every re-submission would cost more than the stage it guards.
constexpr std::uintmax_t kHashLimit = std::uintmax_t{4} << 30;

std::int64_t mtime_ns(const std::string& path) {
  std::error_code ec;
  const auto t = fs::last_write_time(path, ec);
  if (ec) return 0;
  return static_cast<std::int64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(t.time_since_epoch()).count());
}

std::string env(const char* name) {
  const char* v = std::getenv(name);
  return v ? v : "";
}

void write_files(JsonWriter& j, const char* key, const std::vector<FileRecord>& files) {
  j.key(key).begin_array();
  for (const auto& f : files) {
    j.begin_object().field("role", f.role).field("path", f.path).field("bytes", f.bytes).field("mtime_ns", f.mtime_ns);
    j.key("sha256");
    if (f.sha256.empty()) j.null();
    else j.value(f.sha256);
    j.end_object();
  }
  j.end_array();
}

}  // namespace

std::string fingerprint(const std::string& text) {
  Sha256 h;
  h.update(text);
  return "sha256:" + h.hex_digest();
}

std::optional<JsonValue> read_previous_manifest(const std::string& path) {
  std::error_code ec;
  if (!fs::exists(path, ec)) return std::nullopt;
  try {
    return parse_json_file(path);
  } catch (const Error& e) {
    log::warn(path, ": unreadable, starting a new one (", e.what(), ")");
    return std::nullopt;
  }
}

PreviousOutput previous_output(const JsonValue* previous, const std::string& stage, const std::string& path) {
  if (!previous || !previous->is_object()) return {};
  try {
    const JsonValue* stages = previous->find("stages");
    if (!stages || !stages->is_array()) return {};
    for (const auto& s : stages->as_array()) {
      if (s.get_string("stage", "") != stage) continue;
      const JsonValue* outputs = s.find("outputs");
      if (!outputs || !outputs->is_array()) continue;
      for (const auto& o : outputs->as_array())
        if (o.get_string("path", "") == path && o.find("sha256") && o.at("sha256").is_string())
          return {s.get_string("fingerprint", ""), o.get_string("sha256")};
    }
  } catch (const Error&) {
    // A hand-edited manifest with odd types records nothing usable.
  }
  return {};
}

Manifest::Manifest(const Study& study, dist::MpiRuntime& mpi, std::optional<JsonValue> previous,
                   std::vector<std::pair<std::string, std::string>> versions)
    : study_(study), versions_(std::move(versions)), previous_(std::move(previous)) {
  command_line_ = study.command_line;
  if (previous_ && previous_->is_object()) {
    try {
      attempt_ = previous_->get_int("attempt", 0) + 1;
      if (const JsonValue* stages = previous_->find("stages"); stages && stages->is_array())
        for (const auto& s : stages->as_array())
          for (const char* list : {"inputs", "outputs"})
            if (const JsonValue* files = s.find(list); files && files->is_array())
              for (const auto& f : files->as_array())
                if (f.find("sha256") && f.at("sha256").is_string())
                  cache_[f.get_string("path")] = {f.get_int("bytes"), f.get_int("mtime_ns"), f.get_string("sha256")};
    } catch (const Error&) {
      cache_.clear();  // a damaged manifest: hash again
    }
  }
  // The job, as this attempt sees it (a requeued Slurm job has SLURM_RESTART_COUNT > 0).
  job_.ranks = mpi.size();
  job_.hosts = mpi.host_count();
  job_.root_host = dist::processor_name();
  job_.threads = backend::cpu_threads();
  job_.cuda_devices = backend::cuda_device_count();
  for (const char* v : {"SLURM_JOB_ID", "SLURM_ARRAY_JOB_ID", "SLURM_ARRAY_TASK_ID", "SLURM_RESTART_COUNT", "SLURM_JOB_NODELIST",
                        "SLURM_NTASKS", "SLURM_CLUSTER_NAME"})
    if (!env(v).empty()) job_.environment.emplace_back(v, env(v));
}

std::vector<FileRecord> Manifest::files(const std::string& role, const std::string& path) {
  std::vector<std::string> paths{path};
  std::error_code ec;
  if (role == "activations" && !fs::is_regular_file(path, ec)) {
    try {
      paths = io::expand_store_spec(path);
    } catch (const Error&) {
      // Recorded as given, without a size: the stage that reads it reports the problem.
    }
  }
  std::vector<FileRecord> out;
  for (const auto& p : paths) {
    FileRecord r{role, p, -1, mtime_ns(p), ""};
    const auto bytes = fs::file_size(p, ec);
    if (!ec) r.bytes = static_cast<std::int64_t>(bytes);
    const auto it = cache_.find(p);
    if (it != cache_.end() && it->second.bytes == r.bytes && it->second.mtime_ns == r.mtime_ns) {
      r.sha256 = it->second.sha256;
    } else if (r.bytes >= 0 && static_cast<std::uintmax_t>(r.bytes) <= kHashLimit) {
      r.sha256 = file_sha256(p);
      cache_[p] = {r.bytes, r.mtime_ns, r.sha256};
    }
    out.push_back(r);
  }
  return out;
}

void Manifest::set(const StageRecord& record) {
  for (auto& r : records_)
    if (r.stage == record.stage && r.seed == record.seed) {
      r = record;
      return;
    }
  records_.push_back(record);
}

void Manifest::write(const std::string& status, const std::string& error) {
  JsonWriter j;
  j.begin_object();
  j.field("coact_kind", "run_manifest").field("format_version", 1).field("producer", str("coact ", COACT_VERSION_STRING));
  j.field("status", status);
  if (!error.empty()) j.field("error", error);
  j.field("attempt", attempt_).field("updated", io::utc_now()).field("command_line", command_line_);
  j.key("config_file").begin_object().field("path", study_.config_path);
  std::error_code ec;
  if (fs::is_regular_file(study_.config_path, ec)) j.field("sha256", file_sha256(study_.config_path));
  j.end_object();
  j.field("config", study_.resolved_text);
  j.key("versions").begin_object().field("coact", COACT_VERSION_STRING).field("mpi", dist::mpi_library_version());
  j.field("hdf5", io::hdf5_version());
  for (const auto& [name, version] : versions_) j.field(name, version);
  for (const auto& c : backend::describe_components()) j.field(c.name, c.version);
  if (dist::nccl_compiled()) j.field("NCCL", dist::nccl_version());
  j.end_object();
  const auto requested = study_.job.device;
  const char* device = requested == backend::DeviceRequest::Cpu    ? "cpu"
                       : requested == backend::DeviceRequest::Cuda ? "cuda"
                                                                   : "auto";
  j.key("job").begin_object().field("ranks", job_.ranks).field("hosts", job_.hosts).field("root_host", job_.root_host);
  j.field("threads_per_rank", job_.threads).field("device", device).field("cuda_devices_visible", job_.cuda_devices);
  for (const auto& [name, value] : job_.environment) j.field(name, value);
  j.end_object();
  j.key("stages").begin_array();
  for (const auto& r : records_) {
    j.begin_object().field("stage", r.stage);
    if (r.seed >= 0) j.field("seed", r.seed);
    j.field("action", r.action).field("fingerprint", r.fingerprint).field("seconds", r.seconds);
    write_files(j, "inputs", r.inputs);
    write_files(j, "outputs", r.outputs);
    j.end_object();
  }
  j.end_array().end_object();
  const std::string text = j.str() + "\n";

  io::AtomicOutput output(study_.manifest_path(), true);
  {
    std::ofstream stream(output.temporary_path(), std::ios::binary);
    stream << text;
    stream.close();
    if (!stream) throw IoError(str(study_.manifest_path(), ": writing failed"));
  }
  output.commit();
}

}  // namespace coact::pipeline
