#!/bin/bash
# coact encode at seed scale (d 2,048, n 16,384) against the encoder GEMM floor and SAELens'
# own encode, same rows, same blocks of 4,096, same thread count, alternating for ROUNDS rounds
# (median reported, with the load average of each round):
#   bench_encode      the encoder GEMM alone over the rows, and coact's whole encoder
#   torch_encode.py   SAELens SAE.load_from_disk(...).encode (peers virtualenv), and torch's GEMM
#   coact encode      the command itself (reading the store, encoding, writing codes.h5)
#
#   bench/sae/run_encode_bench.sh BUILD_DIR [ROWS] [ROUNDS] [THREADS]
#
# Prepares (once) a store of ROWS rows and the SAEs under $BENCH_DATA or BUILD_DIR/bench/sae/encode.
set -euo pipefail
build=$1
rows=${2:-65536}
rounds=${3:-3}
threads=${4:-2}
here=$(cd "$(dirname "$0")" && pwd)
data=${BENCH_DATA:-$build/bench/sae/encode}
coact=$build/coact
peers=$(COACT_PEERS_VENV=${COACT_PEERS_VENV:-$here/../../.venv-peers} "$here/../../tools/peers-venv.sh" sae-lens)
mkdir -p "$data"
if [ ! -f "$data/acts_$rows.h5" ]; then
  "$coact" synth --out "$data/acts_$rows.h5" --rows "$rows" --d 2048 --features 8192 --seed 5 --threads "$threads" >/dev/null
fi
if [ ! -f "$data/jumprelu.h5" ]; then
  /usr/bin/python3 "$here/make_encode_problem.py" "$data/acts_$rows.h5" "$data"
  for kind in topk jumprelu; do "$coact" import --from "$data/$kind" --out "$data/$kind.h5" --force >/dev/null; done
fi
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs); threads $threads; rows $rows"
median() { sort -g | awk '{v[NR] = $1} END {print v[int((NR + 1) / 2)]}'; }
for kind in jumprelu topk; do
  echo "== $kind"
  : > /tmp/coact_encode_bench.$$
  for round in $(seq 1 "$rounds"); do
    load=$(cut -d' ' -f1 /proc/loadavg)
    ours=$("$build/bench/sae/bench_encode" "$data/$kind.h5" "$data/acts_$rows.h5" "$rows" 4096 "$threads" "$data/rows.bin")
    start=$(date +%s.%N)
    "$coact" encode --sae "$data/$kind.h5" --activations "$data/acts_$rows.h5" --out "$data/codes_$kind.h5" --force \
      --threads "$threads" >/dev/null 2>&1
    command=$(echo "$(date +%s.%N) - $start" | bc)
    npz=""
    if [ "$round" = 1 ]; then
      /usr/bin/python3 -c "import h5py, numpy as np; f = h5py.File('$data/codes_$kind.h5'); n = 4097; p = f['indptr'][:n]; np.savez('$data/codes_$kind.npz', indptr=p, indices=f['indices'][:p[-1]], values=f['values'][:p[-1]])"
      npz="$data/codes_$kind.npz"
    fi
    theirs=$("$peers" "$here/torch_encode.py" "$data/$kind" "$data/rows.bin" 2048 4096 "$threads" $npz 2>/dev/null)
    if [ "$round" = 1 ]; then echo "$ours"; echo "$theirs"; fi
    gemm=$(echo "$ours" | sed -n 's/^encoder GEMM alone \([0-9.]*\) s.*/\1/p')
    enc=$(echo "$ours" | sed -n 's/.*coact encoder \([0-9.]*\) s.*/\1/p')
    peer=$(echo "$theirs" | sed -n 's/.*encode \([0-9.]*\) s = .*/\1/p')
    printf "round %d (load %s): GEMM %.3f s, coact encoder %.3f s, coact encode command %.3f s, SAELens %.3f s\n" \
      "$round" "$load" "$gemm" "$enc" "$command" "$peer"
    echo "$gemm $enc $command $peer" >> /tmp/coact_encode_bench.$$
  done
  g=$(cut -d' ' -f1 /tmp/coact_encode_bench.$$ | median)
  e=$(cut -d' ' -f2 /tmp/coact_encode_bench.$$ | median)
  c=$(cut -d' ' -f3 /tmp/coact_encode_bench.$$ | median)
  p=$(cut -d' ' -f4 /tmp/coact_encode_bench.$$ | median)
  awk -v g="$g" -v e="$e" -v c="$c" -v p="$p" -v rows="$rows" 'BEGIN {
    printf "median: GEMM %.3f s; coact encoder %.3f s (%.3fx the GEMM); coact encode command %.3f s (%.3fx); SAELens %.3f s (%.2fx the GEMM; coact %.2fx faster)\n",
      g, e, e / g, c, c / g, p, p / g, p / e }'
  rm -f /tmp/coact_encode_bench.$$
done
