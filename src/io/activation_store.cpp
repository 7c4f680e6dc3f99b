#include "coact/io/activation_store.h"

#include <fcntl.h>
#include <glob.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <filesystem>

#include "coact/core/half.h"
#include "coact/io/provenance.h"
#include "h5_internal.h"

namespace coact::io {

namespace fs = std::filesystem;

Normalisation parse_normalisation(const std::string& text) {
  if (text == "none") return Normalisation::None;
  if (text == "scale") return Normalisation::ScaleMeanNorm;
  if (text == "center-scale") return Normalisation::CenterScale;
  throw UsageError(str("normalisation '", text, "' is not one of none, scale, center-scale"));
}

const char* to_string(Normalisation normalisation) {
  switch (normalisation) {
    case Normalisation::None: return "none";
    case Normalisation::ScaleMeanNorm: return "scale";
    case Normalisation::CenterScale: return "center-scale";
  }
  return "?";
}

// One shard file: where its rows live and how to read them.
struct ActivationStore::Shard {
  std::string path;
  std::int64_t first_row = 0;  // global index of this shard's row 0
  std::int64_t rows = 0;
  std::int64_t d = 0;
  ElementType type = ElementType::F32;
  std::size_t element_bytes = 4;

  // Memory-mapped path: the whole file mapped read-only; `segments[i]` is the byte offset of
  // rows [i * segment_rows, (i + 1) * segment_rows) (one segment for a contiguous layout, one
  // per chunk for an unfiltered chunked layout; -1 for a chunk that was never written).
  const std::uint8_t* map = nullptr;
  std::size_t map_bytes = 0;
  std::int64_t segment_rows = 0;
  std::vector<std::int64_t> segments;

  // HDF5 path (filtered shards) and token / position reads.
  std::optional<File> file;
  std::optional<Dataset> activations;

