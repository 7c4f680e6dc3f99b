// HDF5 in C++: RAII handles, typed datasets and attributes, hyperslab reads and writes, and
// parallel files (MPI-IO, collective transfers) when a communicator is given. Every failure
// throws: InputError for a file or object that is missing or not what was expected (the
// message names file and object), Hdf5Error for a failed library call (says what failed on
// which file and object; the call and source line are in its debug context), IoError for a full
// disk. This module is the only user of hdf5.h. Calls are serialised by one process-wide lock
// because Debian's parallel HDF5 is not built thread-safe (the prefetch thread reads while the
// main thread may write a checkpoint).
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <type_traits>
#include <vector>

#include "coact/core/memory.h"
#include "coact/io/shape.h"

namespace coact::dist {
class MpiComm;
}

namespace coact::io {

// Element types coact stores. F16 is IEEE half (h5py reads it as numpy float16).
enum class ElementType { F16, F32, F64, I8, U8, I16, U16, I32, U32, I64, U64, String, Other };
const char* to_string(ElementType type);

template <class T>
constexpr ElementType element_type_of();


// Owns an hid_t and closes it with the right H5*close.
class Handle {
 public:
  Handle() = default;
  explicit Handle(std::int64_t id) : id_(id) {}
  ~Handle();
  Handle(Handle&& other) noexcept : id_(other.id_) { other.id_ = -1; }
  Handle& operator=(Handle&& other) noexcept;
  Handle(const Handle&) = delete;
  Handle& operator=(const Handle&) = delete;
  std::int64_t id() const { return id_; }
  bool valid() const { return id_ >= 0; }
  void close();

 private:
  std::int64_t id_ = -1;
};

// Attributes of a file, group or dataset. Strings are variable-length UTF-8 (h5py gives str).
class Attributes {
 public:
  // `object` is the file, group or dataset id; `owned` keeps a group opened for us alive.
  Attributes(std::int64_t object, std::string where, Handle owned = Handle())
      : object_(object), where_(std::move(where)), owned_(std::move(owned)) {}

  bool has(const std::string& name) const;
  std::vector<std::string> names() const;

  void set(const std::string& name, const std::string& value);
  void set(const std::string& name, const char* value) { set(name, std::string(value)); }
  void set(const std::string& name, std::int64_t value);
  void set(const std::string& name, int value) { set(name, static_cast<std::int64_t>(value)); }
  void set(const std::string& name, double value);
  void set(const std::string& name, const std::vector<std::int64_t>& values);
  void set(const std::string& name, const std::vector<double>& values);

  // Throw InputError naming the object when missing or of another kind.
  std::string get_string(const std::string& name) const;
  std::int64_t get_int(const std::string& name) const;
  double get_double(const std::string& name) const;
  std::vector<std::int64_t> get_ints(const std::string& name) const;
  std::vector<double> get_doubles(const std::string& name) const;
  ElementType type_of(const std::string& name) const;

  std::string get_string_or(const std::string& name, const std::string& fallback) const {
    return has(name) ? get_string(name) : fallback;
  }

 private:
  void remove_if_present(const std::string& name);
  std::int64_t object_;
  std::string where_;  // "file.h5:/dataset", for messages
  Handle owned_;
};

struct DatasetOptions {
  Shape chunk;          // empty: contiguous (no chunking)
  int deflate = 0;      // 0 = none, 1..9 = gzip level (needs chunking)
  bool shuffle = false; // byte shuffle before deflate
};

class Dataset {
 public:
  Dataset(Handle handle, std::string file, std::string name, bool collective);

  const std::string& name() const { return name_; }
  const std::string& file() const { return file_; }
  std::string where() const { return file_ + ":" + name_; }  // "acts.h5:/activations"
  Shape shape() const;
  std::int64_t rank() const { return static_cast<std::int64_t>(shape().size()); }
  ElementType element_type() const;
  Shape chunk_shape() const;  // empty when contiguous
  Attributes attributes() const { return Attributes(handle_.id(), where()); }

  // Reads the hyperslab [offset, offset + count) into out (row-major, size = prod(count)),
  // converting to T. Empty offset/count = the whole dataset.
  template <class T>
  void read(std::span<T> out, const Shape& offset = {}, const Shape& count = {}) const;
  template <class T>
  std::vector<T> read_all() const;
  // Reads raw stored bytes of the hyperslab (no conversion): e.g. float16 rows converted by
  // the caller faster than HDF5's soft conversion.
  void read_raw(void* out, const Shape& offset, const Shape& count) const;

  // Writes the hyperslab. In a parallel file the write is collective: every rank calls it,
  // possibly with a zero count.
  template <class T>
  void write(std::span<const T> data, const Shape& offset = {}, const Shape& count = {});
  void write_raw(const void* data, ElementType memory_type, const Shape& offset, const Shape& count);

  // How the last transfer was really done (collective or independent) in a parallel file;
  // lets tests check that a "collective" write was collective.
  std::string last_transfer_mode() const;

  // The HDF5 dataset id, for the io module's own layout queries (memory-mapped reads).
  std::int64_t native_id() const { return handle_.id(); }

