#include "coact/backend/backend.h"

#include "coact/core/errors.h"
#include "cpu/cpu_backend.h"
#if COACT_HAVE_CUDA
#include "cuda/cuda_backend.h"
#endif

namespace coact::backend {

void Backend::decode_residual_row_dots(std::int64_t rows, std::int64_t cols, std::int64_t nnz, SparseRows codes,
                                       const std::int32_t* entry_rows, const float* weights, const float* bias,
                                       const float* x, const float* xc, float scale, float add, float* xhat,
                                       float* grad, float* row_stats, float* entry_grad) {
  sparse_decode(rows, cols, codes, weights, bias, xhat);
  residual(rows, cols, xhat, x, xc, scale, grad, row_stats);
  sparse_row_dots(nnz, cols, codes, entry_rows, grad, weights, add, entry_grad);
}

void Backend::count_selected_two(std::int64_t rows, std::int64_t cols, const float* in, const float* bias,
                                 const CodeRule& first, std::int64_t* first_counts, const CodeRule& second,
                                 std::int64_t* second_counts) {
  count_selected(rows, cols, in, bias, first, first_counts);
  count_selected(rows, cols, in, bias, second, second_counts);
}

void Backend::gather_selected_two(std::int64_t rows, std::int64_t cols, const float* in, const float* bias,
                                  const CodeRule& first, const std::int64_t* first_offsets, std::int32_t* first_index,
                                  float* first_value, const CodeRule& second, const std::int64_t* second_offsets,
                                  std::int32_t* second_index, float* second_value) {
  gather_selected(rows, cols, in, bias, first, first_offsets, first_index, first_value);
  gather_selected(rows, cols, in, bias, second, second_offsets, second_index, second_value);
}

const char* to_string(DeviceKind kind) { return kind == DeviceKind::Cpu ? "cpu" : "cuda"; }

DeviceRequest parse_device_request(const std::string& text) {
  if (text == "cpu") return DeviceRequest::Cpu;
  if (text == "cuda" || text == "gpu") return DeviceRequest::Cuda;
  if (text == "auto") return DeviceRequest::Auto;
  throw UsageError(str("--device: '", text, "' is not one of cpu, cuda, auto"));
}

const char* to_string(Precision precision) {
  switch (precision) {
    case Precision::Fp32: return "fp32";
    case Precision::Bf16: return "bf16";
    case Precision::Tf32: return "tf32";
  }
  return "?";
}

Precision parse_precision(const std::string& text) {
  if (text == "fp32") return Precision::Fp32;
  if (text == "bf16") return Precision::Bf16;
  if (text == "tf32") return Precision::Tf32;
  throw UsageError(str("--precision: '", text, "' is not one of fp32, bf16, tf32"));
}

bool cuda_compiled() {
#if COACT_HAVE_CUDA
  return true;
#else
  return false;
#endif
}

int cuda_device_count() {
#if COACT_HAVE_CUDA
  return cuda::device_count();
#else
  return 0;
#endif
}

std::unique_ptr<Backend> make_backend(DeviceRequest request, int local_rank) {
  if (request == DeviceRequest::Cpu) return cpu::make_cpu_backend();
  const int devices = cuda_device_count();
  if (request == DeviceRequest::Auto && devices == 0) return cpu::make_cpu_backend();
  if (!cuda_compiled())
    throw UsageError("--device cuda: this coact was built without the CUDA backend (configure with -DCOACT_CUDA=ON)");
  if (devices == 0) throw UsageError("--device cuda: no CUDA device is visible (check the driver and CUDA_VISIBLE_DEVICES)");
#if COACT_HAVE_CUDA
  return cuda::make_cuda_backend(local_rank % devices);
#else
  (void)local_rank;
  return nullptr;
#endif
}

std::vector<ComponentInfo> describe_components() {
  std::vector<ComponentInfo> out;
  out.push_back({"BLAS", cpu::blas_description()});
  out.push_back({"cpu bf16 GEMM", cpu::make_cpu_backend()->precision_description(Precision::Bf16)});
#if COACT_HAVE_CUDA
  for (auto& c : cuda::components()) out.push_back(std::move(c));
#endif
  return out;
}

}  // namespace coact::backend
