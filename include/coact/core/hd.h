// Marks arithmetic shared by the CPU and CUDA backends: compiled for both host and device by
// nvcc, plain inline C++ elsewhere, so CPU tests exercise the exact code the GPU runs.
#pragma once

#if defined(__CUDACC__)
#define COACT_HD __host__ __device__
#else
#define COACT_HD
#endif
