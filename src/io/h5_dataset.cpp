// Dataset: shapes, types and hyperslab transfers (collective in parallel files).
#include "h5_internal.h"

namespace coact::io {

Dataset::Dataset(Handle handle, std::string file, std::string name, bool collective)
    : handle_(std::move(handle)), file_(std::move(file)), name_(std::move(name)), collective_(collective) {}

Shape Dataset::shape() const {
  COACT_H5_LOCK();
  Handle space(COACT_H5_CHECK(H5Dget_space(handle_.id()), where()));
  const int rank = COACT_H5_CHECK(H5Sget_simple_extent_ndims(space.id()), where());
  std::vector<hsize_t> dims(static_cast<std::size_t>(rank));
  COACT_H5_CHECK(H5Sget_simple_extent_dims(space.id(), dims.data(), nullptr), where());
  return Shape(dims.begin(), dims.end());
}

ElementType Dataset::element_type() const {
  COACT_H5_LOCK();
  Handle type(COACT_H5_CHECK(H5Dget_type(handle_.id()), where()));
  return detail::element_type_from(type.id());
}

Shape Dataset::chunk_shape() const {
  COACT_H5_LOCK();
  Handle dcpl(COACT_H5_CHECK(H5Dget_create_plist(handle_.id()), where()));
  if (H5Pget_layout(dcpl.id()) != H5D_CHUNKED) return {};
  std::vector<hsize_t> chunk(32);
  const int rank = COACT_H5_CHECK(H5Pget_chunk(dcpl.id(), static_cast<int>(chunk.size()), chunk.data()), where());
  return Shape(chunk.begin(), chunk.begin() + rank);
}

void Dataset::transfer(bool is_write, void* buffer, ElementType memory_type, const Shape& offset,
                       const Shape& count) const {
  COACT_H5_LOCK();
  const Shape dims = shape();
  const Shape start = offset.empty() ? Shape(dims.size(), 0) : offset;
  const Shape extent = count.empty() ? dims : count;
  if (start.size() != dims.size() || extent.size() != dims.size())
    throw Error(str(where(), ": selection of rank ", extent.size(), " on a dataset of rank ", dims.size()));
  std::int64_t total = 1;
  for (std::size_t i = 0; i < dims.size(); ++i) {
    if (start[i] < 0 || extent[i] < 0 || start[i] + extent[i] > dims[i])
      throw InputError(str(where(), ": selection ", shape_string(start), " + ", shape_string(extent),
                           " is outside the dataset's shape ", shape_string(dims)));
    total *= extent[i];
  }

  Handle file_space(COACT_H5_CHECK(H5Dget_space(handle_.id()), where()));
  std::vector<hsize_t> h_start(start.begin(), start.end()), h_count(extent.begin(), extent.end());
  Handle memory_space;
  if (total == 0) {
    // A rank with nothing to move still takes part in a collective transfer.
    COACT_H5_CHECK(H5Sselect_none(file_space.id()), where());
    const hsize_t one = 1;
    memory_space = Handle(COACT_H5_CHECK(H5Screate_simple(1, &one, nullptr), where()));
    COACT_H5_CHECK(H5Sselect_none(memory_space.id()), where());
  } else {
    if (!dims.empty())
      COACT_H5_CHECK(H5Sselect_hyperslab(file_space.id(), H5S_SELECT_SET, h_start.data(), nullptr, h_count.data(), nullptr),
                     where());
    memory_space = dims.empty() ? Handle(COACT_H5_CHECK(H5Screate(H5S_SCALAR), where()))
                                : Handle(COACT_H5_CHECK(H5Screate_simple(static_cast<int>(h_count.size()), h_count.data(), nullptr), where()));
  }

  Handle dxpl(COACT_H5_CHECK(H5Pcreate(H5P_DATASET_XFER), where()));
  if (collective_) COACT_H5_CHECK(H5Pset_dxpl_mpio(dxpl.id(), H5FD_MPIO_COLLECTIVE), where());
  const hid_t memory = detail::h5_type(memory_type);
  if (is_write)
    COACT_H5_CHECK(H5Dwrite(handle_.id(), memory, memory_space.id(), file_space.id(), dxpl.id(), buffer), where());
  else
    COACT_H5_CHECK(H5Dread(handle_.id(), memory, memory_space.id(), file_space.id(), dxpl.id(), buffer), where());
  if (collective_) {
    H5D_mpio_actual_io_mode_t mode{};
    if (H5Pget_mpio_actual_io_mode(dxpl.id(), &mode) >= 0) last_io_mode_ = static_cast<std::int64_t>(mode);
  }
}

void Dataset::read_raw(void* out, const Shape& offset, const Shape& count) const {
  transfer(false, out, element_type(), offset, count);
}

void Dataset::write_raw(const void* data, ElementType memory_type, const Shape& offset, const Shape& count) {
  transfer(true, const_cast<void*>(data), memory_type, offset, count);
}

void Dataset::extend(std::int64_t rows) {
  COACT_H5_LOCK();
  Shape dims = shape();
  COACT_REQUIRE(!dims.empty() && rows >= 0, Error, where(), ": cannot extend to ", rows, " rows");
  dims[0] = rows;
  std::vector<hsize_t> size(dims.begin(), dims.end());
  COACT_H5_CHECK(H5Dset_extent(handle_.id(), size.data()), where());
}

std::string Dataset::last_transfer_mode() const {
  switch (last_io_mode_) {
    case -1: return "none";
    case H5D_MPIO_NO_COLLECTIVE: return "independent";
    case H5D_MPIO_CHUNK_INDEPENDENT: return "chunk-independent";
    case H5D_MPIO_CHUNK_COLLECTIVE: return "chunk-collective";
    case H5D_MPIO_CHUNK_MIXED: return "chunk-mixed";
    case H5D_MPIO_CONTIGUOUS_COLLECTIVE: return "contiguous-collective";
    default: return "unknown";
  }
}

}  // namespace coact::io
