// The device interface every compute module uses. One small abstract class: `cpu` (OpenBLAS +
// OpenMP) is always built; `cuda` (cuBLAS + kernels) when the build has CUDA and a device is
// present. All matrices are row-major. Pointers passed to ops are device pointers of the
// backend that executes the op (host memory for cpu).
//
// Ops are written once: the per-element arithmetic lives in coact/backend/ops/*.h as
// COACT_HD functors; each backend only launches them (OpenMP loop or CUDA grid).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

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

  // ---- dense linear algebra ------------------------------------------------------------------
  // C[m×n] = alpha · op(A) · op(B) + beta · C, op(A) m×k, op(B) k×n, row-major with leading
  // dimensions lda, ldb, ldc (elements between rows of the stored matrices).
  virtual void gemm(Transpose transpose_a, Transpose transpose_b, std::int64_t m, std::int64_t n, std::int64_t k,
                    float alpha, const float* a, std::int64_t lda, const float* b, std::int64_t ldb, float beta,
                    float* c, std::int64_t ldc) = 0;

  // ---- element-wise --------------------------------------------------------------------------
  // y[i] += alpha · x[i]
  virtual void axpy(std::int64_t n, float alpha, const float* x, float* y) = 0;
  // x[i] = value
  virtual void fill(std::int64_t n, float value, float* x) = 0;
  // out[r, c] = max(0, in[r, c] + bias[c]) over a rows×cols row-major matrix (in == out allowed).
  virtual void bias_relu(std::int64_t rows, std::int64_t cols, const float* bias, const float* in, float* out) = 0;
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
