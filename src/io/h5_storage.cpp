// Datasets whose bytes live outside their file: virtual datasets (VDS: mappings onto datasets
// of other files) and external storage (raw bytes in plain files). HDF5 reads a VDS whose
// source file or dataset is missing as fill values (zeros) without any error, so a moved or
// deleted source would silently become a store of zeros or an empty graph: such a dataset is
// refused when it is opened, naming the dataset and the missing source. External storage is
// read as HDF5 resolves it (relative names against the working directory); when a relative
// external file is not there but beside the HDF5 file (where h5py's writer put it), the dataset
// is opened with the file's folder as the prefix, so it reads the same from any directory.
#include <sys/stat.h>

#include <filesystem>

#include "h5_internal.h"

namespace coact::io::detail {
namespace {

namespace fs = std::filesystem;

bool exists(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0;
}

std::string folder_of(const std::string& file) {
  const fs::path parent = fs::path(file).parent_path();
  return parent.empty() ? std::string(".") : parent.string();
}

// HDF5's own order for a relative source: beside the virtual file, then the working directory.
std::string locate(const std::string& source, const std::string& file) {
  if (fs::path(source).is_absolute()) return exists(source) ? source : std::string();
  const std::string beside = (fs::path(folder_of(file)) / source).string();
  if (exists(beside)) return beside;
  return exists(source) ? source : std::string();
}

template <class Get>
std::string property_text(const Get& get) {
  const ssize_t length = get(nullptr, 0);
  if (length < 0) return {};
  std::string text(static_cast<std::size_t>(length) + 1, '\0');
  get(text.data(), text.size());
  text.resize(static_cast<std::size_t>(length));
  return text;
}

// Whether `name` (an absolute path inside the file) links to a dataset in `file_id`.
bool has_dataset(hid_t file_id, const std::string& name) {
  std::string prefix;
  for (std::size_t start = 0; start < name.size();) {
    const std::size_t end = name.find('/', start);
    const std::string part = name.substr(start, end == std::string::npos ? std::string::npos : end - start);
    start = end == std::string::npos ? name.size() : end + 1;
    if (part.empty()) continue;
    prefix += "/" + part;
    if (H5Lexists(file_id, prefix.c_str(), H5P_DEFAULT) <= 0) {
      H5Eclear2(H5E_DEFAULT);
      return false;
    }
  }
  H5O_info_t info{};
  if (H5Oget_info_by_name(file_id, name.c_str(), &info, H5P_DEFAULT) < 0) {
    H5Eclear2(H5E_DEFAULT);
    return false;
  }
  return info.type == H5O_TYPE_DATASET;
}

// The extent of dataset `name` in `file_id`, or empty when it cannot be read.
std::vector<hsize_t> extent_of(hid_t file_id, const std::string& name) {
  const hid_t dataset = H5Dopen2(file_id, name.c_str(), H5P_DEFAULT);
  if (dataset < 0) {
    H5Eclear2(H5E_DEFAULT);
    return {};
  }
  Handle owned(dataset);
  Handle space(H5Dget_space(dataset));
  if (!space.valid()) return {};
  const int rank = H5Sget_simple_extent_ndims(space.id());
  std::vector<hsize_t> dims(static_cast<std::size_t>(std::max(rank, 0)));
  if (rank > 0) H5Sget_simple_extent_dims(space.id(), dims.data(), nullptr);
  return dims;
}

void check_virtual(hid_t dcpl, hid_t file_id, const std::string& file, const std::string& name) {
  const std::string where = file + ":" + name;
  std::size_t count = 0;
  COACT_H5_CHECK(H5Pget_virtual_count(dcpl, &count), where);
  for (std::size_t i = 0; i < count; ++i) {
    const std::string source = property_text([&](char* out, std::size_t size) { return H5Pget_virtual_filename(dcpl, i, out, size); });
    const std::string dataset = property_text([&](char* out, std::size_t size) { return H5Pget_virtual_dsetname(dcpl, i, out, size); });
    if (source.find('%') != std::string::npos || dataset.find('%') != std::string::npos)
      throw InputError(str(where, ": virtual dataset maps a source name pattern ('", source, "', '", dataset,
                           "') that coact does not resolve; store the data in the file"));
    hid_t source_file = file_id;
    Handle opened;
    std::string source_path = file;
    if (source != ".") {
      source_path = locate(source, file);
      if (source_path.empty())
        throw InputError(str(where, ": virtual dataset's source file '", source, "' (dataset '", dataset,
                             "') is missing; HDF5 would read it as zeros"));
      const hid_t id = H5Fopen(source_path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT);
      if (id < 0) {
        H5Eclear2(H5E_DEFAULT);
        throw InputError(str(where, ": virtual dataset's source file '", source_path, "' is not a readable HDF5 file"));
      }
      opened = Handle(id);
      source_file = id;
    }
    if (!has_dataset(source_file, dataset))
      throw InputError(str(where, ": virtual dataset's source '", source_path, "' has no dataset '", dataset,
                           "'; HDF5 would read it as zeros"));
    // A mapping that does not fit its source fails deep inside the read with an HDF5 message
    // that names neither: say which source is too small here instead.
    Handle selection(H5Pget_virtual_srcspace(dcpl, i));
    const std::vector<hsize_t> extent = extent_of(source_file, dataset);
    if (selection.valid() && !extent.empty() && H5Sget_select_type(selection.id()) == H5S_SEL_ALL) {
      // The whole source maps onto the virtual selection: their sizes must agree.
      Handle mapped(H5Pget_virtual_vspace(dcpl, i));
      hsize_t elements = 1;
      for (const hsize_t e : extent) elements *= e;
      const hssize_t wanted = mapped.valid() ? H5Sget_select_npoints(mapped.id()) : -1;
      if (wanted >= 0 && static_cast<hsize_t>(wanted) != elements)
        throw InputError(str(where, ": virtual dataset maps ", wanted, " values from '", source_path, ":", dataset,
                             "', which holds ", elements));
    } else if (selection.valid() && !extent.empty()) {
      std::vector<hsize_t> start(extent.size()), end(extent.size());
      if (H5Sget_simple_extent_ndims(selection.id()) == static_cast<int>(extent.size()) &&
          H5Sget_select_bounds(selection.id(), start.data(), end.data()) >= 0) {
        for (std::size_t axis = 0; axis < extent.size(); ++axis)
          if (end[axis] >= extent[axis])
            throw InputError(str(where, ": virtual dataset maps rows up to ", end[axis], " of '", source_path, ":",
                                 dataset, "' along axis ", axis, ", which has only ", extent[axis]));
      }
      H5Eclear2(H5E_DEFAULT);
    }
  }
}

// The folder to resolve the external files against: "" for HDF5's default (the working
// directory), the HDF5 file's folder when the files are only found there. InputError naming
// the first external file found in neither place, or shorter than the bytes it must hold.
std::string check_external(hid_t dcpl, int count, const std::string& file, const std::string& name) {
  const std::string where = file + ":" + name;
  std::string prefix;
  for (int i = 0; i < count; ++i) {
    char buffer[4096] = {};
    off_t offset = 0;
    hsize_t size = 0;
    COACT_H5_CHECK(H5Pget_external(dcpl, static_cast<unsigned>(i), sizeof buffer, buffer, &offset, &size), where);
    const std::string external = buffer;
    std::string found;
    if (exists(external) && prefix.empty()) {
      found = external;
    } else if (!fs::path(external).is_absolute()) {
      const std::string beside = (fs::path(folder_of(file)) / external).string();
      if (exists(beside)) {
        found = beside;
        prefix = folder_of(file);
      }
    }
    if (found.empty())
      throw InputError(str(where, ": external data file '", external, "' is missing (looked in the working directory and beside ", file, ")"));
    struct stat st {};
    ::stat(found.c_str(), &st);
    if (size != H5F_UNLIMITED && static_cast<hsize_t>(st.st_size) < static_cast<hsize_t>(offset) + size)
      throw InputError(str(where, ": external data file '", found, "' has ", st.st_size, " bytes, expected at least ",
                           static_cast<hsize_t>(offset) + size));
  }
  return prefix;
}

}  // namespace

Handle checked_dataset(Handle dataset, hid_t file_id, const std::string& file, const std::string& name) {
  const std::string where = file + ":" + name;
  Handle dcpl(COACT_H5_CHECK(H5Dget_create_plist(dataset.id()), where));
  const H5D_layout_t layout = H5Pget_layout(dcpl.id());
  if (layout == H5D_VIRTUAL) {
    check_virtual(dcpl.id(), file_id, file, name);
    return dataset;
  }
  const int external = H5Pget_external_count(dcpl.id());
  if (external <= 0) return dataset;
  const std::string prefix = check_external(dcpl.id(), external, file, name);
  if (prefix.empty()) return dataset;
  Handle dapl(COACT_H5_CHECK(H5Pcreate(H5P_DATASET_ACCESS), where));
  COACT_H5_CHECK(H5Pset_efile_prefix(dapl.id(), prefix.c_str()), where);
  dataset.close();  // HDF5 refuses a second open of a dataset with a different prefix
  return Handle(COACT_H5_CHECK(H5Dopen2(file_id, name.c_str(), dapl.id()), where));
}

bool has_external_storage(hid_t dataset) {
  const hid_t dcpl = H5Dget_create_plist(dataset);
  if (dcpl < 0) {
    H5Eclear2(H5E_DEFAULT);
    return false;
  }
  Handle owned(dcpl);
  return H5Pget_external_count(dcpl) > 0;
}

}  // namespace coact::io::detail
