// What one stage of a job needs on each rank before it runs: memory by purpose and place, and
// the bytes each rank sends per step. The module that owns a stage builds its estimate from the
// same sizes its allocations use (so the two change together); `coact plan` prints them.
#pragma once

#include <string>
#include <vector>

namespace coact {

enum class MemoryPlace {
  Host,    // process memory
  Device,  // GPU memory (the cpu backend keeps "device" buffers in host memory)
  Mapped,  // file pages of a memory-mapped input: resident once touched, reclaimable by the kernel
};
const char* to_string(MemoryPlace place);

struct MemoryNeed {
  std::string what;   // "Adam moments (2 × parameters)"
  double bytes = 0;
  MemoryPlace place = MemoryPlace::Host;
  std::string sized_by;  // the flags that size it ("--batch-size, --n"), or empty
};

struct TrafficNeed {
  std::string what;  // "gradient allreduce (ring)"
  double bytes = 0;  // sent by one rank
  std::string per;   // "step", "run"
};

// What a coact process holds before any buffer of its own: code and libraries as loaded (a
// CUDA build maps and initialises cuBLAS and the CUDA runtime: about 200 MiB more than a cpu
// build), OpenBLAS and OpenMP threads, HDF5, Open MPI. Measured in the calling process, which is
// the same binary: its resident set now, less the free heap that later allocations reuse, plus
// what a working process adds (threads' buffers and stacks, HDF5's caches: 10 MiB, measured).
// Every stage's estimate has this line once.
MemoryNeed runtime_memory();

// One stage on its busiest rank. Every memory line is resident at the stage's peak (the lines
// that exist only at that moment say so), so the peak of a place is the sum of its lines.
struct StageResources {
  std::string stage;   // "train"
  std::string layout;  // "2 SAE(s), 2 group(s) of 1 rank(s); the busiest rank holds 4,096 rows of a batch"
  std::vector<MemoryNeed> memory;
  std::vector<TrafficNeed> traffic;
  std::vector<std::string> notes;  // what the figures assume

  double bytes(MemoryPlace place) const;
  // The estimate of the peak resident set of the process: host and mapped lines, plus device
  // lines when the device is the host (the cpu backend).
  double resident_bytes(bool device_is_host) const;
};

// A markdown section: the layout, one table of memory (with totals per place and the resident
// estimate), one of traffic, then the notes.
std::string format_resources(const StageResources& stage, bool device_is_host);

class JsonWriter;
// The same as one JSON object: stage, layout, memory [{what, bytes, place, sized_by}], bytes per
// place, resident_bytes, traffic [{what, bytes, per}], notes.
void write_resources(JsonWriter& json, const StageResources& stage, bool device_is_host);

}  // namespace coact
