// NCCL implementation of Comm (built only with CUDA).
#include <cuda_runtime.h>
#include <mpi.h>
#include <nccl.h>

#include "cuda_check.h"
#include "coact/dist/nccl.h"
#include "cuda/nccl_check.h"

namespace coact::dist {
namespace {

ncclDataType_t to_nccl(DType type) {
  switch (type) {
    case DType::F32: return ncclFloat32;
    case DType::F64: return ncclFloat64;
    case DType::I32: return ncclInt32;
    case DType::I64: return ncclInt64;
    case DType::U64: return ncclUint64;
    case DType::U8: return ncclUint8;
  }
  return ncclUint8;
}

class NcclComm final : public Comm {
 public:
  NcclComm(MpiComm& mpi, backend::Backend& gpu)
      : rank_(mpi.rank()), size_(mpi.size()), stream_(static_cast<cudaStream_t>(gpu.native_stream())) {
    ncclUniqueId id{};
    if (mpi.is_root()) COACT_NCCL_CHECK(ncclGetUniqueId(&id));
    mpi.broadcast(&id, sizeof id, 0);
    COACT_CUDA_CHECK(cudaSetDevice(gpu.device_index()));
    COACT_NCCL_CHECK(ncclCommInitRank(&comm_, size_, id, rank_));
    COACT_CUDA_CHECK(cudaMalloc(&scratch_, sizeof(float)));
  }
  ~NcclComm() override {
    if (scratch_) cudaFree(scratch_);
    if (comm_) ncclCommDestroy(comm_);
  }

  int rank() const override { return rank_; }
  int size() const override { return size_; }
  bool device_buffers() const override { return true; }
  std::string name() const override { return "nccl"; }

  void allreduce_sum(void* data, std::size_t count, DType type) override {
    COACT_NCCL_CHECK(ncclAllReduce(data, data, count, to_nccl(type), ncclSum, comm_, stream_));
    COACT_CUDA_CHECK(cudaStreamSynchronize(stream_));
  }
  void broadcast(void* data, std::size_t bytes, int root) override {
    COACT_NCCL_CHECK(ncclBroadcast(data, data, bytes, ncclUint8, root, comm_, stream_));
    COACT_CUDA_CHECK(cudaStreamSynchronize(stream_));
  }
  void allgather(const void* send, void* recv, std::size_t bytes_per_rank) override {
    COACT_NCCL_CHECK(ncclAllGather(send, recv, bytes_per_rank, ncclUint8, comm_, stream_));
    COACT_CUDA_CHECK(cudaStreamSynchronize(stream_));
  }
  void barrier() override {
    // NCCL has no barrier: a one-element allreduce orders the ranks just as well.
    COACT_NCCL_CHECK(ncclAllReduce(scratch_, scratch_, 1, ncclFloat32, ncclSum, comm_, stream_));
    COACT_CUDA_CHECK(cudaStreamSynchronize(stream_));
  }

 private:
  int rank_;
  int size_;
  cudaStream_t stream_;
  ncclComm_t comm_ = nullptr;
  float* scratch_ = nullptr;
};

}  // namespace

namespace nccl_impl {
std::unique_ptr<Comm> make(MpiComm& mpi, backend::Backend& gpu) { return std::make_unique<NcclComm>(mpi, gpu); }
std::string version() {
  int code = 0;
  if (ncclGetVersion(&code) != ncclSuccess) return "?";
  // NCCL_VERSION(X,Y,Z) = X*10000 + Y*100 + Z for 2.9+.
  return std::to_string(code / 10000) + "." + std::to_string((code / 100) % 100) + "." + std::to_string(code % 100);
}
}  // namespace nccl_impl

}  // namespace coact::dist
