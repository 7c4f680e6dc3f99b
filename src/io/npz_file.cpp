#include "coact/core/errors.h"
#include "coact/io/npy_header.h"
#include "coact/io/npz.h"
#include "coact/io/zip_reader.h"
#include "display_name.h"
#include "mapped_file.h"

namespace coact::io {
namespace {

// The tensor dtype of a .npy descr ('<f4', '|u1', ...): little-endian or byte-sized numbers only.
DType npy_dtype(const std::string& descr, const std::string& where) {
  static const struct {
    const char* descr;
    DType dtype;
  } known[] = {{"<f4", DType::F32}, {"<f2", DType::F16}, {"<f8", DType::F64}, {"<i8", DType::I64}, {"<i4", DType::I32},
               {"<i2", DType::I16}, {"|i1", DType::I8},  {"|u1", DType::U8},  {"<u2", DType::U16}, {"<u4", DType::U32},
               {"<u8", DType::U64}, {"|b1", DType::Bool}};
  for (const auto& k : known)
    if (descr == k.descr) return k.dtype;
  throw InputError(str(where, ": array dtype '", descr, "' is not supported (little-endian numbers and booleans are)"));
}

}  // namespace

NpzFile::NpzFile(const std::string& path) : TensorFile(path), file_(detail::MappedFile::open(path)) {
  zip_ = std::make_unique<ZipReader>(file_->bytes(), path);
  for (const ZipEntry& entry : zip_->entries()) {
    if (entry.name.size() <= 4 || entry.name.compare(entry.name.size() - 4, 4, ".npy") != 0)
      throw InputError(str(path, ": archive member ", detail::display_name(entry.name),
                           " is not a .npy array (not a numpy .npz file)"));
    const std::string name = entry.name.substr(0, entry.name.size() - 4);
    const std::string where = str(path, ": ", detail::display_name(name));
    ZipBlob blob = zip_->read(entry);
    const auto bytes = blob.bytes();
    const std::string prefix(reinterpret_cast<const char*>(bytes.data()),
                             std::min<std::size_t>(bytes.size(), (std::size_t{1} << 16) + 12));
    const NpyHeader header = parse_npy_header(prefix, where);
    TensorInfo info;
    info.name = name;
    info.dtype = npy_dtype(header.descr, where);
    info.shape = header.shape;
    const auto numel = checked_numel(info.shape);
    if (!numel) throw InputError(str(where, ": shape ", shape_string(info.shape), " overflows"));
    info.numel = *numel;
    std::uint64_t needed = 0;
    if (__builtin_mul_overflow(static_cast<std::uint64_t>(info.numel), dtype_size(info.dtype), &needed) ||
        bytes.size() - static_cast<std::size_t>(header.data_offset) < needed)
      throw InputError(str(where, ": holds ", bytes.size() - static_cast<std::size_t>(header.data_offset), " bytes of data, but ",
                           info.numel, " ", dtype_name(info.dtype), " elements need ", needed));
    TensorLayout layout;
    layout.base = bytes.data() + header.data_offset;
    layout.offset = 0;
    // C order: the last index moves fastest; Fortran order: the first.
    layout.strides.assign(info.shape.size(), 1);
    if (header.fortran_order) {
      for (std::size_t k = 1; k < info.shape.size(); ++k) layout.strides[k] = layout.strides[k - 1] * info.shape[k - 1];
    } else {
      for (std::size_t k = info.shape.size(); k-- > 1;) layout.strides[k - 1] = layout.strides[k] * info.shape[k];
    }
    tensors_.push_back(std::move(info));
    layouts_.push_back(std::move(layout));
    blobs_.push_back(std::move(blob));  // an inflated copy keeps its buffer (and `base`) when moved
  }
  index_tensors();
}

NpzFile::~NpzFile() = default;

TensorLayout NpzFile::layout(const TensorInfo& info) const {
  return layouts_.at(static_cast<std::size_t>(&info - tensors_.data()));
}

}  // namespace coact::io
