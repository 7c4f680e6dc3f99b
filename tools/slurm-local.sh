#!/usr/bin/env bash
# A one-node Slurm cluster on this machine, for tests and for trying the jobs/ scripts: munged,
# slurmctld and slurmd talking over the loopback address, with the configuration, state, logs,
# pid files and munge socket all in one directory. Debian's slurm-wlm (22.05) and munge.
#
#   tools/slurm-local.sh install            apt-get install slurm-wlm munge (only when missing)
#   tools/slurm-local.sh start DIR          write DIR/slurm.conf, start the daemons, wait for the node
#   tools/slurm-local.sh stop DIR           stop the daemons started in DIR (by their pid files)
#   export SLURM_CONF=DIR/slurm.conf        then sbatch, squeue, scontrol, scancel use this cluster
#
# The node is this machine (its name from `hostname -s`, its CPUs and memory from `slurmd -C`),
# addressed as 127.0.0.1; one partition `debug`. The daemons run as the invoking user, which
# must be root (slurmd starts job steps as the submitting user). Ports: SLURM_LOCAL_PORT (first
# of two, default 6817) or the next free pair above it.
set -euo pipefail

usage() { sed -n '2,14p' "$0" | sed 's/^# \{0,1\}//'; }

install_packages() {
  local missing=()
  for p in slurm-wlm munge; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  echo "slurm-local: installing ${missing[*]}"
  local sudo=""
  [ "$(id -u)" -ne 0 ] && sudo="sudo"
  export DEBIAN_FRONTEND=noninteractive
  $sudo apt-get update -qq
  $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

port_free() {
  ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

write_config() {
  local dir="$1" host port
  host="$(hostname -s)"
  port="${SLURM_LOCAL_PORT:-6817}"
  while ! port_free "$port" || ! port_free $((port + 1)); do port=$((port + 2)); done
  # The node line as slurmd detects this machine, so the node never drains for a mismatch.
  local node
  node="$(slurmd -C | head -n 1 | sed "s/^NodeName=[^ ]*/NodeName=$host/")"
  mkdir -p "$dir/state" "$dir/spool" "$dir/munge"
  cat >"$dir/slurm.conf" <<EOF
# Written by tools/slurm-local.sh: one node, loopback only, everything under $dir.
ClusterName=coactlocal
SlurmctldHost=$host(127.0.0.1)
SlurmctldPort=$port
SlurmdPort=$((port + 1))
SlurmUser=$(id -un)
SlurmdUser=root
AuthType=auth/munge
AuthInfo=socket=$dir/munge/munge.socket
CredType=cred/munge
StateSaveLocation=$dir/state
SlurmdSpoolDir=$dir/spool
SlurmctldPidFile=$dir/slurmctld.pid
SlurmdPidFile=$dir/slurmd.pid
SlurmctldLogFile=$dir/slurmctld.log
SlurmdLogFile=$dir/slurmd.log
SlurmctldDebug=info
SlurmdDebug=info
# No cgroups: containers and CI machines rarely delegate them.
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
SchedulerType=sched/builtin
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
MpiDefault=none
ReturnToService=2
JobRequeue=1
KillWait=30
MinJobAge=600
SlurmdTimeout=60
$node State=UNKNOWN NodeAddr=127.0.0.1
PartitionName=debug Nodes=$host Default=YES MaxTime=INFINITE State=UP
EOF
}

wait_for() {
  local what="$1" seconds="$2"
  shift 2
  for _ in $(seq "$seconds"); do
    if "$@" >/dev/null 2>&1; then return 0; fi
    sleep 1
  done
  echo "slurm-local: $what did not come up in ${seconds}s" >&2
  return 1
}

node_ready() {
  local state
  state="$(sinfo -h -N -o '%T' 2>/dev/null | head -n 1)"
  [ "$state" = "idle" ] || [ "$state" = "mixed" ] || [ "$state" = "allocated" ]
}

start() {
  local dir="$1"
  [ "$(id -u)" -eq 0 ] || { echo "slurm-local: run as root (slurmd launches job steps)" >&2; exit 1; }
  mkdir -p "$dir"
  dir="$(cd "$dir" && pwd)"
  chmod 700 "$dir"
  write_config "$dir"
  export SLURM_CONF="$dir/slurm.conf"
  # A private munge key and socket: nothing touches a system munged.
  [ -f "$dir/munge/munge.key" ] || dd if=/dev/urandom of="$dir/munge/munge.key" bs=1024 count=1 status=none
  chmod 700 "$dir/munge"
  chmod 600 "$dir/munge/munge.key"
  munged --force --socket="$dir/munge/munge.socket" --key-file="$dir/munge/munge.key" \
    --pid-file="$dir/munge/munged.pid" --log-file="$dir/munge/munged.log" --seed-file="$dir/munge/munged.seed"
  wait_for munged 20 test -S "$dir/munge/munge.socket"
  slurmctld -f "$SLURM_CONF"
  wait_for slurmctld 60 scontrol ping
  slurmd -f "$SLURM_CONF"
  wait_for "the node" 60 node_ready || { tail -n 20 "$dir/slurmctld.log" "$dir/slurmd.log" >&2; return 1; }
  echo "slurm-local: cluster up; export SLURM_CONF=$SLURM_CONF"
}

stop_pid_file() {
  local file="$1" name="$2" pid
  [ -f "$file" ] || return 0
  pid="$(cat "$file" 2>/dev/null || true)"
  [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null || return 0
  kill -TERM "$pid" 2>/dev/null || true
  for _ in $(seq 30); do
    kill -0 "$pid" 2>/dev/null || return 0
    sleep 1
  done
  echo "slurm-local: $name ($pid) did not stop; killing it" >&2
  kill -KILL "$pid" 2>/dev/null || true
}

stop() {
  local dir="$1"
  [ -d "$dir" ] || return 0
  if [ -f "$dir/slurm.conf" ]; then
    # Jobs first, so no step outlives the daemons.
    SLURM_CONF="$dir/slurm.conf" scancel --full --user="$(id -un)" 2>/dev/null || true
  fi
  stop_pid_file "$dir/slurmd.pid" slurmd
  stop_pid_file "$dir/slurmctld.pid" slurmctld
  stop_pid_file "$dir/munge/munged.pid" munged
}

case "${1:-}" in
  install) install_packages ;;
  start) [ $# -eq 2 ] || { usage >&2; exit 2; }; install_packages; start "$2" ;;
  stop) [ $# -eq 2 ] || { usage >&2; exit 2; }; stop "$2" ;;
  -h | --help) usage ;;
  *) usage >&2; exit 2 ;;
esac
