#!/usr/bin/env bash
# Everything coact can only check on a GPU, in one run of at most ~8 minutes on one GPU:
#   1. build coact with CUDA (only the targets below);
#   2. every backend op test on cuda against the cpu reference path (test_backend's cuda cases:
#      dense, SAE, transformer and precision ops, and the block kernels' cpu replay);
#   3. a 2-rank NCCL allreduce (test_dist_mpi's NcclComm case) when 2+ GPUs are visible;
#   4. `coact demo --device cuda`;
#   5. seed-scale benchmarks (d 2,048, n 16,384, B 4,096) in fp32 and bf16: the SAE training step
#      (trained sparsity and initialisation), the graph step and the matching's cost GEMM,
#      against the GPU's roofline (tools/gpu_peak.cu: SMs × clock × tensor-core rate, and a
#      measured cuBLAS peak) and PyTorch on the same GPU (when the Python has torch with CUDA).
# Writes one Markdown table to $OUT/gpu-check.md when OUT is set, else to stdout; each step's
# full output goes to $OUT/gpu-check-logs/ (or a temporary folder, named on stderr).
#
#   tools/gpu-check.sh [BUILD_DIR]          build in BUILD_DIR (default build-gpu) and check
#   tools/gpu-check.sh --table RESULTS.tsv  only format a results file (check<TAB>result<TAB>detail):
#                                           the part that runs without a GPU
set -uo pipefail
cd "$(dirname "$0")/.."

# ---- the table writer ------------------------------------------------------------------------
write_table() {  # RESULTS.tsv -> Markdown on stdout
  local results=$1
  echo "# coact GPU check"
  echo
  echo "$(date -u +%Y-%m-%dT%H:%MZ), $(git rev-parse --short HEAD 2>/dev/null || echo '?'), ${GPU_NAME:-GPU unknown}"
  echo
  echo "| check | result | detail |"
  echo "|---|---|---|"
  awk -F'\t' 'NF >= 2 { gsub(/\|/, "\\|"); printf "| %s | %s | %s |\n", $1, $2, $3 }' "$results"
  local failed
  failed=$(awk -F'\t' '$2 == "FAIL"' "$results" | wc -l)
  echo
  echo "$(awk -F'\t' '$2 == "pass"' "$results" | wc -l) passed, $failed failed"
}

if [ "${1:-}" = "--table" ]; then
  [ -f "${2:-}" ] || { echo "gpu-check.sh --table: give a results file (check<TAB>result<TAB>detail)" >&2; exit 2; }
  write_table "$2"
  exit 0
fi

build=${1:-build-gpu}
logs=${OUT:+$OUT/gpu-check-logs}
logs=${logs:-$(mktemp -d /tmp/coact-gpu-check.XXXXXX)}
mkdir -p "$logs"
results=$logs/results.tsv
: > "$results"
echo "gpu-check: logs in $logs" >&2
row() { printf '%s\t%s\t%s\n' "$1" "$2" "$3" >> "$results"; echo "gpu-check: $1: $2 $3" >&2; }
finish() {
  if [ -n "${OUT:-}" ]; then write_table "$results" > "$OUT/gpu-check.md"; echo "gpu-check: table in $OUT/gpu-check.md" >&2
  else write_table "$results"; fi
}
trap finish EXIT
python=${COACT_PYTHON:-python3}

if ! command -v nvidia-smi >/dev/null || ! nvidia-smi -L >/dev/null 2>&1; then
  row "GPU" "FAIL" "no GPU visible (nvidia-smi -L fails): nothing to check"
  exit 1
fi
gpus=$(nvidia-smi -L | wc -l)
GPU_NAME="$(nvidia-smi --query-gpu=name --format=csv,noheader | head -1) × $gpus"
export CUDA_MODULE_LOADING=LAZY
# OpenMPI refuses root without these (the ctest environment sets the same).
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMPI_MCA_rmaps_base_oversubscribe=1

