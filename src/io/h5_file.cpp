// File, Handle and helpers of the HDF5 layer.
#include <mpi.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <exception>

#include "coact/dist/mpi.h"
#include "h5_internal.h"

namespace coact::io {

using detail::ensure_initialised;

const char* to_string(ElementType type) {
  switch (type) {
    case ElementType::F16: return "float16";
    case ElementType::F32: return "float32";
    case ElementType::F64: return "float64";
    case ElementType::I8: return "int8";
    case ElementType::U8: return "uint8";
    case ElementType::I16: return "int16";
    case ElementType::U16: return "uint16";
    case ElementType::I32: return "int32";
    case ElementType::U32: return "uint32";
    case ElementType::I64: return "int64";
    case ElementType::U64: return "uint64";
    case ElementType::String: return "string";
    default: return "other";
  }
}

std::string shape_string(const Shape& shape) {
  std::string out = "[";
  for (std::size_t i = 0; i < shape.size(); ++i) out += (i ? ", " : "") + std::to_string(shape[i]);
  return out + "]";
}

// ---- Handle ----------------------------------------------------------------------------------

Handle::~Handle() {
  try {
    close();
  } catch (...) {
    // A destructor must not throw; File::close() surfaces close errors when it matters.
  }
}

Handle& Handle::operator=(Handle&& other) noexcept {
  if (this != &other) {
    try {
      close();
    } catch (...) {
    }
    id_ = other.id_;
    other.id_ = -1;
  }
  return *this;
}

void Handle::close() {
  if (id_ < 0) return;
  COACT_H5_LOCK();
  const hid_t id = id_;
  id_ = -1;
  // Already closed by File::close() (which closes a file's objects before the file).
  if (H5Iis_valid(id) <= 0) {
    H5Eclear2(H5E_DEFAULT);
    return;
  }
  herr_t status = 0;
  switch (H5Iget_type(id)) {
    case H5I_FILE: status = H5Fclose(id); break;
    case H5I_GROUP: status = H5Gclose(id); break;
    case H5I_DATASET: status = H5Dclose(id); break;
    case H5I_DATASPACE: status = H5Sclose(id); break;
    case H5I_DATATYPE: status = H5Tclose(id); break;
    case H5I_ATTR: status = H5Aclose(id); break;
    case H5I_GENPROP_LST: status = H5Pclose(id); break;
    default: status = H5Idec_ref(id); break;
  }
  if (status < 0) detail::throw_h5("H5?close", __FILE__, __LINE__, "");
}

// ---- File ------------------------------------------------------------------------------------

namespace {

Handle file_access_list(const dist::MpiComm* parallel, const std::string& path) {
  Handle fapl(COACT_H5_CHECK(H5Pcreate(H5P_FILE_ACCESS), path));
  if (parallel) {
    const MPI_Comm comm = *static_cast<const MPI_Comm*>(parallel->native_handle());
    COACT_H5_CHECK(H5Pset_fapl_mpio(fapl.id(), comm, MPI_INFO_NULL), path);
    // Metadata reads and writes collective: one rank reads, then broadcasts (scales to many ranks).
    COACT_H5_CHECK(H5Pset_all_coll_metadata_ops(fapl.id(), true), path);
    COACT_H5_CHECK(H5Pset_coll_metadata_write(fapl.id(), true), path);
  }
  return fapl;
}

bool path_exists(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0;
}

}  // namespace

bool File::is_hdf5(const std::string& path) {
  ensure_initialised();
  COACT_H5_LOCK();
  if (!path_exists(path)) return false;
  const htri_t result = H5Fis_hdf5(path.c_str());
  H5Eclear2(H5E_DEFAULT);
  return result > 0;
}

File File::open(const std::string& path, Mode mode, const dist::MpiComm* parallel) {
  ensure_initialised();
  COACT_H5_LOCK();
  if (!path_exists(path)) throw InputError(str(path, ": no such file"));
  const htri_t signature = H5Fis_hdf5(path.c_str());
  if (signature <= 0) {
    H5Eclear2(H5E_DEFAULT);
    throw InputError(str(path, ": not an HDF5 file"));
  }
  Handle fapl = file_access_list(parallel, path);
  const hid_t id = H5Fopen(path.c_str(), mode == Mode::Read ? H5F_ACC_RDONLY : H5F_ACC_RDWR, fapl.id());
  if (id < 0) throw InputError(str(path, ": cannot open as HDF5 (truncated or corrupt?): ", detail::error_stack_message()));
  return File(Handle(id), path, parallel != nullptr, parallel ? parallel->rank() : 0);
}

File File::create(const std::string& path, const dist::MpiComm* parallel) {
  ensure_initialised();
  COACT_H5_LOCK();
  Handle fapl = file_access_list(parallel, path);
  // The 1.8 object format: attributes above 64 KiB (a d-long mean vector for d > 8,192) go to
  // dense storage; every HDF5 >= 1.8 (and h5py) reads it.
  COACT_H5_CHECK(H5Pset_libver_bounds(fapl.id(), H5F_LIBVER_V18, H5F_LIBVER_V18), path);
  const hid_t id = H5Fcreate(path.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, fapl.id());
  if (id < 0) throw IoError(str(path, ": cannot create HDF5 file: ", detail::error_stack_message()));
  File file(Handle(id), path, parallel != nullptr, parallel ? parallel->rank() : 0);
  file.created_ = true;
  return file;
}

File::~File() {
  try {
    close();
  } catch (...) {
    // Destructors must not throw; call close() explicitly to see close errors.
  }
}

bool File::has(const std::string& name) const {
  COACT_H5_LOCK();
  // H5Lexists needs every intermediate link to exist: walk the path one component at a time.
  std::string prefix = name.rfind('/', 0) == 0 ? "" : ".";
  for (const auto& part : split(name, '/')) {
    if (part.empty()) continue;
    prefix += "/" + part;
    const htri_t exists = H5Lexists(handle_.id(), prefix.c_str(), H5P_DEFAULT);
    if (exists <= 0) {
      H5Eclear2(H5E_DEFAULT);
      return false;
    }
  }
  return true;
}

Dataset File::dataset(const std::string& name) const {
  COACT_H5_LOCK();
  if (!has(name)) throw InputError(str(path_, ": no dataset '", name, "'"));
  Handle object(COACT_H5_CHECK(H5Oopen(handle_.id(), name.c_str(), H5P_DEFAULT), path_ + ":" + name));
  if (H5Iget_type(object.id()) != H5I_DATASET) throw InputError(str(path_, ": '", name, "' is not a dataset"));
  return Dataset(detail::checked_dataset(std::move(object), handle_.id(), path_, name), path_, name, parallel_);
}

std::vector<std::string> File::list(const std::string& group) const {
  COACT_H5_LOCK();
  std::vector<std::string> names;
  if (!has(group) && group != "/") return names;
  auto visit = [](hid_t, const char* name, const H5L_info_t*, void* data) -> herr_t {
    static_cast<std::vector<std::string>*>(data)->emplace_back(name);
    return 0;
  };
  Handle g(COACT_H5_CHECK(H5Gopen2(handle_.id(), group.c_str(), H5P_DEFAULT), path_ + ":" + group));
  COACT_H5_CHECK(H5Literate(g.id(), H5_INDEX_NAME, H5_ITER_INC, nullptr, visit, &names), path_ + ":" + group);
  return names;
}

std::vector<std::string> File::all_datasets() const {
  COACT_H5_LOCK();
  std::vector<std::string> names;
  auto visit = [](hid_t, const char* name, const H5O_info_t* info, void* data) -> herr_t {
    if (info->type == H5O_TYPE_DATASET) static_cast<std::vector<std::string>*>(data)->push_back(std::string("/") + name);
    return 0;
  };
  COACT_H5_CHECK(H5Ovisit(handle_.id(), H5_INDEX_NAME, H5_ITER_INC, visit, &names), path_);
  std::sort(names.begin(), names.end());
  return names;
}

void File::create_group(const std::string& name) {
  COACT_H5_LOCK();
  if (has(name)) return;
  Handle lcpl(COACT_H5_CHECK(H5Pcreate(H5P_LINK_CREATE), path_));
  COACT_H5_CHECK(H5Pset_create_intermediate_group(lcpl.id(), 1), path_);
  Handle g(COACT_H5_CHECK(H5Gcreate2(handle_.id(), name.c_str(), lcpl.id(), H5P_DEFAULT, H5P_DEFAULT), path_ + ":" + name));
}

Attributes File::group_attributes(const std::string& group) const {
  COACT_H5_LOCK();
  if (group != "/" && !has(group)) throw InputError(str(path_, ": no group '", group, "'"));
  Handle g(COACT_H5_CHECK(H5Oopen(handle_.id(), group.c_str(), H5P_DEFAULT), path_ + ":" + group));
  const std::int64_t id = g.id();
  return Attributes(id, path_ + ":" + group, std::move(g));
}

Dataset File::create_dataset_typed(const std::string& name, const Shape& shape, ElementType type,
                                   const DatasetOptions& options) {
  COACT_H5_LOCK();
  const std::string where = path_ + ":" + name;
  std::vector<hsize_t> dims(shape.begin(), shape.end());
  Handle space(COACT_H5_CHECK(H5Screate_simple(static_cast<int>(dims.size()), dims.data(), nullptr), where));
  Handle dcpl(COACT_H5_CHECK(H5Pcreate(H5P_DATASET_CREATE), where));
  if (!options.chunk.empty()) {
    COACT_REQUIRE(options.chunk.size() == shape.size(), Error, where, ": chunk rank ", options.chunk.size(),
                  " does not match dataset rank ", shape.size());
    std::vector<hsize_t> chunk(options.chunk.size());
    for (std::size_t i = 0; i < chunk.size(); ++i) {
      // A chunk dimension may not exceed a fixed dataset dimension, nor be zero.
      const std::int64_t limit = std::max<std::int64_t>(1, shape[i]);
      chunk[i] = static_cast<hsize_t>(std::clamp<std::int64_t>(options.chunk[i], 1, limit));
    }
    COACT_H5_CHECK(H5Pset_chunk(dcpl.id(), static_cast<int>(chunk.size()), chunk.data()), where);
    if (options.shuffle) COACT_H5_CHECK(H5Pset_shuffle(dcpl.id()), where);
    if (options.deflate > 0) COACT_H5_CHECK(H5Pset_deflate(dcpl.id(), static_cast<unsigned>(options.deflate)), where);
  }
  if (parallel_) COACT_H5_CHECK(H5Pset_fill_time(dcpl.id(), H5D_FILL_TIME_NEVER), where);
  Handle lcpl(COACT_H5_CHECK(H5Pcreate(H5P_LINK_CREATE), where));
  COACT_H5_CHECK(H5Pset_create_intermediate_group(lcpl.id(), 1), where);
  Handle d(COACT_H5_CHECK(
      H5Dcreate2(handle_.id(), name.c_str(), detail::h5_type(type), space.id(), lcpl.id(), dcpl.id(), H5P_DEFAULT),
      where));
  return Dataset(std::move(d), path_, name, parallel_);
}

void File::flush() {
  COACT_H5_LOCK();
  COACT_H5_CHECK(H5Fflush(handle_.id(), H5F_SCOPE_GLOBAL), path_);
}

void File::close() {
  COACT_H5_LOCK();
  if (!handle_.valid()) return;
  // A parallel file refuses to close while datasets are open (close degree SEMI), so close
  // them first; their Dataset objects then see an invalid id and do nothing. Every rank runs
  // the same code, so the order is the same everywhere.
  const hid_t file = handle_.id();
  const unsigned types = H5F_OBJ_DATASET | H5F_OBJ_GROUP | H5F_OBJ_DATATYPE | H5F_OBJ_ATTR | H5F_OBJ_LOCAL;
  // A serial file closes "weakly": it stays open until its last dataset goes, so a Dataset
  // may outlive its File object.
  const ssize_t open_count = parallel_ ? H5Fget_obj_count(file, types) : 0;
  if (open_count > 0) {
    std::vector<hid_t> ids(static_cast<std::size_t>(open_count));
    const ssize_t got = H5Fget_obj_ids(file, types, ids.size(), ids.data());
    for (ssize_t i = 0; i < got; ++i) {
      Handle(ids[static_cast<std::size_t>(i)]).close();
    }
  }
  // A file this process created is a temporary output (AtomicOutput deletes it unless it is
  // committed). On a full disk HDF5 cannot flush it, and a failed H5Fclose (or H5Fflush)
  // leaves a broken file object that crashes any later call and the library's shutdown at
  // MPI_Finalize (H5F__close_cb). So the close must not fail for lack of space: the space the
  // flush writes into (the file's allocated size, which covers every metadata entry) is
  // reserved first, and when that fails, or the file is being abandoned (an exception is
  // unwinding), its descriptor is pointed at an anonymous in-memory file so the close succeeds
  // and nothing more reaches the disk.
  if (created_ && !parallel_) {
    void* vfd = nullptr;
    hsize_t size = 0;
    const bool have_fd = H5Fget_vfd_handle(file, H5P_DEFAULT, &vfd) >= 0 && vfd != nullptr;
    const int fd = have_fd ? *static_cast<int*>(vfd) : -1;
    const bool abandoned = std::uncaught_exceptions() > 0;
    bool no_space = false;
    if (!abandoned && fd >= 0 && H5Fget_filesize(file, &size) >= 0 && size > 0)
      no_space = ::fallocate(fd, 0, 0, static_cast<off_t>(size)) != 0 && errno != EOPNOTSUPP && errno != ENOSYS;
    H5Eclear2(H5E_DEFAULT);
    if ((abandoned || no_space) && fd >= 0) {
      const int error = errno;
      const int scratch = ::memfd_create("coact-discarded-output", 0);
      if (scratch >= 0) {
        ::dup2(scratch, fd);
        ::close(scratch);
      }
      handle_.close();
      if (no_space) throw IoError(str(path_, ": cannot write the file: ", std::strerror(error)));
      return;
    }
  }
  handle_.close();
}

std::string hdf5_version() {
  unsigned major = 0, minor = 0, release = 0;
  H5get_libversion(&major, &minor, &release);
#ifdef H5_HAVE_PARALLEL
  const char* flavour = " (parallel)";
#else
  const char* flavour = " (serial)";
#endif
  return str(major, ".", minor, ".", release, flavour);
}

}  // namespace coact::io
