// The roofline of a GPU for tools/gpu-check.sh: its tensor-core and fp32 peaks from the device
// properties (SMs × clock × dense rate per SM and clock of its architecture) and the rate cuBLAS
// measures on a large square GEMM in each precision. One line per figure, "key value".
//
//   nvcc -O2 -o gpu_peak tools/gpu_peak.cu -lcublas && ./gpu_peak [device]
#include <cublas_v2.h>
#include <cuda_bf16.h>
#include <cuda_runtime.h>

#include <cstdio>
#include <cstdlib>

#define CHECK(call)                                                                         \
  do {                                                                                      \
    if ((call) != 0) {                                                                      \
      std::fprintf(stderr, "gpu_peak: %s failed at %s:%d\n", #call, __FILE__, __LINE__); \
      std::exit(1);                                                                         \
    }                                                                                       \
  } while (0)

// Dense FLOP per SM per clock (an FMA is 2): {bf16 tensor cores, fp32 CUDA cores}, from NVIDIA's
// architecture whitepapers (A100: 312 TFLOPS bf16 on 108 SMs at 1.41 GHz; H100 SXM: 989 on 132
// at 1.83; L40S: 362 on 142 at 2.52; RTX 3090: 71 on 82 at 1.70). tf32 runs at half the bf16 rate.
static void rates(int major, int minor, double* bf16, double* fp32) {
  *fp32 = major >= 9 || (major == 8 && minor >= 6) ? 256 : 128;
  if (major >= 9) *bf16 = 4096;
  else if (major == 8 && minor == 0) *bf16 = 2048;
  else if (major == 8) *bf16 = minor == 9 ? 1024 : 512;
  else *bf16 = 0;  // no bf16 tensor cores before Ampere
}

int main(int argc, char** argv) {
  const int device = argc > 1 ? std::atoi(argv[1]) : 0;
  CHECK(cudaSetDevice(device));
  cudaDeviceProp prop{};
  CHECK(cudaGetDeviceProperties(&prop, device));
  int clock_khz = 0;
  CHECK(cudaDeviceGetAttribute(&clock_khz, cudaDevAttrClockRate, device));
  double bf16_rate = 0, fp32_rate = 0;
  rates(prop.major, prop.minor, &bf16_rate, &fp32_rate);
  const double sm_hz = prop.multiProcessorCount * clock_khz * 1e3;
  std::printf("name %s\n", prop.name);
  std::printf("sm %d.%d\n", prop.major, prop.minor);
  std::printf("sms %d\n", prop.multiProcessorCount);
  std::printf("clock_ghz %.3f\n", clock_khz / 1e6);
  std::printf("peak_bf16_tflops %.1f\n", sm_hz * bf16_rate / 1e12);
  std::printf("peak_tf32_tflops %.1f\n", sm_hz * bf16_rate / 2 / 1e12);
  std::printf("peak_fp32_tflops %.1f\n", sm_hz * fp32_rate / 1e12);

  // Measured: C = A·B at 8192³, best of 5 after a warm-up, in each precision.
  const int n = 8192;
  void *a = nullptr, *b = nullptr, *c = nullptr;
  CHECK(cudaMalloc(&a, sizeof(float) * n * n));
  CHECK(cudaMalloc(&b, sizeof(float) * n * n));
  CHECK(cudaMalloc(&c, sizeof(float) * n * n));
  CHECK(cudaMemset(a, 0, sizeof(float) * n * n));
  CHECK(cudaMemset(b, 0, sizeof(float) * n * n));
  cublasHandle_t handle;
  CHECK(cublasCreate(&handle));
  cudaEvent_t start, stop;
  CHECK(cudaEventCreate(&start));
  CHECK(cudaEventCreate(&stop));
  const float one = 1.0f, zero = 0.0f;
  const struct {
    const char* name;
    cudaDataType_t in;
    cublasComputeType_t compute;
  } modes[] = {{"fp32", CUDA_R_32F, CUBLAS_COMPUTE_32F},
               {"tf32", CUDA_R_32F, CUBLAS_COMPUTE_32F_FAST_TF32},
               {"bf16", CUDA_R_16BF, CUBLAS_COMPUTE_32F}};
  for (const auto& m : modes) {
    if (prop.major < 8 && m.in != CUDA_R_32F) continue;
    float best = 1e30f;
    for (int r = 0; r < 6; ++r) {
      CHECK(cudaEventRecord(start));
      CHECK(cublasGemmEx(handle, CUBLAS_OP_N, CUBLAS_OP_N, n, n, n, &one, a, m.in, n, b, m.in, n, &zero, c, CUDA_R_32F,
                         n, m.compute, CUBLAS_GEMM_DEFAULT));
      CHECK(cudaEventRecord(stop));
      CHECK(cudaEventSynchronize(stop));
      float ms = 0;
      CHECK(cudaEventElapsedTime(&ms, start, stop));
      if (r > 0 && ms < best) best = ms;
    }
    std::printf("measured_%s_tflops %.1f\n", m.name, 2.0 * n * n * static_cast<double>(n) / (best * 1e-3) / 1e12);
  }
  return 0;
}
