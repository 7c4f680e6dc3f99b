#!/usr/bin/env bash
# Blocked (distributed) feature matching: 1 rank x 1 thread, then 2 ranks x 1 thread, on the
# same planted decoders; each run times its own floor (one cost-GEMM pass over the same tiles)
# unless --no-floor is given, in which case the matcher's first pass (also one GEMM pass) is
# the floor.
#
#   bench/compare/run_blocked_bench.sh BUILD_DIR N [D [bench_blocked_matching flags...]]
#
# Prints each run's report, then the summary: wall time as a multiple of the floor, 2-rank
# speed-up over 1 rank (wall time, and CPU time of the busiest rank: the speed-up on cores of
# its own, which a machine shared with other jobs does not give), per-rank peak RSS at 2 ranks
# over 1 rank, shared fraction vs planted.
set -euo pipefail
cd "$(dirname "$0")/../.."
build="${1:?usage: run_blocked_bench.sh BUILD_DIR N [D [flags...]]}"
n="${2:?usage: run_blocked_bench.sh BUILD_DIR N [D [flags...]]}"
d="${3:-2048}"
shift $(( $# < 3 ? $# : 3 ))
cores="$(nproc)"
export OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1
# Ranks waiting in a broadcast while the root solves yield their core instead of spinning.
export OMPI_MCA_mpi_yield_when_idle=1 OMPI_MCA_rmaps_base_oversubscribe=1
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
log="$(mktemp)"
echo "machine: $cores cores; before: $(uptime)"
for ranks in 1 2; do
  echo "== $ranks rank(s) x 1 thread: n = $n, d = $d $*"
  # No binding: on a machine shared with other jobs a rank pinned to a busy core cannot move.
  mpiexec --bind-to none -n "$ranks" "$build/bench/compare/bench_blocked_matching" --n "$n" --d "$d" "$@" | grep -v ' rows/s' | tee -a "$log"
  echo "after: $(uptime)"
done
python3 - "$log" <<'PY'
import json, sys
runs = {}
for line in open(sys.argv[1]):
    if line.startswith("{"):
        r = json.loads(line)
        runs[r["ranks"]] = r
one, two = runs[1], runs[2]
def floor(r):
    return r["floor_seconds"] if r["floor_seconds"] > 0 else r["first_pass_gemm_seconds"]
for r in (one, two):
    print(f"{r['ranks']} rank(s): matching {r['match_seconds']:.1f} s = {r['match_seconds'] / floor(r):.2f}x its floor "
          f"({floor(r):.1f} s), {r['full_pass_equivalents']:.3f} passes of GEMM work, shared {r['shared_fraction']:.4f} "
          f"(planted {r['planted_fraction']:.4f}), certified {r['certified']}, peak RSS "
          f"{max(r['peak_rss_bytes']) / 2**20:.0f} MiB")
print(f"2 ranks vs 1: {one['match_seconds'] / two['match_seconds']:.2f}x faster in wall time, "
      f"{one['match_cpu_seconds'] / two['match_cpu_seconds']:.2f}x less CPU time on the busiest rank; per-rank peak RSS "
      f"{max(two['peak_rss_bytes']) / max(one['peak_rss_bytes']):.2f}x; same cost: "
      f"{abs(one['cost'] - two['cost']) <= 1e-6 * one['n']}")
PY
rm -f "$log"
