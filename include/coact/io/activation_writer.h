// Writes an activation store (docs/formats.md, "activations.h5"). Two layouts read back as
// the same store:
//  - one file written collectively: every rank of `comm` writes disjoint row ranges of one
//    parallel HDF5 file (write_rows is collective: every rank calls it equally often, with
//    count 0 when it has nothing);
//  - one shard per rank: `<out>/shard_<rank>.h5`, each holding that rank's contiguous rows.
// Normalisation statistics are accumulated while writing, per write_rows call, and combined
// in global row order, so they do not depend on the number of ranks when callers write in
// fixed global blocks.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "coact/io/activation_store.h"
#include "coact/io/atomic_output.h"
#include "coact/io/h5.h"
#include "coact/io/provenance.h"

namespace coact::dist {
class MpiComm;
}

namespace coact::io {

// A store's element type by the name commands and study files take ("float32"/"f32",
// "float16"/"f16"); nullopt for any other name, which each caller reports as its own kind of error.
std::optional<ElementType> store_dtype(std::string_view name);

struct ActivationWriterOptions {
  std::int64_t rows = 0;             // N: total rows over all ranks (per shard: this rank's rows)
  std::int64_t d = 0;
  ElementType dtype = ElementType::F32;  // F32 or F16
  std::int64_t chunk_rows = 0;       // 0: about 1 MiB per chunk
  std::string source = "unknown";    // "synthetic", "<model> <hook>"
  std::int64_t sequence_length = 0;  // tokens per sequence, 0 when rows are not sequence positions
  bool tokens = false;               // write /tokens [N] int32
  bool positions = false;            // write /positions [N] int32
  Provenance provenance;             // kind is set to "activations"
};

class ActivationWriter {
 public:
  // Collective over `comm` (nullptr: a single process). Refuses an existing output without
  // `force`. The file appears at `path` only after finish().
  ActivationWriter(const std::string& path, bool force, dist::MpiComm* comm, ActivationWriterOptions options);
  ~ActivationWriter();
  ActivationWriter(const ActivationWriter&) = delete;
  ActivationWriter& operator=(const ActivationWriter&) = delete;

  // Writes rows [first_row, first_row + count) (global indices): values count×d float32
  // (converted when the store is float16), tokens/positions count each when enabled.
  void write_rows(std::int64_t first_row, std::int64_t count, const float* values, const std::int32_t* tokens = nullptr,
                  const std::int32_t* positions = nullptr);

  // The open file, for extra groups (e.g. /ground_truth) written before finish(); collective
  // rules of parallel HDF5 apply.
  File& file() { return *file_; }

  // Combines statistics, writes attributes, closes and renames into place. Collective.
  void finish();

 private:
  struct BlockStats {
    std::int64_t first_row;
    std::int64_t rows;
    double norm_sum;
    std::vector<double> sum;  // [d]
  };

  ActivationWriterOptions options_;
  dist::MpiComm* comm_;
  std::unique_ptr<AtomicOutput> output_;
  std::unique_ptr<File> file_;
  std::unique_ptr<Dataset> activations_, tokens_, positions_;
  std::vector<BlockStats> blocks_;
  std::vector<std::uint16_t> half_buffer_;
  bool finished_ = false;
};

}  // namespace coact::io