# ---- 1. build ---------------------------------------------------------------------------------
nvcc=$(command -v nvcc || echo /usr/local/cuda/bin/nvcc)
targets="test_backend test_dist_mpi coact_cli bench_sae_step bench_graph_step bench_cost_gemm"
if timeout 300 cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DCOACT_CUDA=ON \
     -DCMAKE_CUDA_COMPILER="$nvcc" -DCMAKE_CUDA_ARCHITECTURES=native > "$logs/configure.log" 2>&1 &&
   timeout 300 cmake --build "$build" -j "$(nproc)" --target $targets > "$logs/build.log" 2>&1; then
  row "build with CUDA" "pass" "$(grep -m1 'CUDA compiler' "$logs/configure.log" | sed 's/^-- //') ($targets)"
else
  row "build with CUDA" "FAIL" "see build.log: $(grep -m1 -E 'error|Error' "$logs/build.log" "$logs/configure.log" | cut -c1-200)"
  exit 1
fi
"$nvcc" -O2 -o "$build/gpu_peak" tools/gpu_peak.cu -lcublas > "$logs/gpu_peak_build.log" 2>&1 &&
  timeout 60 "$build/gpu_peak" > "$logs/gpu_peak.txt" 2>&1
peak() { sed -n "s/^$1 //p" "$logs/gpu_peak.txt"; }
if [ -n "$(peak peak_bf16_tflops)" ]; then
  row "roofline" "$(peak name), sm_$(peak sm)" "$(peak sms) SMs × $(peak clock_ghz) GHz: peak bf16 $(peak peak_bf16_tflops), tf32 $(peak peak_tf32_tflops), fp32 $(peak peak_fp32_tflops) TFLOP/s; cuBLAS at 8192³ measures bf16 $(peak measured_bf16_tflops), tf32 $(peak measured_tf32_tflops), fp32 $(peak measured_fp32_tflops) TFLOP/s"
else
  row "roofline" "FAIL" "tools/gpu_peak.cu did not run (gpu_peak_build.log, gpu_peak.txt)"
fi

# ---- 2. every backend op on cuda against the reference -----------------------------------------
if timeout 120 "$build/tests/backend/test_backend" --gtest_filter='*cuda*:RadixTopk*:WarpDot*:CpuBf16*' \
     > "$logs/test_backend.log" 2>&1; then
  row "backend ops on cuda vs reference" "pass" "$(grep -E '^\[  PASSED' "$logs/test_backend.log"), $(grep -cE '^\[  SKIPPED \] .*cuda' "$logs/test_backend.log") skipped"
else
  row "backend ops on cuda vs reference" "FAIL" "$(grep -E '^\[  FAILED  \] [A-Z]' "$logs/test_backend.log" | head -5 | tr '\n' ' ')"
fi

# ---- 3. NCCL allreduce over two ranks ------------------------------------------------------------
if [ "$gpus" -ge 2 ]; then
  if timeout 90 mpiexec -n 2 "$build/tests/dist/test_dist_mpi" --gtest_filter='NcclComm*' > "$logs/nccl.log" 2>&1 &&
     ! grep -q SKIPPED "$logs/nccl.log"; then
    row "NCCL allreduce, 2 ranks" "pass" "$(grep -m1 -E '^\[  PASSED' "$logs/nccl.log")"
  else
    row "NCCL allreduce, 2 ranks" "FAIL" "see nccl.log"
  fi
else
  row "NCCL allreduce, 2 ranks" "skipped" "one GPU visible"
fi

# ---- 4. the demo on the GPU ------------------------------------------------------------------------
demo=$(mktemp -d /tmp/coact-gpu-demo.XXXXXX)
start=$(date +%s)
if timeout 180 "$build/coact" demo --out "$demo/out" --device cuda --no-plots > "$logs/demo.log" 2>&1; then
  mmcs=$("$python" -c "import h5py,sys; print(' '.join('%.3f' % float(h5py.File(f)['/'].attrs['ground_truth_mmcs']) for f in sys.argv[1:]))" \
    "$demo"/out/sae_*.h5 2>/dev/null || echo "?")
  row "coact demo --device cuda" "pass" "$(( $(date +%s) - start )) s; MMCS per seed: $mmcs"
