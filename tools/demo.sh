#!/usr/bin/env bash
# The README's first command: installs what is missing, builds coact (Release), and runs the
# whole study on the embedded synthetic data set (coact demo). Outputs go to ./demo
# (override with COACT_DEMO_OUT); extra arguments go to `coact demo` (e.g. --force).
#
#   tools/demo.sh                   # one process, all cores
#   COACT_DEMO_RANKS=2 tools/demo.sh   # under mpirun: the two seeds train at once
set -euo pipefail
cd "$(dirname "$0")/.."

tools/install-deps.sh
build="${COACT_BUILD_DIR:-build}"
cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release ${COACT_CMAKE_ARGS:-} >/dev/null
cmake --build "$build" --parallel "$(nproc)" --target coact_cli

out="${COACT_DEMO_OUT:-demo}"
ranks="${COACT_DEMO_RANKS:-1}"
if [ "$ranks" -gt 1 ]; then
  root_flags=()
  [ "$(id -u)" -eq 0 ] && root_flags=(--allow-run-as-root)
  exec mpirun -n "$ranks" --oversubscribe "${root_flags[@]}" "$build/coact" demo --out "$out" "$@"
fi
exec "$build/coact" demo --out "$out" "$@"
