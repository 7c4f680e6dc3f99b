// Stream-ordered temporary device memory for one op (CUB temp storage, sort keys). Buffer<T>
// (coact/backend/buffer.h) is C++20 and stays out of nvcc's C++17 translation units.
#pragma once

#include <cstddef>

#include "coact/backend/backend.h"

namespace coact::backend::cuda {

class DeviceScratch {
 public:
  DeviceScratch(Backend& backend, std::size_t bytes) : backend_(backend), data_(backend.allocate_bytes(bytes)) {}
  ~DeviceScratch() { backend_.free_bytes(data_); }
  DeviceScratch(const DeviceScratch&) = delete;
  DeviceScratch& operator=(const DeviceScratch&) = delete;

  template <class T = unsigned char>
  T* as() const {
    return static_cast<T*>(data_);
  }

 private:
  Backend& backend_;
  void* data_;
};

}  // namespace coact::backend::cuda