 private:
  void transfer(bool is_write, void* buffer, ElementType memory_type, const Shape& offset, const Shape& count) const;

  Handle handle_;
  std::string file_;
  std::string name_;
  bool collective_;
  mutable std::int64_t last_io_mode_ = -1;
};

class File {
 public:
  enum class Mode { Read, ReadWrite };

  // Opens an existing file. With `parallel`, every rank of it opens the file through MPI-IO
  // (collective metadata). Throws InputError if the file is missing or not HDF5.
  static File open(const std::string& path, Mode mode = Mode::Read, const dist::MpiComm* parallel = nullptr);
  // Creates (truncates) a file; normally at an AtomicOutput's temporary path.
  static File create(const std::string& path, const dist::MpiComm* parallel = nullptr);
  // True if `path` exists and has the HDF5 signature.
  static bool is_hdf5(const std::string& path);

  File(File&&) noexcept = default;
  File& operator=(File&&) noexcept = default;
  ~File();

  const std::string& path() const { return path_; }
  bool parallel() const { return parallel_; }
  Attributes attributes() const { return Attributes(handle_.id(), path_ + ":/"); }

  // Whether a link (dataset or group) exists at an absolute or relative path.
  bool has(const std::string& name) const;
  // Throws InputError "<file>: no dataset '<name>'" when absent.
  Dataset dataset(const std::string& name) const;
  // Dataset names directly under a group ("/" by default).
  std::vector<std::string> list(const std::string& group = "/") const;
  void create_group(const std::string& name);
  // Every dataset in the file (absolute paths, sorted), for describing foreign files.
  std::vector<std::string> all_datasets() const;
  Attributes group_attributes(const std::string& group) const;

  template <class T>
  Dataset create_dataset(const std::string& name, const Shape& shape, const DatasetOptions& options = {}) {
    return create_dataset_typed(name, shape, element_type_of<T>(), options);
  }
  Dataset create_dataset_typed(const std::string& name, const Shape& shape, ElementType type,
                               const DatasetOptions& options = {});
  // Convenience: create and write a whole 1-D or N-D dataset at once (collective in parallel:
  // every rank passes the same data, rank 0's bytes are written).
  template <class T>
  Dataset write_dataset(const std::string& name, std::span<const T> data, const Shape& shape,
                        const DatasetOptions& options = {});

  void flush();
  // Closes now (also done by the destructor); surfaces errors that a destructor would hide.
  void close();

 private:
  File(Handle handle, std::string path, bool parallel, int rank)
      : handle_(std::move(handle)), path_(std::move(path)), parallel_(parallel), rank_(rank) {}
  Handle handle_;
  std::string path_;
  bool parallel_ = false;
  int rank_ = 0;  // this process's rank in the parallel communicator
  bool created_ = false;  // made by create(): a new (temporary) output, discarded if it cannot close
};

// The HDF5 library version, e.g. "1.10.8 (parallel)".
std::string hdf5_version();

// ---- element type mapping ----------------------------------------------------------------
template <class T>
constexpr ElementType element_type_of() {
  if constexpr (std::is_same_v<T, float>) return ElementType::F32;
  else if constexpr (std::is_same_v<T, double>) return ElementType::F64;
  else if constexpr (std::is_same_v<T, std::int8_t>) return ElementType::I8;
  else if constexpr (std::is_same_v<T, std::uint8_t>) return ElementType::U8;
  else if constexpr (std::is_same_v<T, std::int16_t>) return ElementType::I16;
  else if constexpr (std::is_same_v<T, std::uint16_t>) return ElementType::U16;
  else if constexpr (std::is_same_v<T, std::int32_t>) return ElementType::I32;
  else if constexpr (std::is_same_v<T, std::uint32_t>) return ElementType::U32;
  else if constexpr (std::is_same_v<T, std::int64_t>) return ElementType::I64;
  else if constexpr (std::is_same_v<T, std::uint64_t>) return ElementType::U64;
  else {
    static_assert(sizeof(T) == 0, "unsupported HDF5 element type");
    return ElementType::Other;
  }
}

template <class T>
void Dataset::read(std::span<T> out, const Shape& offset, const Shape& count) const {
  transfer(false, out.data(), element_type_of<T>(), offset, count);
}

template <class T>
std::vector<T> Dataset::read_all() const {
  std::int64_t total = 1;
  for (auto e : shape()) total *= e;
  const std::string purpose = "reading " + where();
  std::vector<T> out = allocate_vector<T>({purpose}, static_cast<std::size_t>(total));
  read<T>(out);
  return out;
}

template <class T>
void Dataset::write(std::span<const T> data, const Shape& offset, const Shape& count) {
  transfer(true, const_cast<T*>(data.data()), element_type_of<T>(), offset, count);
}

template <class T>
Dataset File::write_dataset(const std::string& name, std::span<const T> data, const Shape& shape,
                            const DatasetOptions& options) {
  Dataset d = create_dataset<T>(name, shape, options);
  if (rank_ == 0) {
    d.write<T>(data);
  } else {  // other ranks join the collective write with an empty selection
    d.write<T>(std::span<const T>(), Shape(shape.size(), 0), Shape(shape.size(), 0));
  }
  return d;
}

}  // namespace coact::io
