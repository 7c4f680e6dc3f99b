// Typed, owning device memory of one backend (RAII). Moves, never copies.
#pragma once

#include <cstddef>
#include <span>
#include <utility>
#include <vector>

#include "coact/backend/backend.h"
#include "coact/core/errors.h"

namespace coact::backend {

template <class T>
class Buffer {
 public:
  Buffer() = default;
  Buffer(Backend& backend, std::size_t count)
      : backend_(&backend), count_(count),
        data_(count ? static_cast<T*>(backend.allocate_bytes(count * sizeof(T))) : nullptr) {}
  ~Buffer() { reset(); }
  Buffer(Buffer&& other) noexcept
      : backend_(std::exchange(other.backend_, nullptr)), count_(std::exchange(other.count_, 0)),
        data_(std::exchange(other.data_, nullptr)) {}
  Buffer& operator=(Buffer&& other) noexcept {
    if (this != &other) {
      reset();
      backend_ = std::exchange(other.backend_, nullptr);
      count_ = std::exchange(other.count_, 0);
      data_ = std::exchange(other.data_, nullptr);
    }
    return *this;
  }
  Buffer(const Buffer&) = delete;
  Buffer& operator=(const Buffer&) = delete;

  T* data() { return data_; }
  const T* data() const { return data_; }
  std::size_t size() const { return count_; }
  std::size_t bytes() const { return count_ * sizeof(T); }
  Backend* backend() const { return backend_; }

  void zero() {
    if (count_) backend_->zero_bytes(data_, bytes());
  }
  void copy_from_host(std::span<const T> host) {
    COACT_REQUIRE(host.size() == count_, Error, "Buffer::copy_from_host: ", host.size(), " elements into ", count_);
    if (count_) backend_->copy_bytes(data_, host.data(), bytes(), CopyKind::HostToDevice);
  }
  void copy_to_host(std::span<T> host) const {
    COACT_REQUIRE(host.size() == count_, Error, "Buffer::copy_to_host: ", count_, " elements into ", host.size());
    if (count_) backend_->copy_bytes(host.data(), data_, bytes(), CopyKind::DeviceToHost);
  }
  std::vector<T> to_host() const {
    std::vector<T> host(count_);
    copy_to_host(host);
    return host;
  }

 private:
  void reset() noexcept {
    if (data_ && backend_) backend_->free_bytes(data_);
    data_ = nullptr;
    count_ = 0;
  }

  Backend* backend_ = nullptr;
  std::size_t count_ = 0;
  T* data_ = nullptr;
};

}  // namespace coact::backend
