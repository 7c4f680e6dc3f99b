// The MPI process model: RAII initialisation, the world communicator, communicator splits for
// seed groups, and the abort that takes every rank down when one fails. coact runs as a single
// process without mpirun too (MPI singleton). This module is the only user of mpi.h.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "coact/dist/comm.h"

namespace coact::dist {

// Host-buffer collectives over an MPI communicator.
class MpiComm final : public Comm {
 public:
  // Wraps a communicator given by address (an MPI_Comm*); `owned` ones are freed on destruction.
  MpiComm(const void* mpi_comm_address, bool owned);
  ~MpiComm() override;
  MpiComm(const MpiComm&) = delete;
  MpiComm& operator=(const MpiComm&) = delete;

  int rank() const override { return rank_; }
  int size() const override { return size_; }
  bool device_buffers() const override { return false; }
  std::string name() const override { return "mpi"; }

  void allreduce_sum(void* data, std::size_t count, DType type) override;
  void broadcast(void* data, std::size_t bytes, int root) override;
  void allgather(const void* send, void* recv, std::size_t bytes_per_rank) override;
  void barrier() override;
  using Comm::allreduce_sum;
  using Comm::broadcast;

  // Ranks with the same colour form a new communicator, ordered by key (MPI_Comm_split).
  std::unique_ptr<MpiComm> split(int color, int key) const;

  // Variable-size exchange: rank r sends send_counts[q] bytes to q from send at send_offsets[q]
  // and receives recv_counts[q] bytes from q (sizes exchanged first by the caller or with
  // exchange_counts). Counts above 2^31 are sent in pieces.
  void alltoallv(const void* send, const std::vector<std::size_t>& send_counts, void* recv,
                 const std::vector<std::size_t>& recv_counts) const;
  // Each rank's send_counts[q] becomes q's recv_counts[r].
  std::vector<std::size_t> exchange_counts(const std::vector<std::size_t>& send_counts) const;
  // Root receives every rank's bytes (any size) concatenated in rank order; others get {}.
  std::vector<std::uint8_t> gather_bytes(const void* send, std::size_t bytes, int root) const;

  // Address of the MPI_Comm, for the io module's parallel HDF5 (opaque here so that users of
  // this header need no mpi.h).
  const void* native_handle() const;

 private:
  struct Handle;
  std::unique_ptr<Handle> handle_;
  bool owned_;
  int rank_ = 0;
  int size_ = 1;
};

class MpiRuntime {
 public:
  // Initialises MPI (thread level FUNNELED: only the main thread calls MPI) unless it already
  // is, e.g. by a test main. Finalises on destruction if it initialised.
  MpiRuntime(int* argc, char*** argv);
  ~MpiRuntime();
  MpiRuntime(const MpiRuntime&) = delete;
  MpiRuntime& operator=(const MpiRuntime&) = delete;

  MpiComm& world() { return *world_; }
  int rank() const { return world_->rank(); }
  int size() const { return world_->size(); }
  bool is_root() const { return world_->rank() == 0; }
  // Rank among the ranks on this host, and how many there are: picks the GPU.
  int local_rank() const { return local_rank_; }
  int local_size() const { return local_size_; }
  int host_count() const { return host_count_; }

  // Ends the whole job now (MPI_Abort on MPI_COMM_WORLD): used when one rank fails, so the
  // others never hang in a collective waiting for it.
  [[noreturn]] static void abort(int exit_code) noexcept;

 private:
  bool initialised_here_ = false;
  std::unique_ptr<MpiComm> world_;
  int local_rank_ = 0;
  int local_size_ = 1;
  int host_count_ = 1;
};

// "Open MPI v4.1.4, ..." (first line of MPI_Get_library_version) and the MPI standard level.
std::string mpi_library_version();
// Name of this host (MPI_Get_processor_name).
std::string processor_name();
// Whether MPI is initialised and not yet finalised.
bool mpi_active();

}  // namespace coact::dist
