// Small collectives the blocked matcher builds from dist::Comm's allgather and allreduce: a
// gather of variable-size byte records, minima and maxima over ranks, and a byte packer.
// Internal to the compare module.
#pragma once

#include <cstdint>
#include <cstring>
#include <span>
#include <type_traits>
#include <vector>

#include "coact/core/errors.h"
#include "coact/dist/comm.h"

namespace coact::compare::blocked {

// Every rank's bytes, concatenated in rank order, on every rank (one allgather of the sizes,
// one of the records padded to the longest).
std::vector<std::uint8_t> gather_bytes(dist::Comm& comm, const std::vector<std::uint8_t>& mine);

double min_over_ranks(dist::Comm& comm, double value);
std::int64_t max_over_ranks(dist::Comm& comm, std::int64_t value);

// Appends trivially copyable values to a byte vector.
class BytePacker {
 public:
  template <class T>
  void put(const T& value) {
    static_assert(std::is_trivially_copyable_v<T>);
    const auto* p = reinterpret_cast<const std::uint8_t*>(&value);
    bytes_.insert(bytes_.end(), p, p + sizeof(T));
  }
  template <class T>
  void put_all(std::span<const T> values) {
    static_assert(std::is_trivially_copyable_v<T>);
    const auto* p = reinterpret_cast<const std::uint8_t*>(values.data());
    bytes_.insert(bytes_.end(), p, p + values.size_bytes());
  }
  std::vector<std::uint8_t>& bytes() { return bytes_; }

 private:
  std::vector<std::uint8_t> bytes_;
};

// Reads back what BytePacker wrote, in the same order.
class ByteReader {
 public:
  explicit ByteReader(std::span<const std::uint8_t> bytes) : bytes_(bytes) {}
  bool done() const { return at_ == bytes_.size(); }
  template <class T>
  T get() {
    static_assert(std::is_trivially_copyable_v<T>);
    COACT_REQUIRE(at_ + sizeof(T) <= bytes_.size(), Error, "ByteReader: read past the end of a record");
    T value;
    std::memcpy(&value, bytes_.data() + at_, sizeof(T));
    at_ += sizeof(T);
    return value;
  }

 private:
  std::span<const std::uint8_t> bytes_;
  std::size_t at_ = 0;
};

}  // namespace coact::compare::blocked
