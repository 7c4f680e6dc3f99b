#include "coact/dist/nccl.h"

#include "coact/core/errors.h"

namespace coact::dist {

#if COACT_HAVE_CUDA
namespace nccl_impl {
std::unique_ptr<Comm> make(MpiComm& mpi, backend::Backend& gpu);
std::string version();
}  // namespace nccl_impl
#endif

bool nccl_compiled() {
#if COACT_HAVE_CUDA
  return true;
#else
  return false;
#endif
}

std::string nccl_version() {
#if COACT_HAVE_CUDA
  return nccl_impl::version();
#else
  return "";
#endif
}

std::unique_ptr<Comm> make_nccl_comm(MpiComm& mpi, backend::Backend& gpu) {
  COACT_REQUIRE(gpu.kind() == backend::DeviceKind::Cuda, UsageError, "NCCL needs a cuda backend, not ", gpu.name());
#if COACT_HAVE_CUDA
  return nccl_impl::make(mpi, gpu);
#else
  (void)mpi;
  throw UsageError("this coact was built without NCCL (configure with -DCOACT_CUDA=ON)");
#endif
}

std::unique_ptr<Comm> make_gradient_comm(MpiComm& mpi, backend::Backend& compute) {
  if (compute.kind() == backend::DeviceKind::Cuda) return make_nccl_comm(mpi, compute);
  return mpi.split(0, mpi.rank());  // a private duplicate, so its traffic never mixes with other collectives
}

}  // namespace coact::dist
