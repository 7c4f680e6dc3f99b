#!/usr/bin/env bash
# One fuzz campaign: replays the target's past findings (each must now pass), then fuzzes for
# SECONDS from the seeds plus a work corpus, and prints libFuzzer's final statistics line.
# A crash leaves its input in WORKDIR/artifacts/ and fails the run.
#
#   fuzz/run_fuzz.sh path/to/fuzz_X SECONDS SEEDDIR WORKDIR [FINDINGSDIR]
set -euo pipefail
target="$1" seconds="$2" seeds="$3" work="$4" findings="${5:-}"
mkdir -p "$work/corpus" "$work/artifacts"
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:allocator_may_return_null=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"
if [ -n "$findings" ] && [ -d "$findings" ] && [ -n "$(ls -A "$findings")" ]; then
  "$target" -rss_limit_mb=2048 -timeout=20 "$findings"/* 2>&1 | tail -n 3
fi
set +e
"$target" -max_total_time="$seconds" -rss_limit_mb=2048 -timeout=20 -max_len=65536 -print_final_stats=1 \
  -artifact_prefix="$work/artifacts/" "$work/corpus" "$seeds" >"$work/log" 2>&1
status=$?
set -e
grep -E "^(stat::|Done|INFO: seed|INFO: .*inputs|==[0-9]+==|SUMMARY)" "$work/log" || true
if [ "$status" -ne 0 ] || [ -n "$(ls -A "$work/artifacts")" ]; then
  tail -n 40 "$work/log" >&2
  echo "run_fuzz: $(basename "$target") failed (exit $status); findings: $(ls "$work/artifacts")" >&2
  exit 1
fi
