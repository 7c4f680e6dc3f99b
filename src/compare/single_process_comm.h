// A communicator of one process, with no MPI underneath: the comparison's single-process
// entry points run the collective code on it. Internal to the compare module.
#pragma once

#include <cstring>

#include "coact/dist/comm.h"

namespace coact::compare {

class SingleProcessComm final : public dist::Comm {
 public:
  int rank() const override { return 0; }
  int size() const override { return 1; }
  bool device_buffers() const override { return false; }
  std::string name() const override { return "single process"; }
  void allreduce_sum(void*, std::size_t, dist::DType) override {}
  void broadcast(void*, std::size_t, int) override {}
  void allgather(const void* send, void* recv, std::size_t bytes_per_rank) override {
    if (bytes_per_rank > 0 && send != recv) std::memmove(recv, send, bytes_per_rank);
  }
  void barrier() override {}
  using Comm::allreduce_sum;
  using Comm::broadcast;
};

}  // namespace coact::compare
