#!/usr/bin/env bash
# Installs what is missing, configures, builds and runs the test suite: the README's test
# command, and what .ci/run calls.
#
#   tools/test.sh                 the default suite (everything but the labels excluded below)
#   COACT_TEST_LABELS=peers tools/test.sh    only tests with that ctest label
#   COACT_BUILD_DIR=build-x tools/test.sh    another build folder
#
# Labels left out by default run heavy peers from PyPI or long campaigns: peers, slurm, long.
set -euo pipefail
cd "$(dirname "$0")/.."

tools/install-deps.sh

build="${COACT_BUILD_DIR:-build}"
jobs="$(nproc)"
cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DCOACT_WERROR="${COACT_WERROR:-ON}" ${COACT_CMAKE_ARGS:-}
cmake --build "$build" --parallel "$jobs"

ctest_args=(--test-dir "$build" --output-on-failure --parallel "$jobs" --timeout 1200)
if [ -n "${COACT_TEST_LABELS:-}" ]; then
  ctest_args+=(-L "$COACT_TEST_LABELS")
else
  ctest_args+=(-LE "${COACT_TEST_EXCLUDE:-peers|slurm|long}")
fi
ctest "${ctest_args[@]}"
