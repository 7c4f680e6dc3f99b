#!/usr/bin/env python3
"""`coact compare` end to end for two wide SAEs on 1 rank against 2 ranks, on this machine's two
cores; by default n = 131,072 latents at d = 2,048.

  /usr/bin/python3 bench/compare/wide_compare.py build/coact [N] [D] [RANKS] [DIR]

RANKS is the rank counts to run, comma-separated (default "1,2"; "none" only makes the inputs); DIR keeps the SAEs, graphs
and comparisons between invocations (default /tmp/coact_wide_compare), so a second invocation
with RANKS = 2 reuses what the first made.

The SAEs are made with NumPy as sparsify folders (topk, k 32) and brought in by `coact import`:
A's decoder rows are random unit vectors (its encoder their transpose); B is A's features
permuted, 55% of them turned to decoder cosine U(0.70, 0.95) with A's and the rest fresh random
rows, as two seeds trained on the same data roughly look. Each gets a graph of one batch of
4,096 `coact synth` tokens. Then `coact compare` (exact matching, stability with its null
model, Q1–Q3) runs with one thread per rank:
  1 rank   1 rank × 1 thread
  2 ranks  2 ranks × 1 thread (mpirun --bind-to none)
For each: wall time of the whole command (reading the SAEs, matching, the null pass, encoder
cosines, the graphs' analyses, writing compare.h5), as a multiple of the floor, and the largest
peak RSS over its processes (getrusage of a wrapper); its log, each line after the seconds
since the start, goes to DIR/compare_RANKS.log (the phases' times). The floor is one pass of the cost GEMM,
2·n²·d flop, at the rate of `bench_blocked_matching --n 16384`'s timed pass over the matcher's
own tiles on one thread in the same run (divided by the ranks: each rank has a core). Figures are printed only when the runs find
the same matching cost, a certified optimum and the planted shared fraction.
"""
import json
import os
import re
import subprocess
import sys

import h5py
import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from peak_rss import measured  # noqa: E402

COACT = os.path.abspath(sys.argv[1])
N = int(sys.argv[2]) if len(sys.argv) > 2 else 131072
D = int(sys.argv[3]) if len(sys.argv) > 3 else 2048
RANKS = [int(r) for r in (sys.argv[4] if len(sys.argv) > 4 else "1,2").split(",") if r and r != "none"]
WORK = sys.argv[5] if len(sys.argv) > 5 else "/tmp/coact_wide_compare"
TOKENS, K, SHARED, GEMM_N = 4096, 32, 0.55, 16384
ROOT = ["--allow-run-as-root"] if os.getuid() == 0 else []


def run(command, env=None):
    r = subprocess.run(command, capture_output=True, text=True, env=env)
    if r.returncode != 0:
        sys.exit(f"{' '.join(command)} failed ({r.returncode}):\n{r.stderr[-3000:]}")
    return r.stdout


def write_sparsify(folder, w_dec):
    """A sparsify topk SAE whose encoder rows are its decoder rows."""
    os.makedirs(folder, exist_ok=True)
    n, d = w_dec.shape
    with open(os.path.join(folder, "cfg.json"), "w") as f:
        json.dump({"activation": "topk", "k": K, "num_latents": n, "d_in": d}, f)
    tensors = [("W_dec", w_dec), ("b_dec", np.zeros(d, np.float32)), ("encoder.bias", np.zeros(n, np.float32)),
               ("encoder.weight", w_dec)]
    header, offset = {}, 0
    for name, t in tensors:
        header[name] = {"dtype": "F32", "shape": list(t.shape), "data_offsets": [offset, offset + t.nbytes]}
        offset += t.nbytes
    text = json.dumps(header).encode()
    text += b" " * (-len(text) % 8)
    with open(os.path.join(folder, "sae.safetensors"), "wb") as f:
        f.write(len(text).to_bytes(8, "little"))
        f.write(text)
        for _, t in tensors:
            f.write(np.ascontiguousarray(t, np.float32).tobytes())


def make_saes():
    rng = np.random.default_rng(52)
    w = rng.standard_normal((N, D), dtype=np.float32)
    w /= np.linalg.norm(w, axis=1, keepdims=True)
    write_sparsify(os.path.join(WORK, "a"), w)
    perm = rng.permutation(N)
    kept = rng.random(N) < SHARED
    w = w[perm]
    noise = rng.standard_normal((N, D), dtype=np.float32)
    noise -= (noise * w).sum(1, keepdims=True) * w
    noise /= np.linalg.norm(noise, axis=1, keepdims=True)
    target = rng.uniform(0.70, 0.95, size=N).astype(np.float32)[:, None]
    w *= target
    w += np.sqrt(1 - target ** 2) * noise
    w[~kept] = noise[~kept]
    del noise
    write_sparsify(os.path.join(WORK, "b"), w)
    return float(kept.mean())


