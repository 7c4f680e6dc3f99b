#include <mpi.h>

#include <algorithm>
#include <climits>

#include "coact/dist/mpi.h"
#include "mpi_check.h"

namespace coact::dist {

struct MpiComm::Handle {
  MPI_Comm comm;
};

namespace {

MPI_Datatype to_mpi(DType type) {
  switch (type) {
    case DType::F32: return MPI_FLOAT;
    case DType::F64: return MPI_DOUBLE;
    case DType::I32: return MPI_INT32_T;
    case DType::I64: return MPI_INT64_T;
    case DType::U64: return MPI_UINT64_T;
    case DType::U8: return MPI_UINT8_T;
  }
  return MPI_BYTE;
}

// MPI counts are int: large transfers go in pieces of at most this many elements.
constexpr std::size_t kMaxPiece = static_cast<std::size_t>(INT_MAX) / 2;

MPI_Comm as_comm(const void* address) { return *static_cast<const MPI_Comm*>(address); }

}  // namespace

std::size_t dtype_size(DType type) {
  switch (type) {
    case DType::F32: case DType::I32: return 4;
    case DType::F64: case DType::I64: case DType::U64: return 8;
    case DType::U8: return 1;
  }
  return 1;
}

MpiComm::MpiComm(const void* mpi_comm_address, bool owned)
    : handle_(std::make_unique<Handle>(Handle{as_comm(mpi_comm_address)})), owned_(owned) {
  COACT_MPI_CHECK(MPI_Comm_rank(handle_->comm, &rank_));
  COACT_MPI_CHECK(MPI_Comm_size(handle_->comm, &size_));
}

MpiComm::~MpiComm() {
  if (owned_ && mpi_active()) MPI_Comm_free(&handle_->comm);
}

const void* MpiComm::native_handle() const { return &handle_->comm; }

void MpiComm::allreduce_sum(void* data, std::size_t count, DType type) {
  auto* bytes = static_cast<std::uint8_t*>(data);
  const std::size_t element = dtype_size(type);
  for (std::size_t done = 0; done < count;) {
    const std::size_t piece = std::min(kMaxPiece, count - done);
    COACT_MPI_CHECK(MPI_Allreduce(MPI_IN_PLACE, bytes + done * element, static_cast<int>(piece), to_mpi(type), MPI_SUM,
                                  handle_->comm));
    done += piece;
  }
}

void MpiComm::broadcast(void* data, std::size_t bytes, int root) {
  auto* p = static_cast<std::uint8_t*>(data);
  for (std::size_t done = 0; done < bytes;) {
    const std::size_t piece = std::min(kMaxPiece, bytes - done);
    COACT_MPI_CHECK(MPI_Bcast(p + done, static_cast<int>(piece), MPI_BYTE, root, handle_->comm));
    done += piece;
  }
}

void MpiComm::allgather(const void* send, void* recv, std::size_t bytes_per_rank) {
  COACT_REQUIRE(bytes_per_rank <= kMaxPiece, Error, "MpiComm::allgather: ", bytes_per_rank,
                " bytes per rank is above the 1 GiB per-call limit");
  COACT_MPI_CHECK(MPI_Allgather(send, static_cast<int>(bytes_per_rank), MPI_BYTE, recv,
                                static_cast<int>(bytes_per_rank), MPI_BYTE, handle_->comm));
}

void MpiComm::barrier() { COACT_MPI_CHECK(MPI_Barrier(handle_->comm)); }

std::unique_ptr<MpiComm> MpiComm::split(int color, int key) const {
  MPI_Comm out = MPI_COMM_NULL;
  COACT_MPI_CHECK(MPI_Comm_split(handle_->comm, color, key, &out));
  COACT_MPI_CHECK(MPI_Comm_set_errhandler(out, MPI_ERRORS_RETURN));
  return std::make_unique<MpiComm>(&out, true);
}

std::vector<std::size_t> MpiComm::exchange_counts(const std::vector<std::size_t>& send_counts) const {
  COACT_REQUIRE(send_counts.size() == static_cast<std::size_t>(size_), Error, "MpiComm::exchange_counts: ",
                send_counts.size(), " counts for ", size_, " ranks");
  std::vector<std::uint64_t> send(send_counts.begin(), send_counts.end()), recv(send.size());
  COACT_MPI_CHECK(MPI_Alltoall(send.data(), 1, MPI_UINT64_T, recv.data(), 1, MPI_UINT64_T, handle_->comm));
  return {recv.begin(), recv.end()};
}

void MpiComm::alltoallv(const void* send, const std::vector<std::size_t>& send_counts, void* recv,
                        const std::vector<std::size_t>& recv_counts) const {
  // Point-to-point in rounds of bounded size: no int overflow however large a partition is.
  const auto* out = static_cast<const std::uint8_t*>(send);
  auto* in = static_cast<std::uint8_t*>(recv);
  std::vector<std::size_t> send_offset(size_ + 1, 0), recv_offset(size_ + 1, 0);
  for (int q = 0; q < size_; ++q) {
    send_offset[q + 1] = send_offset[q] + send_counts[q];
    recv_offset[q + 1] = recv_offset[q] + recv_counts[q];
  }
  std::vector<MPI_Request> requests;
  for (int q = 0; q < size_; ++q) {
    for (std::size_t done = 0; done < recv_counts[q]; done += kMaxPiece) {
      const std::size_t piece = std::min(kMaxPiece, recv_counts[q] - done);
      requests.emplace_back();
      COACT_MPI_CHECK(MPI_Irecv(in + recv_offset[q] + done, static_cast<int>(piece), MPI_BYTE, q, 7,
                                handle_->comm, &requests.back()));
    }
  }
  for (int q = 0; q < size_; ++q) {
    for (std::size_t done = 0; done < send_counts[q]; done += kMaxPiece) {
      const std::size_t piece = std::min(kMaxPiece, send_counts[q] - done);
      requests.emplace_back();
      COACT_MPI_CHECK(MPI_Isend(out + send_offset[q] + done, static_cast<int>(piece), MPI_BYTE, q, 7,
                                handle_->comm, &requests.back()));
    }
  }
  COACT_MPI_CHECK(MPI_Waitall(static_cast<int>(requests.size()), requests.data(), MPI_STATUSES_IGNORE));
}

std::vector<std::uint8_t> MpiComm::gather_bytes(const void* send, std::size_t bytes, int root) const {
  std::vector<std::size_t> send_counts(size_, 0);
  send_counts[root] = bytes;
  const std::vector<std::size_t> recv_counts = exchange_counts(send_counts);  // zeros except on root
  std::size_t total = 0;
  for (auto c : recv_counts) total += c;
  std::vector<std::uint8_t> out(total);
  alltoallv(send, send_counts, out.data(), recv_counts);
  return out;
}

}  // namespace coact::dist
