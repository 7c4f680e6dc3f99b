#!/usr/bin/env bash
# Installs what is missing, configures, builds and runs the test suite: the README's test
# command, and what .ci/run calls.
#
#   tools/test.sh                 the default suite (everything but the labels excluded below)
#   COACT_TEST_LABELS=peers tools/test.sh    only tests with that ctest label
#   COACT_BUILD_DIR=build-x tools/test.sh    another build folder
#   COACT_TEST_STAGES="default sanitize fuzz" tools/test.sh    the stages to run (CI runs all
#       three; outside CI the default is "default"):
#     default   Release build (COACT_CMAKE_ARGS), the default suite
#     sanitize  ASan + UBSan build in build-asan (COACT_CUDA=OFF), the same default suite
#     fuzz      clang libFuzzer build in build-fuzz, every fuzz target for
#               COACT_FUZZ_SECONDS (default 20) from generated seeds (ctest label fuzz)
#     tsan      clang ThreadSanitizer build in build-tsan: the prefetch and OpenMP tests
#
# Labels left out by default run heavy peers from PyPI or long campaigns: peers, slurm, long.
# The `browser` tests (headless Chromium loading the HTML report) are part of the default suite;
# tools/install-deps.sh installs Chromium with the other test packages.
set -euo pipefail
cd "$(dirname "$0")/.."

tools/install-deps.sh

jobs="$(nproc)"
if [ -n "${COACT_TEST_STAGES:-}" ]; then
  stages="$COACT_TEST_STAGES"
elif [ -n "${CI:-}" ]; then
  stages="default sanitize fuzz"
else
  stages="default"
fi

# ccache (in install-deps' list) turns a rebuild of unchanged sources into cache reads, so a CI
# machine that keeps its cache builds the three trees in minutes; a cold cache builds as before.
launcher=()
if command -v ccache >/dev/null; then
  # Paths under the clone are hashed relative to it (every CI clone has a new folder), and the
  # folder is left out of the hash of -g builds (their debug info then names the first clone).
  export CCACHE_BASEDIR="$PWD" CCACHE_NOHASHDIR=1
  launcher=(-DCMAKE_C_COMPILER_LAUNCHER=ccache -DCMAKE_CXX_COMPILER_LAUNCHER=ccache -DCMAKE_CUDA_COMPILER_LAUNCHER=ccache)
fi

ctest_base=(--output-on-failure --parallel "$jobs" --timeout 1200)
exclude="${COACT_TEST_EXCLUDE:-peers|slurm|long}"
ctest_args=("${ctest_base[@]}")
if [ -n "${COACT_TEST_LABELS:-}" ]; then
  ctest_args+=(-L "$COACT_TEST_LABELS")
else
  ctest_args+=(-LE "$exclude")
fi

stage_time() { echo "test.sh: stage $1 took $(( $(date +%s) - $2 )) s"; }

