// Large host allocations that say what they are for. A bare std::bad_alloc reaches the user as
// "out of memory" with no hint of which buffer or which setting caused it; these helpers turn
// it into an OutOfMemoryError naming the buffer's purpose, its size and, where one sets it, the
// flag to lower: "out of memory: cannot allocate 12.0 GiB for the edge map of batch 3 (lower
// --batch-tokens)". Use them for buffers whose size grows with the data or a flag (edge maps,
// node vectors, parameter copies, read buffers), not for small fixed ones.
#pragma once

#include <cstddef>
#include <cstdint>
#include <limits>
#include <new>
#include <stdexcept>
#include <string_view>
#include <utility>
#include <vector>

#include "coact/core/errors.h"

namespace coact {

// What an allocation is for, for the error message.
struct AllocationPurpose {
  std::string_view what;       // "the co-activation edge map", "W_enc of sae_52.h5"
  std::string_view flag = {};  // the flag that sizes it ("--batch-tokens"), or empty
};

// Throws OutOfMemoryError "out of memory: cannot allocate <size> for <what>[ (lower <flag>)]".
[[noreturn]] void throw_out_of_memory(const AllocationPurpose& purpose, double bytes);

// Runs `allocate` (any code that allocates about `bytes`) and turns std::bad_alloc and
// std::length_error (a size beyond what the allocator can represent) into OutOfMemoryError.
template <class Allocate>
decltype(auto) allocating(const AllocationPurpose& purpose, double bytes, Allocate&& allocate) {
  try {
    return std::forward<Allocate>(allocate)();
  } catch (const std::bad_alloc&) {
    throw_out_of_memory(purpose, bytes);
  } catch (const std::length_error&) {
    throw_out_of_memory(purpose, bytes);
  }
}

// A vector of `count` copies of `value`, or OutOfMemoryError naming `purpose`.
template <class T>
std::vector<T> allocate_vector(const AllocationPurpose& purpose, std::size_t count, const T& value = T{}) {
  const double bytes = static_cast<double>(count) * static_cast<double>(sizeof(T));
  return allocating(purpose, bytes, [&] { return std::vector<T>(count, value); });
}

// vector.resize(count) (new elements value-initialised), or OutOfMemoryError naming `purpose`.
template <class T>
void resize_vector(std::vector<T>& vector, std::size_t count, const AllocationPurpose& purpose) {
  const double bytes = static_cast<double>(count) * static_cast<double>(sizeof(T));
  allocating(purpose, bytes, [&] { vector.resize(count); });
}

// vector.reserve(count), or OutOfMemoryError naming `purpose`.
template <class T>
void reserve_vector(std::vector<T>& vector, std::size_t count, const AllocationPurpose& purpose) {
  const double bytes = static_cast<double>(count) * static_cast<double>(sizeof(T));
  allocating(purpose, bytes, [&] { vector.reserve(count); });
}

}  // namespace coact
