#!/usr/bin/env bash
# Exact feature matching: coact against scipy and lapjv on the same cost matrices.
#
#   bench/compare/run_lap_bench.sh BUILD_DIR [N ...]      (default sizes: 4096 8192 16384)
#
# For each n: bench_compare_lap synthesises two decoders (d = 2048, 55% planted pairs at
# cosine 0.70-0.95, the rest random), builds the cost with one GEMM, solves it three times
# (best and median reported), proves the optimum with the dual certificate, and writes the
# cost matrix to HDF5; lap_peers.py then times scipy and lapjv on those bytes and checks
# that every optimum is identical. Set COACT_BENCH_DIR for the scratch folder (1 GiB per
# matrix at n = 16384, removed afterwards) and COACT_BENCH_SKIP_PEERS=1 to time coact alone.
set -euo pipefail
cd "$(dirname "$0")/../.."
build="${1:?usage: run_lap_bench.sh BUILD_DIR [N ...]}"
shift
sizes=("$@")
[ ${#sizes[@]} -gt 0 ] || sizes=(4096 8192 16384)
workdir="${COACT_BENCH_DIR:-/tmp/coact-bench-lap}"
mkdir -p "$workdir"
peers_python="$(tools/peers-venv.sh lapjv)"
echo "machine: $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
for n in "${sizes[@]}"; do
  echo "== n = $n"
  cost="$workdir/cost_$n.h5"
  rm -f "$cost"
  "$build/bench/compare/bench_compare_lap" --n "$n" --d 2048 --shared 0.55 --seed 1 --repeat 3 --out "$cost"
  if [ "${COACT_BENCH_SKIP_PEERS:-0}" != 1 ]; then
    "$peers_python" bench/compare/lap_peers.py "$cost"
  fi
  rm -f "$cost"
done