for stage in $stages; do
  start=$(date +%s)
  case "$stage" in
    default)
      build="${COACT_BUILD_DIR:-build}"
      cmake -S . -B "$build" -G Ninja "${launcher[@]}" -DCMAKE_BUILD_TYPE=Release -DCOACT_WERROR="${COACT_WERROR:-ON}" ${COACT_CMAKE_ARGS:-}
      cmake --build "$build" --parallel "$jobs"
      ctest --test-dir "$build" "${ctest_args[@]}"
      ;;
    sanitize)
      # ASan + UBSan, -g1 line tables (cmake/CoactSanitizers.cmake). Two passes over the default
      # suite, because leak checking is what makes a sanitized process slow:
      #  - the C++ test binaries (every label but python) with LeakSanitizer on. Open MPI, hwloc
      #    and HDF5 keep allocations until exit by design: their leaks are suppressed
      #    (cmake/sanitizers/lsan.supp); every leak of ours fails the test. Open MPI must keep
      #    its plugins loaded (disable_dlclose) so LeakSanitizer can name them, and malloc
      #    stacks are unwound fully (libc has no frame pointers).
      #  - the Python-driven tests (label python: each starts coact tens of times) with
      #    LeakSanitizer off and fast malloc stacks: memory errors and undefined behaviour
      #    still abort, but a process no longer pays ~2 s at exit for the leak scan of every
      #    fully unwound allocation (`coact --help`: 2.5 s with it, 0.65 s without).
      #    Label memory (peak RSS against `coact plan`) is left out: under ASan the RSS is
      #    the sanitizer's shadow and quarantine as much as coact's.
      cmake -S . -B build-asan -G Ninja "${launcher[@]}" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCOACT_WERROR="${COACT_WERROR:-ON}" \
        -DCOACT_CUDA=OFF -DCOACT_BUILD_BENCH=OFF -DCOACT_SANITIZE=address,undefined
      cmake --build build-asan --parallel "$jobs"
      sanitized_ctest() {  # ASAN_OPTIONS's leak settings, then ctest's arguments
        OMPI_MCA_mca_base_component_disable_dlclose=1 \
        ASAN_OPTIONS="$1:strict_string_checks=1:detect_stack_use_after_return=0" \
        LSAN_OPTIONS="suppressions=$PWD/cmake/sanitizers/lsan.supp:print_suppressions=0" \
        UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1:suppressions=$PWD/cmake/sanitizers/ubsan.supp" \
          ctest --test-dir build-asan "${@:2}"
      }
      with_leaks="detect_leaks=1:fast_unwind_on_malloc=0"
      if [ -n "${COACT_TEST_LABELS:-}" ]; then
        sanitized_ctest "$with_leaks" "${ctest_args[@]}"
      else
        sanitized_ctest "$with_leaks" "${ctest_base[@]}" -LE "$exclude|python"
        sanitized_ctest "detect_leaks=0:fast_unwind_on_malloc=1" "${ctest_base[@]}" -L python -LE "$exclude|memory"
      fi
      ;;
    fuzz)
      CC=clang CXX=clang++ cmake -S . -B build-fuzz -G Ninja "${launcher[@]}" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
        -DCOACT_WERROR="${COACT_WERROR:-ON}" -DCOACT_CUDA=OFF -DCOACT_BUILD_BENCH=OFF -DCOACT_FUZZ=ON \
        -DCOACT_FUZZ_SMOKE_SECONDS="${COACT_FUZZ_SECONDS:-20}"
      cmake --build build-fuzz --parallel "$jobs" --target fuzz_safetensors fuzz_pickle fuzz_zip fuzz_json fuzz_tokenizer fuzz_gguf fuzz_tokenizer_formats
      ctest --test-dir build-fuzz --output-on-failure --parallel "$jobs" -L fuzz
      ;;
    tsan)
      # ThreadSanitizer over the threaded code: the prefetch threads of the activation readers
      # (test_io) and the OpenMP kernels (test_backend), on 2 OpenMP threads. clang's libomp
      # with its archer tool tells TSan about OpenMP's synchronisation; OpenBLAS (libgomp) is
      # not instrumented and ignored.
      CC=clang CXX=clang++ cmake -S . -B build-tsan -G Ninja "${launcher[@]}" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
        -DCOACT_WERROR="${COACT_WERROR:-ON}" -DCOACT_CUDA=OFF -DCOACT_BUILD_BENCH=OFF -DCOACT_SANITIZE=thread
      cmake --build build-tsan --parallel "$jobs" --target test_io test_backend
      for t in io backend; do
        (cd "build-tsan/tests/$t" && OMP_NUM_THREADS=2 OMP_TOOL_LIBRARIES=/usr/lib/llvm-14/lib/libarcher.so \
          TSAN_OPTIONS="halt_on_error=1:ignore_noninstrumented_modules=1" "./test_$t" --gtest_brief=1)
      done
      ;;
    *) echo "test.sh: unknown stage '$stage' (default, sanitize, fuzz, tsan)" >&2; exit 2 ;;
  esac
  stage_time "$stage" "$start"
done
