#!/bin/bash
# The nanda-1l step benchmark: coact (bench_sae_step) and PyTorch (torch_step.py) on the same
# weights and batch, same thread count, at a trained-like sparsity (L0 ≈ 50) and at
# initialisation (z dense). The machine is shared, so the two alternate for ROUNDS rounds (each
# timing REPEATS steps after a warm-up step) and the report is the median over rounds, with the
# load average at each round. The first round also verifies coact's step (dense vs sparse path)
# and checks that both compute the same first-step loss.
#
#   bench/sae/run_step_bench.sh BUILD_DIR [ROUNDS] [THREADS] [REPEATS] [PRECISION] [SPARSITIES]
#
# PRECISION fp32 (default) or bf16 (coact --precision bf16; PyTorch under torch.autocast bf16);
# the first-step losses must then agree to 1e-2 instead of 1e-5. SPARSITIES: "trained init"
# (default), or one of them. $COACT_PYTHON picks the Python whose torch is measured.
#
# Writes the prepared problem (300 MB) to $BENCH_DATA or BUILD_DIR/bench/sae/data.
set -euo pipefail
build=$1
rounds=${2:-5}
threads=${3:-$(nproc)}
repeats=${4:-2}
precision=${5:-fp32}
sparsities=${6:-trained init}
tolerance=$([ "$precision" = fp32 ] && echo 1e-5 || echo 1e-2)
here=$(cd "$(dirname "$0")" && pwd)
bench=$build/bench/sae/bench_sae_step
data=${BENCH_DATA:-$build/bench/sae/data}
python=${COACT_PYTHON:-/usr/bin/python3}

[ -f "$data/meta.txt" ] || "$bench" prepare "$data" --l0 50
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs); threads $threads"
median() { sort -g | awk '{v[NR] = $1} END {print v[int((NR + 1) / 2)]}'; }
for sparsity in $sparsities; do
  echo "== sparsity $sparsity: $rounds rounds, median of $repeats steps each"
  : > /tmp/coact_sae_bench.$$
  for round in $(seq 1 "$rounds"); do
    load=$(cut -d' ' -f1 /proc/loadavg)
    verify=$([ "$round" = 1 ] && echo 1 || echo 0)
    ours=$("$bench" time "$data" --sparsity "$sparsity" --repeats "$repeats" --threads "$threads" --verify "$verify" \
      --precision "$precision")
    theirs=$("$python" "$here/torch_step.py" "$data" "$sparsity" "$threads" "$repeats" "$precision")
    if [ "$round" = 1 ]; then echo "$ours"; echo "$theirs"; fi
    step_ours=$(echo "$ours" | sed -n 's/^step \([0-9.]*\) s.*/\1/p')
    gemm_ours=$(echo "$ours" | sed -n 's/.*encoder GEMM alone \([0-9.]*\) s.*/\1/p')
    gemm_precision=$(echo "$ours" | sed -n 's/^encoder GEMM in [a-z0-9]* \([0-9.]*\) s.*/\1/p')
    gemm_theirs=$(echo "$theirs" | sed -n 's/.*encoder GEMM alone \([0-9.]*\) s.*/\1/p')
    step_theirs=$(echo "$theirs" | sed -n 's/^torch step \([0-9.]*\) s.*/\1/p')
    loss_ours=$(echo "$ours" | sed -n 's/^first step loss //p')
    loss_theirs=$(echo "$theirs" | sed -n 's/^torch first step loss //p')
    awk -v la="$loss_ours" -v lb="$loss_theirs" -v tol="$tolerance" 'BEGIN { r = (la - lb) / lb; if (r < 0) r = -r;
      if (r > tol) { print "MISMATCH: coact and torch compute different losses: " la " vs " lb; exit 1 } }'
    printf "round %d (load %s): coact step %.3f s, fp32 GEMM %.3f s, %s GEMM %.3f s; torch step %.3f s, %s GEMM %.3f s\n" \
      "$round" "$load" "$step_ours" "$gemm_ours" "$precision" "$gemm_precision" "$step_theirs" "$precision" "$gemm_theirs"
    echo "$step_ours $gemm_ours $step_theirs" >> /tmp/coact_sae_bench.$$
  done
  rows=$(sed -n 's/^batch //p' "$data/meta.txt")
  s_ours=$(cut -d' ' -f1 /tmp/coact_sae_bench.$$ | median)
  s_gemm=$(cut -d' ' -f2 /tmp/coact_sae_bench.$$ | median)
  s_theirs=$(cut -d' ' -f3 /tmp/coact_sae_bench.$$ | median)
  awk -v a="$s_ours" -v g="$s_gemm" -v b="$s_theirs" -v rows="$rows" 'BEGIN {
    printf "median: coact %.3f s = %.0f tokens/s (%.2fx its encoder GEMM, %.3f s); torch %.3f s = %.0f tokens/s; coact %.2fx faster\n",
      a, rows / a, a / g, g, b, rows / b, b / a }'
  rm -f /tmp/coact_sae_bench.$$
done
