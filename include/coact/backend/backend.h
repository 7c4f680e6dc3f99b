// The device interface every compute module uses. One small abstract class: `cpu` (OpenBLAS +
// OpenMP) is always built; `cuda` (cuBLAS + kernels) when the build has CUDA and a device is
// present. All matrices are row-major. Pointers passed to ops are device pointers of the
// backend that executes the op (host memory for cpu).
//
// Ops are written once: their signatures and contracts in one list (op_list.h), the per-element
// arithmetic in coact/backend/ops/*.h as COACT_HD functors; each backend only launches them
// (OpenMP loop or CUDA grid).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "coact/backend/op_list.h"
#include "coact/backend/ops/transformer_params.h"
#include "coact/backend/precision.h"
#include "coact/backend/sparse.h"

namespace coact::backend {

enum class DeviceKind { Cpu, Cuda };
enum class Transpose { No, Yes };
enum class CopyKind { HostToDevice, DeviceToHost, DeviceToDevice };

const char* to_string(DeviceKind kind);

class Backend {
 public:
  virtual ~Backend() = default;

  virtual DeviceKind kind() const = 0;
  // "cpu" or "cuda:<index>".
  virtual std::string name() const = 0;
  // One line for logs and `coact info`: library, threads or device model and memory.
  virtual std::string description() const = 0;

  // ---- memory -------------------------------------------------------------------------------
  virtual void* allocate_bytes(std::size_t bytes) = 0;
  virtual void free_bytes(void* pointer) noexcept = 0;
  virtual void copy_bytes(void* destination, const void* source, std::size_t bytes, CopyKind kind) = 0;
  virtual void zero_bytes(void* pointer, std::size_t bytes) = 0;
  // Waits for all queued work (no-op on cpu).
  virtual void synchronize() = 0;
  // The cudaStream_t ops run on (nullptr on cpu), for NCCL to join the same stream.
  virtual void* native_stream() const { return nullptr; }
  // GPU ordinal, or -1 on cpu.
  virtual int device_index() const { return -1; }

  // gemm_mixed (op_list.h) runs a chosen precision; this is the UsageError naming what is missing
  // when it cannot run `precision` here (tf32 on the cpu); commands call it before any work.
  virtual void require_precision(Precision precision) const = 0;
  // How this backend runs `precision`, for logs and `coact info` ("avx512_bf16 kernel", ...).
  virtual std::string precision_description(Precision precision) const = 0;

  // The compute ops, each with its contract, in op_list.h.
#define COACT_DECLARE_PURE_OP(result, name, parameters) virtual result name parameters = 0;
  COACT_BACKEND_OPS(COACT_DECLARE_PURE_OP)
#undef COACT_DECLARE_PURE_OP

  // ---- Fused sequences. Each is defined as ops above run in order, which this default does; a
  // backend may override it with one pass that gives the same bits.
  // The SAE decoder and the code gradient of the nnz entries of `codes` (entry_rows from
  // sparse_transpose): sparse_decode(→ xhat), residual(→ grad, row_stats), sparse_row_dots(grad →
  // entry_grad). The cpu runs the three per row, so the weight rows the decode brought into
  // cache serve the dot products too instead of a second pass over the decoder in memory.
  virtual void decode_residual_row_dots(std::int64_t rows, std::int64_t cols, std::int64_t nnz, SparseRows codes,
                                        const std::int32_t* entry_rows, const float* weights, const float* bias,
                                        const float* x, const float* xc, float scale, float add, float* xhat,
                                        float* grad, float* row_stats, float* entry_grad);
  // Two codes selected from the same pre-activations (JumpReLU's code and its straight-through
  // band): count_selected (or gather_selected) with `first`, then with `second`. The cpu runs
  // both per row, reading each row of `in` from memory once.
  virtual void count_selected_two(std::int64_t rows, std::int64_t cols, const float* in, const float* bias,
                                  const CodeRule& first, std::int64_t* first_counts, const CodeRule& second,
                                  std::int64_t* second_counts);
  virtual void gather_selected_two(std::int64_t rows, std::int64_t cols, const float* in, const float* bias,
                                   const CodeRule& first, const std::int64_t* first_offsets, std::int32_t* first_index,
                                   float* first_value, const CodeRule& second, const std::int64_t* second_offsets,
                                   std::int32_t* second_index, float* second_value);
};

// Which backend a command asked for with --device.
enum class DeviceRequest { Cpu, Cuda, Auto };
DeviceRequest parse_device_request(const std::string& text);  // "cpu" | "cuda" | "auto"

// Creates the requested backend. `local_rank` picks the GPU (one per local rank, modulo the
// visible count). Auto means cuda when compiled and a device is visible, else cpu. Asking for
// cuda without it throws UsageError naming what is missing.
std::unique_ptr<Backend> make_backend(DeviceRequest request, int local_rank = 0);

// Whether this build contains the CUDA backend.
bool cuda_compiled();
// Visible CUDA devices (0 when not compiled, no driver or no device).
int cuda_device_count();

// Library and device facts for `coact info`.
struct ComponentInfo {
  std::string name;     // "OpenBLAS", "CUDA runtime", "cuBLAS", "device 0"
  std::string version;  // version string or description
};
std::vector<ComponentInfo> describe_components();

// Threads used by the cpu backend (OpenMP and OpenBLAS together).
void set_cpu_threads(int threads);
int cpu_threads();

}  // namespace coact::backend
