#!/bin/bash
# The batchtopk and jumprelu (and, with RECIPES="... matryoshka", matryoshka) training steps at
# seed scale (d 2,048, n 16,384, batch 4,096):
# coact's step (bench_sae_step time --recipe R, which also times the encoder GEMM alone and
# verifies the step's gradients against its other path) against dictionary_learning's own
# trainer step (torch_kinds_step.py, peers virtualenv) on the same weights and batch, same
# thread count, alternating for ROUNDS rounds; median reported with each round's load.
#
#   bench/sae/run_kinds_bench.sh BUILD_DIR [ROUNDS] [THREADS] [REPEATS]
#
# Uses the problem bench_sae_step prepares ($BENCH_DATA or BUILD_DIR/bench/sae/data). Matryoshka
# has no dense path to verify against: its round 1 runs with --verify 0 (tools/sae_reference.py
# checks its step).
set -euo pipefail
build=$1
rounds=${2:-3}
threads=${3:-2}
repeats=${4:-2}
here=$(cd "$(dirname "$0")" && pwd)
bench=$build/bench/sae/bench_sae_step
data=${BENCH_DATA:-$build/bench/sae/data}
peers=$(COACT_PEERS_VENV=${COACT_PEERS_VENV:-$here/../../.venv-peers} "$here/../../tools/peers-venv.sh" dictionary-learning)
[ -f "$data/meta.txt" ] || "$bench" prepare "$data" --l0 50
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs); threads $threads"
median() { sort -g | awk '{v[NR] = $1} END {print v[int((NR + 1) / 2)]}'; }
for recipe in ${RECIPES:-batchtopk jumprelu}; do
  echo "== $recipe: $rounds rounds, median of $repeats steps each"
  : > /tmp/coact_kinds_bench.$$
  for round in $(seq 1 "$rounds"); do
    load=$(cut -d' ' -f1 /proc/loadavg)
    verify=$([ "$round" = 1 ] && [ "$recipe" != matryoshka ] && echo 1 || echo 0)
    ours=$("$bench" time "$data" --sparsity trained --recipe "$recipe" --repeats "$repeats" --threads "$threads" --verify "$verify")
    theirs=$("$peers" "$here/torch_kinds_step.py" "$data" "$recipe" "$threads" "$repeats" 2>/dev/null)
    if [ "$round" = 1 ]; then echo "$ours"; echo "$theirs"; fi
    step=$(echo "$ours" | sed -n 's/^step \([0-9.]*\) s.*/\1/p')
    gemm=$(echo "$ours" | sed -n 's/.*encoder GEMM alone \([0-9.]*\) s.*/\1/p')
    peer=$(echo "$theirs" | sed -n 's/.* step \([0-9.]*\) s = .*/\1/p')
    printf "round %d (load %s): coact step %.3f s, GEMM %.3f s; dictionary_learning step %.3f s\n" "$round" "$load" \
      "$step" "$gemm" "$peer"
    echo "$step $gemm $peer" >> /tmp/coact_kinds_bench.$$
  done
  s=$(cut -d' ' -f1 /tmp/coact_kinds_bench.$$ | median)
  g=$(cut -d' ' -f2 /tmp/coact_kinds_bench.$$ | median)
  p=$(cut -d' ' -f3 /tmp/coact_kinds_bench.$$ | median)
  awk -v s="$s" -v g="$g" -v p="$p" 'BEGIN {
    printf "median: coact %.3f s (%.2fx its encoder GEMM, %.3f s); dictionary_learning %.3f s; coact %.2fx faster\n",
      s, s / g, g, p, p / s }'
  rm -f /tmp/coact_kinds_bench.$$
done