  ~Shard() {
    if (map) munmap(const_cast<std::uint8_t*>(map), map_bytes);
  }
};

namespace {

// True when the IEEE exponent bits are all ones (Inf or NaN).
inline bool not_finite16(std::uint16_t bits) { return (bits & 0x7c00u) == 0x7c00u; }

// Copies `count` float32 values; returns true if any is NaN/Inf. Works in L1-sized blocks so
// the check reads what the copy just wrote from cache: one pass over memory, not two.
bool copy_f32(const std::uint8_t* source, std::size_t count, float* out) {
  constexpr std::size_t kBlock = 4096;  // 16 KiB
  std::uint32_t bad = 0;
  for (std::size_t begin = 0; begin < count; begin += kBlock) {
    const std::size_t n = std::min(kBlock, count - begin);
    std::memcpy(out + begin, source + begin * sizeof(float), n * sizeof(float));
    const auto* bits = reinterpret_cast<const std::uint32_t*>(out + begin);
    for (std::size_t i = 0; i < n; ++i) bad |= ~bits[i] & 0x7f800000u ? 0u : 1u;
  }
  return bad != 0;
}

// The mapped data need not be 2-byte aligned (HDF5 places contiguous data at any offset), so
// each half is loaded with memcpy (one unaligned load after optimisation), never through a
// uint16_t pointer.
bool convert_f16(const std::uint8_t* source, std::size_t count, float* out) {
  bool bad = false;
  for (std::size_t i = 0; i < count; ++i) {
    std::uint16_t half;
    std::memcpy(&half, source + 2 * i, sizeof half);
    bad |= not_finite16(half);
    out[i] = half_to_float(half);
  }
  return bad;
}

bool is_little_endian_float(hid_t type, std::size_t size) {
  return H5Tget_class(type) == H5T_FLOAT && H5Tget_size(type) == size && H5Tget_order(type) == H5T_ORDER_LE;
}

[[noreturn]] void throw_bad_row(const std::string& path, std::int64_t global_row, const float* row, std::int64_t d) {
  std::int64_t column = 0;
  while (column < d && std::isfinite(row[column])) ++column;
  throw NumericError(str(path, ":/activations: row ", global_row, " has a non-finite value (",
                         column < d ? std::to_string(row[column]) : std::string("?"), " at column ", column, ")"));
}

}  // namespace

std::vector<std::string> expand_store_spec(const std::string& spec) {
  std::vector<std::string> files;
  std::error_code ec;
  if (fs::is_directory(spec, ec)) {
    for (const auto& entry : fs::directory_iterator(spec, ec))
      if (entry.is_regular_file() && entry.path().extension() == ".h5") files.push_back(entry.path().string());
    if (files.empty()) throw InputError(str(spec, ": directory holds no .h5 activation shards"));
  } else if (spec.find_first_of("*?[") != std::string::npos) {
    glob_t matches{};
    if (glob(spec.c_str(), 0, nullptr, &matches) == 0)
      for (std::size_t i = 0; i < matches.gl_pathc; ++i) files.emplace_back(matches.gl_pathv[i]);
    globfree(&matches);
    if (files.empty()) throw InputError(str(spec, ": no file matches this pattern"));
  } else {
    files.push_back(spec);
  }
  std::sort(files.begin(), files.end());
  return files;
}

std::optional<NormalisationStats> read_normalisation(const File& file) {
  const auto attrs = file.attributes();
  if (!attrs.has("norm_mean") || !attrs.has("norm_mean_norm") || !attrs.has("norm_rows")) return std::nullopt;
  NormalisationStats stats;
  stats.rows = attrs.get_int("norm_rows");
  stats.mean = attrs.get_doubles("norm_mean");
  stats.mean_norm = attrs.get_double("norm_mean_norm");
  return stats;
}

ActivationStore::ActivationStore(ActivationStore&&) noexcept = default;
ActivationStore& ActivationStore::operator=(ActivationStore&&) noexcept = default;
ActivationStore::~ActivationStore() = default;

ActivationStore ActivationStore::open(const std::string& spec) {
  ActivationStore store;
  store.spec_ = spec;
  std::vector<NormalisationStats> shard_stats;
  bool all_have_stats = true;
  for (const std::string& path : expand_store_spec(spec)) {
    auto shard = std::make_unique<Shard>();
    shard->path = path;
    File file = File::open(path);
    const std::string kind = file_kind(file);
    if (!kind.empty() && kind != "activations")
      throw InputError(str(path, ": is a coact ", kind, " file, expected an activation store"));
    if (!file.has("/activations"))
      throw InputError(str(path, ": no dataset '/activations' (expected [N, d] float32 or float16)"));
    Dataset acts = file.dataset("/activations");
    const Shape shape = acts.shape();
    if (shape.size() != 2)
      throw InputError(str(acts.where(), ": shape ", shape_string(shape), ", expected [N, d] (rank 2)"));
    shard->rows = shape[0];
    shard->d = shape[1];
    shard->type = acts.element_type();
    if (shard->type != ElementType::F32 && shard->type != ElementType::F16)
      throw InputError(str(acts.where(), ": dtype ", to_string(shard->type), ", expected float32 or float16"));
    shard->element_bytes = shard->type == ElementType::F32 ? 4 : 2;
    if (shard->d <= 0) throw InputError(str(acts.where(), ": d = ", shard->d, ", expected d > 0"));
    if (store.metadata_.d != 0 && shard->d != store.metadata_.d)
      throw InputError(str(acts.where(), ": d = ", shard->d, " but ", store.shards_.front()->path, " has d = ",
                           store.metadata_.d));
    store.metadata_.d = shard->d;
    shard->first_row = store.metadata_.rows;
    store.metadata_.rows += shard->rows;

    // Optional per-row datasets must cover every row.
    for (const char* name : {"/tokens", "/positions"}) {
      if (!file.has(name)) continue;
      const Dataset extra = file.dataset(name);
      if (extra.shape() != Shape{shard->rows})
        throw InputError(str(extra.where(), ": shape ", shape_string(extra.shape()), ", expected [", shard->rows, "]"));
      if (extra.element_type() != ElementType::I32)
        throw InputError(str(extra.where(), ": dtype ", to_string(extra.element_type()), ", expected int32"));
    }
    const bool tokens = file.has("/tokens"), positions = file.has("/positions");
    if (store.shards_.empty()) {
      store.metadata_.has_tokens = tokens;
      store.metadata_.has_positions = positions;
      const auto attrs = file.attributes();
      store.metadata_.source = attrs.get_string_or("source", "unknown");
      if (attrs.has("sequence_length")) store.metadata_.sequence_length = attrs.get_int("sequence_length");
    } else {
      store.metadata_.has_tokens = store.metadata_.has_tokens && tokens;
      store.metadata_.has_positions = store.metadata_.has_positions && positions;
    }
    if (auto stats = read_normalisation(file)) {
      if (static_cast<std::int64_t>(stats->mean.size()) != shard->d)
        throw InputError(str(path, ": attribute 'norm_mean' has ", stats->mean.size(), " values, expected d = ", shard->d));
      shard_stats.push_back(*stats);
    } else {
      all_have_stats = false;
    }

    // Where do the bytes live? Map them when HDF5 stores them raw and little-endian.
    {
      COACT_H5_LOCK();
      const hid_t id = acts.native_id();
      Handle dcpl(COACT_H5_CHECK(H5Dget_create_plist(id), acts.where()));
      Handle type(COACT_H5_CHECK(H5Dget_type(id), acts.where()));
      const H5D_layout_t layout = H5Pget_layout(dcpl.id());
      const int filters = H5Pget_nfilters(dcpl.id());
      // External storage has no address in the file to map: HDF5 reads it.
      const bool raw = is_little_endian_float(type.id(), shard->element_bytes) && filters == 0 &&
                       !detail::has_external_storage(id);
      if (raw && layout == H5D_CONTIGUOUS && shard->rows > 0) {
        const haddr_t offset = H5Dget_offset(id);
        if (offset == HADDR_UNDEF) throw InputError(str(acts.where(), ": no data was ever written"));
        shard->segment_rows = shard->rows;
        shard->segments = {static_cast<std::int64_t>(offset)};
      } else if (raw && layout == H5D_CHUNKED && shard->rows > 0) {
        hsize_t chunk[2] = {0, 0};
        H5Pget_chunk(dcpl.id(), 2, chunk);
        if (static_cast<std::int64_t>(chunk[1]) == shard->d) {
          shard->segment_rows = static_cast<std::int64_t>(chunk[0]);
          shard->segments.assign(static_cast<std::size_t>((shard->rows + shard->segment_rows - 1) / shard->segment_rows), -1);
          hsize_t count = 0;
          Handle space(COACT_H5_CHECK(H5Dget_space(id), acts.where()));
          COACT_H5_CHECK(H5Dget_num_chunks(id, space.id(), &count), acts.where());
          for (hsize_t i = 0; i < count; ++i) {
            hsize_t coords[2] = {0, 0};
            unsigned mask = 0;
            haddr_t address = 0;
            hsize_t bytes = 0;
            COACT_H5_CHECK(H5Dget_chunk_info(id, space.id(), i, coords, &mask, &address, &bytes), acts.where());
            const auto index = static_cast<std::size_t>(coords[0] / chunk[0]);
            if (index < shard->segments.size()) shard->segments[index] = static_cast<std::int64_t>(address);
          }
        }
      }
    }
    if (!shard->segments.empty()) {
      const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
      struct stat st {};
      if (fd < 0 || fstat(fd, &st) != 0) {
        if (fd >= 0) ::close(fd);
        throw InputError(str(path, ": cannot open for reading: ", std::strerror(errno)));
      }
      shard->map_bytes = static_cast<std::size_t>(st.st_size);
      void* map = mmap(nullptr, shard->map_bytes, PROT_READ, MAP_SHARED, fd, 0);
      ::close(fd);
      if (map == MAP_FAILED) throw IoError(str(path, ": cannot map for reading: ", std::strerror(errno)));
      shard->map = static_cast<const std::uint8_t*>(map);
      // A truncated file has the metadata but not the rows: refuse it now, not mid-run.
      const std::size_t row_bytes = static_cast<std::size_t>(shard->d) * shard->element_bytes;
      for (std::size_t i = 0; i < shard->segments.size(); ++i) {
        if (shard->segments[i] < 0) continue;
        const std::int64_t rows_here = std::min(shard->segment_rows, shard->rows - static_cast<std::int64_t>(i) * shard->segment_rows);
        const std::size_t end = static_cast<std::size_t>(shard->segments[i]) + static_cast<std::size_t>(rows_here) * row_bytes;
        if (end > shard->map_bytes)
          throw InputError(str(acts.where(), ": rows extend past the end of the file (", shard->map_bytes,
                               " bytes): the file is truncated"));
      }
    }
    shard->activations.emplace(std::move(acts));
    shard->file.emplace(std::move(file));
    store.shards_.push_back(std::move(shard));
  }
  if (store.metadata_.rows == 0) throw InputError(str(spec, ": the activation store is empty (0 rows)"));

  if (all_have_stats && !shard_stats.empty()) {
    // Row-weighted combination of the shards' statistics.
    NormalisationStats total;
    total.mean.assign(static_cast<std::size_t>(store.metadata_.d), 0.0);
    for (const auto& s : shard_stats) total.rows += s.rows;
    for (const auto& s : shard_stats) {
      const double w = total.rows ? static_cast<double>(s.rows) / static_cast<double>(total.rows) : 0.0;
      for (std::size_t j = 0; j < total.mean.size(); ++j) total.mean[j] += w * s.mean[j];
      total.mean_norm += w * s.mean_norm;
    }
    if (shard_stats.size() == 1) total = shard_stats.front();
    store.metadata_.normalisation = std::move(total);
  }
  return store;
}

std::vector<std::string> ActivationStore::files() const {
  std::vector<std::string> out;
  for (const auto& s : shards_) out.push_back(s->path);
  return out;
}

std::vector<ElementType> ActivationStore::shard_types() const {
  std::vector<ElementType> out;
  for (const auto& s : shards_) out.push_back(s->type);
  return out;
}

bool ActivationStore::memory_mapped() const {
  return std::all_of(shards_.begin(), shards_.end(), [](const auto& s) { return s->map != nullptr; });
}

const ActivationStore::Shard& ActivationStore::shard_of(std::int64_t row) const {
  // Shards are few; the last one whose first row is <= row.
  auto it = std::upper_bound(shards_.begin(), shards_.end(), row,
                             [](std::int64_t r, const std::unique_ptr<Shard>& s) { return r < s->first_row; });
  return **(it - 1);
}

void ActivationStore::read_rows(std::int64_t begin, std::int64_t count, float* out) const {
  if (begin < 0 || count < 0 || begin + count > rows())
    throw InputError(str(spec_, ": rows [", begin, ", ", begin + count, ") are outside the store's ", rows(), " rows"));
  const std::int64_t d = metadata_.d;
  while (count > 0) {
    const Shard& s = shard_of(begin);
    const std::int64_t local = begin - s.first_row;
    std::int64_t take = std::min(count, s.rows - local);
    if (s.map) {
      // Within one segment at a time (chunks need not be adjacent in the file).
      const std::int64_t segment = local / s.segment_rows;
      take = std::min(take, (segment + 1) * s.segment_rows - local);
      const std::int64_t offset = s.segments[static_cast<std::size_t>(segment)];
      if (offset < 0)
        throw InputError(str(s.path, ":/activations: rows [", begin, ", ", begin + take, ") were never written"));
      const std::uint8_t* source =
          s.map + offset + static_cast<std::size_t>(local - segment * s.segment_rows) * static_cast<std::size_t>(d) * s.element_bytes;
      const std::size_t values = static_cast<std::size_t>(take * d);
      const bool bad = s.type == ElementType::F32 ? copy_f32(source, values, out) : convert_f16(source, values, out);
      if (bad) {
        for (std::int64_t r = 0; r < take; ++r)
          for (std::int64_t c = 0; c < d; ++c)
            if (!std::isfinite(out[r * d + c])) throw_bad_row(s.path, begin + r, out + r * d, d);
      }
    } else {
      s.activations->read<float>(std::span<float>(out, static_cast<std::size_t>(take * d)), {local, 0}, {take, d});
      for (std::int64_t r = 0; r < take; ++r)
        for (std::int64_t c = 0; c < d; ++c)
          if (!std::isfinite(out[r * d + c])) throw_bad_row(s.path, begin + r, out + r * d, d);
    }
    out += take * d;
    begin += take;
    count -= take;
  }
}

void ActivationStore::gather_rows(std::span<const std::int64_t> rows, float* out) const {
  const std::int64_t d = metadata_.d;
  for (std::size_t i = 0; i < rows.size(); ++i) read_rows(rows[i], 1, out + static_cast<std::int64_t>(i) * d);
}

void ActivationStore::read_int_column(const char* name, bool present, std::int64_t begin, std::int64_t count,
                                      std::int32_t* out) const {
  if (!present) throw InputError(str(spec_, ": the store has no ", name));
  if (begin < 0 || count < 0 || begin + count > rows())
    throw InputError(str(spec_, ": rows [", begin, ", ", begin + count, ") are outside the store's ", rows(), " rows"));
  for (std::int64_t done = 0; done < count;) {
    const Shard& s = shard_of(begin + done);
    const std::int64_t local = begin + done - s.first_row, take = std::min(count - done, s.rows - local);
    s.file->dataset(name).read<std::int32_t>(std::span<std::int32_t>(out + done, static_cast<std::size_t>(take)), {local},
                                             {take});
    done += take;
  }
}

void ActivationStore::read_tokens(std::int64_t begin, std::int64_t count, std::int32_t* out) const {
  read_int_column("/tokens", metadata_.has_tokens, begin, count, out);
}

void ActivationStore::read_positions(std::int64_t begin, std::int64_t count, std::int32_t* out) const {
  read_int_column("/positions", metadata_.has_positions, begin, count, out);
}

void ActivationStore::normalise(Normalisation normalisation, std::int64_t count, float* data) const {
  if (normalisation == Normalisation::None) return;
  if (!metadata_.normalisation)
    throw InputError(str(spec_, ": normalisation '", to_string(normalisation),
                         "' needs statistics (norm_mean, norm_mean_norm), which this store lacks"));
  const auto& stats = *metadata_.normalisation;
  const std::int64_t d = metadata_.d;
  if (stats.mean_norm <= 0) throw InputError(str(spec_, ": norm_mean_norm is ", stats.mean_norm, ", cannot scale"));
  const float scale = static_cast<float>(std::sqrt(static_cast<double>(d)) / stats.mean_norm);
  std::vector<float> mean(stats.mean.begin(), stats.mean.end());
  const bool center = normalisation == Normalisation::CenterScale;
  for (std::int64_t r = 0; r < count; ++r) {
    float* row = data + r * d;
    for (std::int64_t c = 0; c < d; ++c) row[c] = (center ? row[c] - mean[static_cast<std::size_t>(c)] : row[c]) * scale;
  }
}

}  // namespace coact::io
