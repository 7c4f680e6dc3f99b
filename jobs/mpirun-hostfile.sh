#!/bin/bash
# A study on several hosts without Slurm: `coact run` under mpirun with a hostfile, one rank
# per GPU on every host. The hosts must reach each other by ssh without a password and see the
# repository, the binary, the inputs and the output directory at the same paths (shared FS).
#
# Resources: the hosts of HOSTFILE, GPUS_PER_HOST ranks on each (default 4), threads per rank =
# cores / GPUS_PER_HOST. A hostfile lists one host per line: `node01 slots=4`.
#
#   HOSTFILE=hosts.txt jobs/mpirun-hostfile.sh jobs/configs/seeds-8.ini \
#       --data.store /shared/gelu-1l/acts.h5 --out /shared/seeds-8
#
# NCCL chooses the interconnect (NCCL_DEBUG=INFO shows it; NCCL_SOCKET_IFNAME pins the network
# interface); the environment variables named with -x below reach every rank. Stopping mpirun
# (Ctrl-C, kill -TERM) checkpoints training; the same command continues.
set -euo pipefail
[ $# -ge 1 ] || { sed -n '2,14p' "$0" | sed 's/^# \{0,1\}//'; exit 2; }
: "${HOSTFILE:?set HOSTFILE to a file of 'host slots=N' lines}"
here="$(cd "$(dirname "$0")/.." && pwd)"
COACT="${COACT:-$here/build/coact}"
per_host="${GPUS_PER_HOST:-4}"
hosts="$(grep -cv '^\s*\(#\|$\)' "$HOSTFILE")"
config="$1"
shift
export OMP_NUM_THREADS="${OMP_NUM_THREADS:-$(( $(nproc) / per_host > 0 ? $(nproc) / per_host : 1 ))}"

root_flags=()
[ "$(id -u)" -eq 0 ] && root_flags=(--allow-run-as-root)
exec mpirun "${root_flags[@]}" --hostfile "$HOSTFILE" -np "$(( hosts * per_host ))" -npernode "$per_host" \
  --bind-to none -x OMP_NUM_THREADS -x PATH -x LD_LIBRARY_PATH -x NCCL_DEBUG -x NCCL_SOCKET_IFNAME \
  "$COACT" run --config "$config" "$@"
