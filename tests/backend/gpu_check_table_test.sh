#!/usr/bin/env bash
# The parts of tools/gpu-check.sh that run without a GPU: it parses (bash -n), and its table
# writer turns a results file into the Markdown table (pipes in details escaped, the pass/fail
# count at the end) and refuses a missing file.
set -euo pipefail
script=$1
bash -n "$script"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
printf 'build with CUDA\tpass\tnvcc 12.4\nbackend ops on cuda vs reference\tFAIL\tPrecisionOps | cuda\nNCCL allreduce, 2 ranks\tskipped\tone GPU visible\n' \
  > "$work/results.tsv"
GPU_NAME="test GPU" bash "$script" --table "$work/results.tsv" > "$work/table.md"
grep -qx '| check | result | detail |' "$work/table.md"
grep -qx '| build with CUDA | pass | nvcc 12.4 |' "$work/table.md"
grep -qxF '| backend ops on cuda vs reference | FAIL | PrecisionOps \| cuda |' "$work/table.md"
grep -qx '1 passed, 1 failed' "$work/table.md"
grep -q 'test GPU' "$work/table.md"
if bash "$script" --table "$work/missing.tsv" 2> /dev/null; then
  echo "gpu-check.sh --table accepted a missing file" >&2
  exit 1
fi
echo "gpu-check.sh: parses, and its table writer works"
