# Sanitizer and fuzzing builds (docs/reliability.md).
#
#   -DCOACT_SANITIZE=address,undefined   ASan + UBSan on every target (CI's sanitizer stage)
#   -DCOACT_SANITIZE=thread              ThreadSanitizer (with clang, OpenMP through libomp's
#                                        archer tool: OMP_TOOL_LIBRARIES=libarcher.so)
#   -DCOACT_FUZZ=ON                      libFuzzer targets under fuzz/ (clang only); the library
#                                        is instrumented with fuzzer-no-link + ASan + UBSan
#
# Flags go to C and C++ only: nvcc never sees them (build sanitizer trees with COACT_CUDA=OFF).
# UBSan findings abort (-fno-sanitize-recover), so a finding fails its test.
set(COACT_SANITIZE "" CACHE STRING "Comma-separated -fsanitize= list (address,undefined | thread), empty for none")
option(COACT_FUZZ "Build the libFuzzer targets under fuzz/ (needs clang)" OFF)
set(COACT_FUZZ_SMOKE_SECONDS 20 CACHE STRING "Seconds each fuzz target runs in the ctest smoke run (label fuzz)")

set(coact_sanitize "${COACT_SANITIZE}")
if(COACT_FUZZ)
  if(NOT CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
    message(FATAL_ERROR "COACT_FUZZ=ON needs clang (libFuzzer): configure with -DCMAKE_CXX_COMPILER=clang++ -DCMAKE_C_COMPILER=clang")
  endif()
  if(NOT coact_sanitize)
    set(coact_sanitize "address,undefined")
  endif()
  set(coact_sanitize "fuzzer-no-link,${coact_sanitize}")
endif()

if(coact_sanitize)
  # -g1 (after the build type's -g, so it wins): line tables and function names, all a
  # sanitizer report's stack needs, at two thirds of -g's compile time and half its objects.
  set(coact_san_flags "-fsanitize=${coact_sanitize}" -fno-omit-frame-pointer -g1)
  if(coact_sanitize MATCHES "undefined")
    list(APPEND coact_san_flags -fno-sanitize-recover=undefined)
    # vptr checks need RTTI of every class across shared libraries (MPI, HDF5): not ours.
    list(APPEND coact_san_flags -fno-sanitize=vptr)
  endif()
  add_compile_options("$<$<COMPILE_LANGUAGE:C,CXX>:${coact_san_flags}>")
  add_link_options("$<$<LINK_LANGUAGE:C,CXX>:-fsanitize=${coact_sanitize}>")
  message(STATUS "coact: sanitizers ${coact_sanitize}")
endif()
