#include "h5_internal.h"

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <string_view>
#include <vector>

namespace coact::io::detail {

std::recursive_mutex& h5_mutex() {
  static std::recursive_mutex mutex;
  return mutex;
}

void ensure_initialised() {
  static std::once_flag once;
  std::call_once(once, [] {
    COACT_H5_LOCK();
    H5open();
    H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);
  });
}

namespace {
herr_t collect(unsigned, const H5E_error2_t* entry, void* data) {
  auto* messages = static_cast<std::vector<std::string>*>(data);
  if (entry->desc && *entry->desc) messages->emplace_back(entry->desc);
  return 0;
}
}  // namespace

std::string error_stack_message() {
  std::vector<std::string> messages;
  H5Ewalk2(H5E_DEFAULT, H5E_WALK_DOWNWARD, collect, &messages);
  H5Eclear2(H5E_DEFAULT);
  if (messages.empty()) return "unknown HDF5 error";
  // The first entry is what the API call tried; the last is the root cause.
  if (messages.size() == 1) return messages.front();
  return messages.front() + ": " + messages.back();
}

namespace {

// What an HDF5 call was doing, in words, from its name ("H5Dread(...)" -> "read the data").
const char* action_of(std::string_view call) {
  const std::string_view name = call.substr(0, call.find('('));
  struct Action {
    std::string_view prefix;
    const char* words;
  };
  static constexpr Action actions[] = {
      {"H5Dread", "read the data"},          {"H5Dwrite", "write the data"},
      {"H5Dcreate", "create the dataset"},   {"H5Aread", "read the attribute"},
      {"H5Awrite", "write the attribute"},   {"H5Acreate", "create the attribute"},
      {"H5Adelete", "replace the attribute"}, {"H5Aopen", "open the attribute"},
      {"H5Aiterate", "list the attributes"}, {"H5Aget", "inspect the attribute"},
      {"H5Gcreate", "create the group"},     {"H5Gopen", "open the group"},
      {"H5Oopen", "open the object"},        {"H5Ovisit", "list the datasets"},
      {"H5Literate", "list the group"},      {"H5Fflush", "flush the file to disk"},
      {"H5Dget_chunk", "inspect the chunks"}, {"H5Dget_num_chunks", "inspect the chunks"},
      {"H5Dget", "inspect the dataset"},     {"H5S", "select the data"},
      {"H5Pset_fapl_mpio", "set up parallel (MPI-IO) access"},
      {"H5P", "set up the HDF5 properties"}, {"H5?close", "close an HDF5 object"},
  };
  for (const auto& action : actions)
    if (name.rfind(action.prefix, 0) == 0) return action.words;
  return "access the file";
}

}  // namespace

void throw_h5(const char* call, const char* file, int line, const std::string& where) {
  const std::string detail = error_stack_message();
  // A full disk (or quota, or file size limit) is the user's to fix, not a library failure:
  // say so plainly instead of quoting HDF5's low-level write report.
  if (const std::size_t at = detail.find("errno = "); at != std::string::npos) {
    const int code = std::atoi(detail.c_str() + at + 8);
    if (code == ENOSPC || code == EDQUOT || code == EFBIG)
      throw IoError(str(where.empty() ? std::string("HDF5 file") : where, ": cannot write: ", std::strerror(code)));
  }
  // The user's line says what failed on which file and object; the call and coact's source
  // location go to the debug context (--log-level debug).
  LibraryFailure failure = library_failure("HDF5", call, detail, file, line);
  failure.message = str(where.empty() ? std::string("HDF5") : where, ": cannot ", action_of(call), ": ", detail);
  throw Hdf5Error(failure);
}

hid_t h5_type(ElementType type) {
  switch (type) {
    case ElementType::F16: {
      // IEEE binary16, little-endian; HDF5 1.10 has no predefined half type. h5py maps this
      // layout to numpy.float16.
      static hid_t half = [] {
        hid_t t = H5Tcopy(H5T_IEEE_F32LE);
        H5Tset_fields(t, 15, 10, 5, 0, 10);
        H5Tset_size(t, 2);
        H5Tset_ebias(t, 15);
        H5Tlock(t);
        return t;
      }();
      return half;
    }
    case ElementType::F32: return H5T_NATIVE_FLOAT;
    case ElementType::F64: return H5T_NATIVE_DOUBLE;
    case ElementType::I8: return H5T_NATIVE_INT8;
    case ElementType::U8: return H5T_NATIVE_UINT8;
    case ElementType::I16: return H5T_NATIVE_INT16;
    case ElementType::U16: return H5T_NATIVE_UINT16;
    case ElementType::I32: return H5T_NATIVE_INT32;
    case ElementType::U32: return H5T_NATIVE_UINT32;
    case ElementType::I64: return H5T_NATIVE_INT64;
    case ElementType::U64: return H5T_NATIVE_UINT64;
    default: throw Error("HDF5 layer: no storage type for this element type");
  }
}

ElementType element_type_from(hid_t type) {
  const H5T_class_t cls = H5Tget_class(type);
  const std::size_t size = H5Tget_size(type);
  if (cls == H5T_FLOAT) {
    if (size == 2) return ElementType::F16;
    if (size == 4) return ElementType::F32;
    if (size == 8) return ElementType::F64;
    return ElementType::Other;
  }
  if (cls == H5T_INTEGER) {
    const bool is_signed = H5Tget_sign(type) == H5T_SGN_2;
    switch (size) {
      case 1: return is_signed ? ElementType::I8 : ElementType::U8;
      case 2: return is_signed ? ElementType::I16 : ElementType::U16;
      case 4: return is_signed ? ElementType::I32 : ElementType::U32;
      case 8: return is_signed ? ElementType::I64 : ElementType::U64;
      default: return ElementType::Other;
    }
  }
  if (cls == H5T_STRING) return ElementType::String;
  return ElementType::Other;
}

}  // namespace coact::io::detail
