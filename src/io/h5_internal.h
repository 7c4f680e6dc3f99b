// Private helpers of the HDF5 layer: the process-wide lock, the check macro, type mapping.
#pragma once

#include <hdf5.h>

#include <mutex>
#include <string>

#include "coact/core/errors.h"
#include "coact/io/h5.h"

namespace coact::io::detail {

// Debian's parallel HDF5 is not thread-safe: every HDF5 call in coact holds this lock.
std::recursive_mutex& h5_mutex();
#define COACT_H5_LOCK() std::lock_guard<std::recursive_mutex> coact_h5_lock_(::coact::io::detail::h5_mutex())

// Turns off HDF5's own error printing once per process (we report errors ourselves).
void ensure_initialised();

// The innermost messages of HDF5's error stack, e.g. "unable to open file: truncated file".
std::string error_stack_message();

[[noreturn]] void throw_h5(const char* call, const char* file, int line, const std::string& where);

// A dataset just opened, checked for storage outside its file (h5_storage.cpp): a virtual
// dataset whose source file or dataset is missing throws InputError naming both; external
// storage whose files are missing or short throws InputError, and when its relative files lie
// beside the HDF5 file rather than in the working directory the dataset is reopened to read
// them there. Returns the handle to use.
Handle checked_dataset(Handle dataset, hid_t file_id, const std::string& file, const std::string& name);
// Whether the dataset's raw data lives in external files (not at an address in its file).
bool has_external_storage(hid_t dataset);

// Memory/storage type for an element type (F16 is a custom IEEE half).
hid_t h5_type(ElementType type);
ElementType element_type_from(hid_t type);

}  // namespace coact::io::detail

// Checks an HDF5 return value (negative = failure) and throws Hdf5Error whose message says what
// failed on `where` (file:object) in words, with the call and source location in its debug
// context.
#define COACT_H5_CHECK(call, where)                                               \
  ([&]() {                                                                       \
    auto coact_h5_status_ = (call);                                              \
    if (coact_h5_status_ < 0) ::coact::io::detail::throw_h5(#call, __FILE__, __LINE__, (where)); \
    return coact_h5_status_;                                                     \
  }())
