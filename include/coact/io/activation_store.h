// The activation store: `/activations` [N, d] (float32 or float16) in one or several HDF5
// shard files that together form one logical row range, with optional `/tokens` and
// `/positions` [N] int32, metadata attributes and normalisation statistics (docs/formats.md).
//
// Reads are served from a read-only memory map of each shard at the byte offsets HDF5 reports
// for the dataset (contiguous or unfiltered chunked layouts), so rows come from the page cache
// at memory speed and random rows cost a memcpy; compressed shards fall back to HDF5 reads.
// Every row read is checked for NaN/Inf and a bad row is reported with its file and index.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "coact/io/h5.h"

namespace coact::io {

// Mean activation vector and mean row norm over a store: some recipes scale inputs so the
// mean norm becomes sqrt(d).
struct NormalisationStats {
  std::int64_t rows = 0;
  std::vector<double> mean;  // [d]
  double mean_norm = 0.0;    // mean of ||x|| over rows
};

enum class Normalisation {
  None,           // rows as stored
  ScaleMeanNorm,  // x * sqrt(d) / mean_norm  (SAELens "expected_average_only_in")
  CenterScale,    // (x - mean) * sqrt(d) / mean_norm
};
Normalisation parse_normalisation(const std::string& text);  // "none" | "scale" | "center-scale"
const char* to_string(Normalisation normalisation);

struct ActivationMetadata {
  std::int64_t rows = 0;
  std::int64_t d = 0;
  std::string source;                // "synthetic" or "<model> <hook>"
  std::int64_t sequence_length = 0;  // tokens per sequence when rows are sequence positions, else 0
  bool has_tokens = false;
  bool has_positions = false;
  std::optional<NormalisationStats> normalisation;
};

class ActivationStore {
 public:
  // `spec` is a file, a directory (every *.h5 in it, sorted by name), or a glob pattern
  // ("acts_*.h5"). Validates every shard (kind, rank, dtype, matching d) and throws InputError
  // naming the file and object on the first problem.
  static ActivationStore open(const std::string& spec);

  ActivationStore(ActivationStore&&) noexcept;
  ActivationStore& operator=(ActivationStore&&) noexcept;
  ~ActivationStore();

  std::int64_t rows() const { return metadata_.rows; }
  std::int64_t d() const { return metadata_.d; }
  const ActivationMetadata& metadata() const { return metadata_; }
  const std::string& spec() const { return spec_; }
  std::vector<std::string> files() const;
  std::vector<ElementType> shard_types() const;
  // Whether rows are served from memory maps (false: HDF5 fallback for filtered shards).
  bool memory_mapped() const;

  // Rows [begin, begin + count) as float32 into out[count * d]. Throws NumericError naming
  // the file and global row index on a NaN/Inf value.
  void read_rows(std::int64_t begin, std::int64_t count, float* out) const;
  // Arbitrary rows, in the given order, into out[rows.size() * d].
  void gather_rows(std::span<const std::int64_t> rows, float* out) const;
  // Token ids / positions of rows [begin, begin + count); throws InputError when absent.
  void read_tokens(std::int64_t begin, std::int64_t count, std::int32_t* out) const;
  void read_positions(std::int64_t begin, std::int64_t count, std::int32_t* out) const;

  // Applies a normalisation in place to rows×d values read from this store. Throws InputError
  // when the store has no normalisation statistics and one is requested.
  void normalise(Normalisation normalisation, std::int64_t rows, float* data) const;

 private:
  struct Shard;
  ActivationStore() = default;
  const Shard& shard_of(std::int64_t row) const;
  void read_int_column(const char* name, bool present, std::int64_t begin, std::int64_t count, std::int32_t* out) const;

  std::string spec_;
  ActivationMetadata metadata_;
  std::vector<std::unique_ptr<Shard>> shards_;
};

// Expands a store spec to its files (sorted); throws InputError when nothing matches.
std::vector<std::string> expand_store_spec(const std::string& spec);

// Reads normalisation statistics written by ActivationWriter from a file's attributes.
std::optional<NormalisationStats> read_normalisation(const File& file);

}  // namespace coact::io
