# Third-party dependencies, found the CMake way. Each is owned by one module (STYLE.md):
#   MPI, NCCL -> dist     HDF5 -> io     BLAS, OpenMP, CUDA, cuBLAS -> backend
#   Boost.Program_options -> apps     GoogleTest -> tests

find_package(MPI REQUIRED COMPONENTS C)
# We use MPI's C API only; keep the deprecated C++ bindings out of every translation unit.
add_compile_definitions(OMPI_SKIP_MPICXX=1 MPICH_SKIP_MPICXX=1)
find_package(OpenMP REQUIRED COMPONENTS CXX)
find_package(Boost 1.74 REQUIRED COMPONENTS program_options)
find_package(ZLIB REQUIRED)  # io: zip entries of PyTorch checkpoints

# Parallel HDF5: ranks write one file collectively through MPI-IO.
set(HDF5_PREFER_PARALLEL TRUE)
find_package(HDF5 REQUIRED COMPONENTS C)
if(NOT HDF5_IS_PARALLEL)
  message(FATAL_ERROR "coact needs a parallel HDF5 build (Debian: libhdf5-openmpi-dev); found a serial one at ${HDF5_INCLUDE_DIRS}")
endif()
if(NOT TARGET coact_hdf5)
  add_library(coact_hdf5 INTERFACE)
  target_include_directories(coact_hdf5 SYSTEM INTERFACE ${HDF5_C_INCLUDE_DIRS} ${HDF5_INCLUDE_DIRS})
  target_link_libraries(coact_hdf5 INTERFACE ${HDF5_C_LIBRARIES} MPI::MPI_C)
  target_compile_definitions(coact_hdf5 INTERFACE ${HDF5_C_DEFINITIONS} ${HDF5_DEFINITIONS})
endif()

# OpenBLAS through CBLAS. Prefer the OpenMP build so BLAS and our loops share one thread pool.
set(BLA_VENDOR OpenBLAS)
find_package(BLAS REQUIRED)
find_path(COACT_CBLAS_INCLUDE_DIR cblas.h
  PATHS /usr/include/x86_64-linux-gnu/openblas-openmp /usr/include/x86_64-linux-gnu/openblas-pthread
        /usr/include/openblas /usr/include
  REQUIRED)
if(NOT TARGET coact_blas)
  add_library(coact_blas INTERFACE)
  target_include_directories(coact_blas SYSTEM INTERFACE ${COACT_CBLAS_INCLUDE_DIR})
  target_link_libraries(coact_blas INTERFACE ${BLAS_LIBRARIES})
endif()

# CUDA backend: AUTO builds it when nvcc is found.
set(COACT_HAVE_CUDA OFF)
if(NOT COACT_CUDA STREQUAL "OFF")
  if(NOT CMAKE_CUDA_COMPILER AND EXISTS /usr/local/cuda/bin/nvcc)
    set(CMAKE_CUDA_COMPILER /usr/local/cuda/bin/nvcc)
  endif()
  include(CheckLanguage)
  check_language(CUDA)
  if(CMAKE_CUDA_COMPILER)
    if(NOT DEFINED CMAKE_CUDA_ARCHITECTURES)
      # A100 and H100; override with -DCMAKE_CUDA_ARCHITECTURES=... for other GPUs.
      set(CMAKE_CUDA_ARCHITECTURES 80 90)
    endif()
    enable_language(CUDA)
    # CMake 3.25 cannot pass nvcc a C++20 dialect; device code (kernels and the COACT_HD
    # arithmetic they share with the CPU) is kept to C++17.
    set(CMAKE_CUDA_STANDARD 17)
    set(CMAKE_CUDA_STANDARD_REQUIRED ON)
    find_package(CUDAToolkit REQUIRED)
    find_path(COACT_NCCL_INCLUDE_DIR nccl.h HINTS ${CUDAToolkit_INCLUDE_DIRS} /usr/include)
    find_library(COACT_NCCL_LIBRARY nccl HINTS ${CUDAToolkit_LIBRARY_DIR} /usr/lib/x86_64-linux-gnu)
    if(NOT COACT_NCCL_INCLUDE_DIR OR NOT COACT_NCCL_LIBRARY)
      message(FATAL_ERROR "CUDA backend requested but NCCL (nccl.h, libnccl) was not found")
    endif()
    add_library(coact_nccl INTERFACE)
    target_include_directories(coact_nccl SYSTEM INTERFACE ${COACT_NCCL_INCLUDE_DIR})
    target_link_libraries(coact_nccl INTERFACE ${COACT_NCCL_LIBRARY} CUDA::cudart)
    set(COACT_HAVE_CUDA ON)
  elseif(COACT_CUDA STREQUAL "ON")
    message(FATAL_ERROR "COACT_CUDA=ON but no CUDA compiler (nvcc) was found")
  endif()
endif()

if(COACT_BUILD_TESTS)
  find_package(GTest REQUIRED)
endif()
