#!/usr/bin/env bash
# Data-parallel scaling of `coact train`: the same global batch (4,096 tokens, d = 2,048,
# n = 16,384, nanda-1l from initialisation) on 1 rank × 1 thread and on 2 ranks × 1 thread.
# Target: >= 1.7x tokens/s with 2 ranks. Reads tokens/s from the SAE file's /metrics table,
# leaving out the first two steps (start-up).
#
#   bench/sae/scaling.sh build/coact [STORE] [STEPS]
set -euo pipefail
coact=$1
store=${2:-/tmp/coact_seed_scale/acts.h5}
steps=${3:-8}
work=$(mktemp -d /tmp/coact_scaling.XXXXXX)
trap 'rm -rf "$work"' EXIT
if [ ! -f "$store" ]; then
  "$coact" synth --out "$store" --rows 32768 --d 2048 --features 4096 --max-probability 0.05 --truth-rows 0 >/dev/null 2>&1
fi
root=()
[ "$(id -u)" -eq 0 ] && root=(--allow-run-as-root)
common=(train --activations "$store" --seed 52 --steps "$steps" --n 16384 --batch-size 4096 --log-every 1 --threads 1)
rate() {
  /usr/bin/python3 - "$1" <<'PY'
import sys, h5py, numpy as np
with h5py.File(sys.argv[1], "r") as f:
    tps = f["metrics/tokens_per_second"][2:]
print(f"{np.median(tps):.1f}")
PY
}
"$coact" "${common[@]}" --out "$work/one" >/dev/null 2>&1
one=$(rate "$work/one/sae_52.h5")
mpirun -n 2 --oversubscribe "${root[@]}" "$coact" "${common[@]}" --out "$work/two" >/dev/null 2>&1
two=$(rate "$work/two/sae_52.h5")
/usr/bin/python3 - "$one" "$two" "$work" <<'PY'
import sys, h5py, numpy as np
one, two, work = float(sys.argv[1]), float(sys.argv[2]), sys.argv[3]
with h5py.File(f"{work}/one/sae_52.h5") as a, h5py.File(f"{work}/two/sae_52.h5") as b:
    diff = max(np.abs(a[k][...] - b[k][...]).max() / max(np.abs(a[k][...]).max(), 1e-30) for k in ("W_enc", "W_dec", "b_enc", "b_dec"))
print(f"1 rank x 1 thread: {one:.0f} tokens/s; 2 ranks x 1 thread: {two:.0f} tokens/s; speed-up {two / one:.2f}x (target >= 1.7)")
print(f"parameters after the run agree to {diff:.1e} relative (same global batches)")
PY