else
  row "coact demo --device cuda" "FAIL" "$(tail -2 "$logs/demo.log" | tr '\n' ' ' | cut -c1-200)"
fi
rm -rf "$demo"

# ---- 5. seed-scale benchmarks -----------------------------------------------------------------------
data=$build/bench-data
flop_step=$(awk 'BEGIN { printf "%.0f", 2 * 4096 * 16384 * 2048 }')  # one encoder GEMM
tflops() { awk -v s="$1" -v f="$2" 'BEGIN { if (s > 0) printf "%.1f", f / s / 1e12; else printf "?" }'; }
if timeout 120 "$build/bench/sae/bench_sae_step" prepare "$data" --l0 50 > "$logs/prepare.log" 2>&1; then
  torch_ok=$("$python" -c "import torch; print(int(torch.cuda.is_available()))" 2>/dev/null || echo 0)
  for sparsity in trained init; do
    for precision in fp32 bf16; do
      log=$logs/step_${sparsity}_$precision.log
      if timeout 120 "$build/bench/sae/bench_sae_step" time "$data" --sparsity "$sparsity" --repeats 5 --device cuda \
           --precision "$precision" > "$log" 2>&1; then
        step=$(sed -n 's/^step \([0-9.]*\) s.*/\1/p' "$log")
        gemm=$(sed -n 's/^encoder GEMM in [a-z0-9]* \([0-9.]*\) s.*/\1/p' "$log")
        path=$(sed -n 's/.*path \([a-z]*\),.*/\1/p' "$log")
        detail="step ${step} s ($path path), encoder GEMM ${gemm} s = $(tflops "$gemm" "$flop_step") TFLOP/s (peak $(peak peak_${precision}_tflops)); step/GEMM $(awk -v a="$step" -v b="$gemm" 'BEGIN { printf "%.2f", a / b }')"
        if [ "$torch_ok" = 1 ]; then
          theirs=$(timeout 120 "$python" bench/sae/torch_step.py "$data" "$sparsity" 1 5 "$precision" cuda 2> "$log.torch.err")
          t_step=$(echo "$theirs" | sed -n 's/^torch step \([0-9.]*\) s.*/\1/p')
          detail="$detail; PyTorch step ${t_step:-?} s (coact $(awk -v a="$step" -v b="${t_step:-0}" 'BEGIN { if (a > 0 && b > 0) printf "%.2fx faster", b / a; else printf "?" }'))"
        else
          detail="$detail; PyTorch: no torch with CUDA in $python"
        fi
        row "SAE step, $sparsity, $precision" "pass" "$detail"
      else
        row "SAE step, $sparsity, $precision" "FAIL" "$(tail -1 "$log" | cut -c1-200)"
      fi
    done
  done
else
  row "SAE step benchmarks" "FAIL" "bench_sae_step prepare failed (prepare.log)"
fi
for precision in fp32 bf16; do
  log=$logs/graph_$precision.log
  if timeout 120 "$build/bench/graph/bench_graph_step" --synthetic --batch 4096 --encode-rows 4096 --device cuda \
       --precision "$precision" > "$log" 2>&1; then
    row "graph step, $precision" "pass" "$(grep -E '^\(a\)|^\(a.\)|^\(b\)' "$log" | tr -s ' ' | tr '\n' ';')"
  else
    row "graph step, $precision" "FAIL" "$(tail -1 "$log" | cut -c1-200)"
  fi
done
for precision in bf16 tf32; do
  log=$logs/cost_$precision.log
  if timeout 120 "$build/bench/compare/bench_cost_gemm" --device cuda --precision "$precision" > "$log" 2>&1; then
    row "matching cost GEMM, fp32 vs $precision" "pass" "$(sed -n '2,3p' "$log" | tr '\n' ';')"
  else
    row "matching cost GEMM, fp32 vs $precision" "FAIL" "$(tail -1 "$log" | cut -c1-200)"
  fi
done