def main():
    os.makedirs(WORK, exist_ok=True)
    sae = {seed: os.path.join(WORK, f"sae_{seed}.h5") for seed in (52, 55)}
    graph = {seed: os.path.join(WORK, f"graph_{seed}.h5") for seed in (52, 55)}
    planted_file = os.path.join(WORK, "planted.txt")
    if not all(os.path.exists(p) for p in [*sae.values(), *graph.values(), planted_file]):
        store = os.path.join(WORK, "acts.h5")
        run([COACT, "synth", "--out", store, "--rows", str(TOKENS), "--d", str(D), "--features", "4096", "--seed", "3",
             "--force", "--log-level", "warn"])
        planted = make_saes()
        for seed, folder in ((52, "a"), (55, "b")):
            run([COACT, "import", "--from", os.path.join(WORK, folder), "--import-seed", str(seed), "--out", sae[seed],
                 "--force", "--log-level", "warn"])
            run([COACT, "graph", "--sae", sae[seed], "--activations", store, "--out", graph[seed], "--batch-tokens",
                 str(TOKENS), "--num-batches", "1", "--threads", "2", "--force", "--log-level", "warn"])
        with open(planted_file, "w") as f:
            f.write(str(planted))
    with open(planted_file) as f:
        planted = float(f.read())

    # The floor's rate: bench_blocked_matching's timed pass of the same tiles (1,024 rows × 4,096
    # columns, chunks and all) at GEMM_N, one thread; a pass at N is (N / GEMM_N)² of it.
    floor_run = run([os.path.join(os.path.dirname(COACT), "bench", "compare", "bench_blocked_matching"), "--n", str(GEMM_N),
                     "--d", str(D)], env={**os.environ, "OMP_NUM_THREADS": "1"})
    floor_small = float(re.search(r"floor: one GEMM pass ([\d.]+) s", floor_run).group(1))
    rate = 2.0 * GEMM_N * GEMM_N * D / floor_small
    floor = 2.0 * N * N * D / rate
    print(f"coact compare end to end: n = {N:,}, d = {D:,}, planted shared {planted:.4f}; floor: one pass of the cost "
          f"GEMM, 2·n²·d = {2.0 * N * N * D:.3g} flop at {rate / 1e9:.1f} GFLOP/s (the matcher's tiles at n {GEMM_N:,}, "
          f"one thread) = "
          f"{floor:.1f} s on one core", flush=True)

    results = {}
    for ranks in RANKS:
        out = os.path.join(WORK, f"compare_{ranks}.h5")
        command = [COACT, "compare", "--sae", sae[52], sae[55], "--graphs", graph[52], graph[55], "--out", out,
                   "--threads", "1", "--force", "--log-level", "info"]
        if ranks > 1:
            command = ["mpirun", "-n", str(ranks), "--oversubscribe", "--bind-to", "none", *ROOT,
                       "-x", "OMP_NUM_THREADS=1", *command]
        os.environ["OMP_NUM_THREADS"] = "1"
        seconds, rss = measured(command, log=os.path.join(WORK, f"compare_{ranks}.log"))
        with h5py.File(out, "r") as f:
            p = f["/pairs/0_1"].attrs
            values = {k: float(p[k]) for k in ("shared_fraction", "matching_cost", "certified", "matching_full_passes",
                                                 "matching_seconds", "matching_pricing_rounds")}
            values["pw_mcc"] = float(f["/stability/pairs/0_1"].attrs["pw_mcc"])
            values["null_pw_mcc"] = float(f["/stability/pairs/0_1"].attrs["null_pw_mcc"])
        results[ranks] = (seconds, rss, values)
        ratio = seconds / (floor / ranks)
        print(f"{ranks} rank(s) x 1 thread: {seconds:.1f} s = {ratio:.2f}x the floor ({floor / ranks:.1f} s), peak RSS "
              f"{rss / 2**20:,.0f} MiB per rank; matching {values['matching_seconds']:.1f} s "
              f"({values['matching_full_passes']:.3f} GEMM passes, {values['matching_pricing_rounds']:.0f} pricing "
              f"rounds), cost {values['matching_cost']:.6f}, certified {values['certified']:.0f}, shared "
              f"{values['shared_fraction']:.4f}, PW-MCC {values['pw_mcc']:.4f} (null {values['null_pw_mcc']:.4f})",
              flush=True)
        if values["certified"] != 1 or abs(values["shared_fraction"] - planted) > 0.005:
            sys.exit(f"{ranks} rank(s): not certified, or shared {values['shared_fraction']:.4f} against "
                     f"{planted:.4f} planted")
    if 1 in results and 2 in results:
        (t1, m1, v1), (t2, m2, v2) = results[1], results[2]
        if abs(v1["matching_cost"] - v2["matching_cost"]) > 1e-6 * N:
            sys.exit(f"1 and 2 ranks found different costs: {v1['matching_cost']} and {v2['matching_cost']}")
        print(f"2 ranks against 1: {t1 / t2:.2f}x faster, peak RSS per rank {m2 / m1:.2f}x")


if __name__ == "__main__":
    main()
