#!/bin/bash
# A study on one multi-GPU machine without Slurm: `coact run` under mpirun, one rank per GPU.
#
# Resources: this host; ranks = COACT_RANKS (default: the GPUs nvidia-smi lists, else 2 CPU
# ranks); threads per rank = cores / ranks. Memory and time as the study needs (see its .ini).
#
#   jobs/mpirun-node.sh jobs/configs/demo.ini                     # outputs where the .ini says
#   COACT_RANKS=4 jobs/mpirun-node.sh jobs/configs/gelu-1l.ini --out /scratch/gelu-1l \
#       --record.model M --record.model-config C --record.tokens T
#
# Ctrl-C or `kill -TERM` on mpirun checkpoints training and stops (exit 130); the same command
# continues. Environment: COACT (binary, default build/coact next to this folder), COACT_RANKS.
set -euo pipefail
[ $# -ge 1 ] || { sed -n '2,13p' "$0" | sed 's/^# \{0,1\}//'; exit 2; }
here="$(cd "$(dirname "$0")/.." && pwd)"
COACT="${COACT:-$here/build/coact}"
config="$1"
shift

gpus=0
command -v nvidia-smi >/dev/null 2>&1 && gpus="$(nvidia-smi -L 2>/dev/null | grep -c '^GPU' || true)"
ranks="${COACT_RANKS:-$([ "$gpus" -gt 0 ] && echo "$gpus" || echo 2)}"
cores="$(nproc)"
export OMP_NUM_THREADS="${OMP_NUM_THREADS:-$(( cores / ranks > 0 ? cores / ranks : 1 ))}"

root_flags=()
[ "$(id -u)" -eq 0 ] && root_flags=(--allow-run-as-root)
# --bind-to none: each rank's OpenMP threads spread over its share of the cores. Local ranks
# use GPU <local rank> (coact numbers the ranks of each host itself).
exec mpirun "${root_flags[@]}" -np "$ranks" --bind-to none -x OMP_NUM_THREADS \
  "$COACT" run --config "$config" "$@"
