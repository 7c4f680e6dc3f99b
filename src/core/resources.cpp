#include "coact/core/resources.h"

#include <malloc.h>

#include <algorithm>
#include <fstream>
#include <string>

#include "coact/core/json.h"
#include "coact/core/markdown.h"
#include "coact/core/strings.h"

namespace coact {

const char* to_string(MemoryPlace place) {
  switch (place) {
    case MemoryPlace::Host: return "host";
    case MemoryPlace::Device: return "device";
    case MemoryPlace::Mapped: return "mapped file";
  }
  return "?";
}

namespace {

// VmRSS of /proc/self/status in bytes (0 where there is none).
double resident_bytes_now() {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line))
    if (line.rfind("VmRSS:", 0) == 0) return std::stod(line.substr(6)) * 1024.0;  // "VmRSS:  1234 kB"
  return 0;
}

// Free bytes held in malloc's arenas: resident, but the next allocations reuse them.
double free_heap_bytes() {
#ifdef __GLIBC__
  return static_cast<double>(mallinfo2().fordblks);
#else
  return 0;
#endif
}

// A working process's threads (OpenBLAS buffers, OpenMP stacks) and HDF5 caches beyond what the
// planning process holds: the peak RSS of `coact train` on a 256-latent SAE over a small store,
// less its buffers and this process's runtime estimate, on the cpu and the CUDA builds.
constexpr double kWorkingBytes = 10.0 * 1024 * 1024;

}  // namespace

MemoryNeed runtime_memory() {
  const double bytes = std::max(0.0, resident_bytes_now() - free_heap_bytes()) + kWorkingBytes;
  return {"runtime: code and libraries as this build loads them (measured in this process), threads, HDF5, MPI", bytes,
          MemoryPlace::Host, ""};
}

double StageResources::bytes(MemoryPlace place) const {
  double total = 0;
  for (const auto& m : memory)
    if (m.place == place) total += m.bytes;
  return total;
}

double StageResources::resident_bytes(bool device_is_host) const {
  return bytes(MemoryPlace::Host) + bytes(MemoryPlace::Mapped) + (device_is_host ? bytes(MemoryPlace::Device) : 0.0);
}

std::string format_resources(const StageResources& stage, bool device_is_host) {
  std::string out = str("## ", stage.stage, "\n\n", stage.layout, "\n\n");
  std::vector<std::vector<std::string>> rows;
  for (const auto& m : stage.memory)
    rows.push_back({m.what, human_bytes(m.bytes), to_string(m.place), m.sized_by});
  for (const MemoryPlace place : {MemoryPlace::Device, MemoryPlace::Host, MemoryPlace::Mapped})
    if (stage.bytes(place) > 0) rows.push_back({str("**total ", to_string(place), "**"), human_bytes(stage.bytes(place)), "", ""});
  rows.push_back({"**peak resident set per rank (estimate)**", human_bytes(stage.resident_bytes(device_is_host)),
                  device_is_host ? "host + mapped + device (cpu)" : "host + mapped", ""});
  out += markdown_table({"memory per rank", "bytes", "where", "sized by"}, rows);
  if (!stage.traffic.empty()) {
    std::vector<std::vector<std::string>> traffic;
    for (const auto& t : stage.traffic) traffic.push_back({t.what, human_bytes(t.bytes), t.per});
    out += "\n" + markdown_table({"communication and I/O per rank", "bytes sent", "per"}, traffic);
  }
  if (!stage.notes.empty()) {
    out += "\n";
    for (const auto& note : stage.notes) out += "- " + note + "\n";
  }
  return out;
}

void write_resources(JsonWriter& json, const StageResources& stage, bool device_is_host) {
  json.begin_object().field("stage", stage.stage).field("layout", stage.layout);
  json.key("memory").begin_array();
  for (const auto& m : stage.memory)
    json.begin_object().field("what", m.what).field("bytes", m.bytes).field("place", to_string(m.place))
        .field("sized_by", m.sized_by).end_object();
  json.end_array();
  for (const MemoryPlace place : {MemoryPlace::Device, MemoryPlace::Host, MemoryPlace::Mapped})
    json.field(str(to_string(place), "_bytes"), stage.bytes(place));
  json.field("resident_bytes", stage.resident_bytes(device_is_host));
  json.key("traffic").begin_array();
  for (const auto& t : stage.traffic)
    json.begin_object().field("what", t.what).field("bytes", t.bytes).field("per", t.per).end_object();
  json.end_array();
  json.key("notes").begin_array();
  for (const auto& note : stage.notes) json.value(note);
  json.end_array().end_object();
}

}  // namespace coact
