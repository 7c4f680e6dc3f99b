# Shared by the Slurm batch scripts in jobs/ (source it after `set -euo pipefail`).
#
#   coact_launch ARGS...   starts one coact process per Slurm task: `srun` (the default;
#                          COACT_SRUN_MPI picks the PMI plugin, default pmix) or, with
#                          COACT_LAUNCHER=mpirun, Open MPI's mpirun inside the allocation.
#                          It execs the launcher, so run it through coact_step (which starts
#                          it in a background subshell): signals then reach srun/mpirun itself.
#   coact_step CMD...      runs CMD (usually `coact_launch coact run ...`) so the batch shell can
#                          catch Slurm's warning signal (#SBATCH --signal=B:USR1@SECONDS, or
#                          `scancel --signal=USR1 --batch JOB`) and forward it to the job step.
#                          coact checkpoints and exits 130 on SIGUSR1/SIGTERM (read from
#                          $COACT_EXIT_STATUS_FILE: mpirun itself exits 1 when signalled). After a
#                          warning (USR1, or a signal sent to the step alone) the script requeues
#                          the job (scontrol requeue) and the next run of the same script
#                          continues: `coact run` skips finished stages and resumes training.
#
# SIGTERM to the batch shell means Slurm is ending the job itself: `scancel` (submit the same
# script again to continue) or preemption with PreemptMode=REQUEUE (Slurm requeues it). The
# step checkpoints the same way, and the script does not requeue.

coact_launch() {
  local launcher="${COACT_LAUNCHER:-srun}"
  case "$launcher" in
    srun)
      # One task per GPU (or per CPU slot): the task layout comes from the #SBATCH lines.
      exec srun --mpi="${COACT_SRUN_MPI:-pmix}" --kill-on-bad-exit=1 "$@"
      ;;
    mpirun)
      # Open MPI reads the Slurm allocation (hosts and slots) by itself.
      local root_flags=()
      [ "$(id -u)" -eq 0 ] && root_flags=(--allow-run-as-root)
      exec mpirun "${root_flags[@]}" --bind-to none -x OMP_NUM_THREADS -x COACT_EXIT_STATUS_FILE "$@"
      ;;
    *)
      echo "coact_launch: COACT_LAUNCHER must be srun or mpirun (got '$launcher')" >&2
      return 2
      ;;
  esac
}

coact_step() {
  local caught="" last="" rc=0
  # coact's own exit status: a launcher that was signalled (mpirun) exits 1 whatever its ranks
  # returned, so "checkpointed and stopped" (130) is read from here.
  local status_file
  status_file="$(mktemp "${TMPDIR:-/tmp}/coact-status.XXXXXX")"
  export COACT_EXIT_STATUS_FILE="$status_file"
  "$@" &
  local step=$!
  # Forward the signal to the step (srun passes it on to every task; so does mpirun for USR1).
  trap 'caught=USR1; last=USR1; echo "coact job: SIGUSR1 received, asking the step to checkpoint and stop" >&2; kill -USR1 "$step" 2>/dev/null || true' USR1
  trap 'caught=TERM; last=TERM; echo "coact job: SIGTERM received, asking the step to checkpoint and stop" >&2; kill -TERM "$step" 2>/dev/null || true' TERM
  while :; do
    rc=0
    wait "$step" || rc=$?
    # A trapped signal interrupts `wait` with 128+n while the step runs on: wait again (bash
    # keeps the step's status if it ended meanwhile).
    if [ "$rc" -gt 128 ] && [ -n "$caught" ]; then
      caught=""
      continue
    fi
    break
  done
  trap - USR1 TERM
  if [ "$rc" -ne 0 ] && [ "$(cat "$status_file" 2>/dev/null)" = 130 ]; then rc=130; fi
  rm -f "$status_file"
  unset COACT_EXIT_STATUS_FILE
  if [ "$rc" -eq 130 ] && [ -n "${SLURM_JOB_ID:-}" ]; then
    if [ "$last" = TERM ]; then
      echo "coact job: the step checkpointed and stopped; Slurm is ending job $SLURM_JOB_ID (a requeue by Slurm, or submit the same script again, continues it)" >&2
    else
      echo "coact job: the step checkpointed and stopped; requeueing job $SLURM_JOB_ID to continue" >&2
      scontrol requeue "$SLURM_JOB_ID" || echo "coact job: requeue failed; submit the same script again to continue" >&2
    fi
  fi
  return "$rc"
}

# Threads per task: what Slurm gave each task (coact would otherwise share the node's cores).
export OMP_NUM_THREADS="${OMP_NUM_THREADS:-${SLURM_CPUS_PER_TASK:-1}}"
