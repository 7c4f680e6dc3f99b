// Collective communication between ranks. `Comm` is the interface the trainer and graph
// builder use; MpiComm works on host buffers, NcclComm (CUDA build) on device buffers of the
// rank's GPU. Every call is collective over the communicator's ranks.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <type_traits>

namespace coact::dist {

enum class DType { F32, F64, I32, I64, U64, U8 };

std::size_t dtype_size(DType type);

template <class T>
constexpr DType dtype_of() {
  if constexpr (std::is_same_v<T, float>) return DType::F32;
  else if constexpr (std::is_same_v<T, double>) return DType::F64;
  else if constexpr (std::is_same_v<T, std::int32_t>) return DType::I32;
  else if constexpr (std::is_same_v<T, std::int64_t>) return DType::I64;
  else if constexpr (std::is_same_v<T, std::uint64_t>) return DType::U64;
  else {
    static_assert(std::is_same_v<T, std::uint8_t>, "unsupported element type for Comm");
    return DType::U8;
  }
}

class Comm {
 public:
  virtual ~Comm() = default;

  virtual int rank() const = 0;
  virtual int size() const = 0;
  bool is_root() const { return rank() == 0; }
  // True when buffers must be device memory (NCCL), false for host memory (MPI).
  virtual bool device_buffers() const = 0;
  virtual std::string name() const = 0;  // "mpi" or "nccl"

  // In place: data[i] = sum over ranks of data[i].
  virtual void allreduce_sum(void* data, std::size_t count, DType type) = 0;
  // bytes from root's buffer to everyone's.
  virtual void broadcast(void* data, std::size_t bytes, int root) = 0;
  // recv holds size() blocks of `bytes_per_rank`; block r comes from rank r.
  virtual void allgather(const void* send, void* recv, std::size_t bytes_per_rank) = 0;
  virtual void barrier() = 0;

  template <class T>
  void allreduce_sum(std::span<T> data) {
    allreduce_sum(data.data(), data.size(), dtype_of<std::remove_const_t<T>>());
  }
  template <class T>
  T allreduce_sum(T value) {
    allreduce_sum(&value, 1, dtype_of<T>());
    return value;
  }
  template <class T>
  void broadcast(std::span<T> data, int root) {
    broadcast(data.data(), data.size_bytes(), root);
  }
  template <class T>
  T broadcast_value(T value, int root) {
    static_assert(std::is_trivially_copyable_v<T>);
    broadcast(&value, sizeof(T), root);
    return value;
  }
};

}  // namespace coact::dist
