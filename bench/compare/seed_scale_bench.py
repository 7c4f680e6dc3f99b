#!/usr/bin/python3
"""Seed-scale pipeline benchmark: two SAEs of the seed study's shape (d = 2,048, n = 16,384),
`coact graph` on each (time per batch and peak RSS), then `coact compare` end to end.

The SAEs are made with NumPy and brought in with `coact import` (training them to convergence
at this size takes hours on 2 cores): A has the nanda-1l initialisation's distribution with
b_enc chosen so a token activates ~50 features; B is A with its features permuted, 55% of them
perturbed to decoder cosines 0.7-0.95 and the rest replaced by fresh random features, as two
seeds trained on the same data roughly look. The activations are `coact synth` data at d = 2,048.

Usage: seed_scale_bench.py path/to/coact [--dir DIR] [--batches N] [--threads T]
"""
import argparse
import json
import os
import re
import subprocess
import sys
import time

import numpy as np

D, N, B = 2048, 16384, 16384


def run(cmd, **kw):
    start = time.perf_counter()
    r = subprocess.run(cmd, capture_output=True, text=True, **kw)
    elapsed = time.perf_counter() - start
    if r.returncode != 0:
        sys.exit(f"{' '.join(cmd)} failed:\n{r.stderr}")
    return r, elapsed


def timed_rss(cmd):
    """Runs cmd under /usr/bin/time -v: (stdout, seconds, peak RSS in MiB)."""
    r, elapsed = run(["/usr/bin/time", "-v", *cmd])
    rss = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", r.stderr).group(1)) / 1024
    return r.stdout, elapsed, rss


def write_safetensors(path, tensors):
    header, offset, blobs = {}, 0, []
    for name in sorted(tensors):
        data = np.ascontiguousarray(tensors[name], dtype=np.float32).tobytes()
        header[name] = {"dtype": "F32", "shape": list(tensors[name].shape), "data_offsets": [offset, offset + len(data)]}
        offset += len(data)
        blobs.append(data)
    text = json.dumps(header).encode()
    text += b" " * (-len(text) % 8)
    with open(path, "wb") as f:
        f.write(len(text).to_bytes(8, "little"))
        f.write(text)
        for blob in blobs:
            f.write(blob)


def make_saes(dir, acts_sample):
    rng = np.random.default_rng(52)
    w_dec = rng.uniform(-np.sqrt(6 / D), np.sqrt(6 / D), size=(N, D)).astype(np.float32)
    w_dec /= np.linalg.norm(w_dec, axis=1, keepdims=True)
    w_enc = np.ascontiguousarray(w_dec.T) * 0.5
    b_dec = np.zeros(D, np.float32)
    # b_enc: each feature's pre-activation exceeds 0 on ~50/N of the sample's tokens.
    pre = acts_sample @ w_enc
    b_enc = -np.quantile(pre, 1 - 50 / N, axis=0).astype(np.float32)
    saes = {"a": dict(W_enc=w_enc, W_dec=w_dec, b_enc=b_enc, b_dec=b_dec)}
    perm = rng.permutation(N)
    kept = rng.random(N) < 0.55
    w2 = w_dec[perm].copy()
    target = rng.uniform(0.7, 0.95, size=N)
    noise = rng.normal(size=(N, D)).astype(np.float32)
    noise -= (noise * w2).sum(1, keepdims=True) * w2
    noise /= np.linalg.norm(noise, axis=1, keepdims=True)
    w2 = np.where(kept[:, None], target[:, None] * w2 + np.sqrt(1 - target[:, None] ** 2) * noise, noise).astype(np.float32)
    saes["b"] = dict(W_enc=np.ascontiguousarray(w2.T) * 0.5, W_dec=w2, b_enc=b_enc[perm], b_dec=b_dec)
    for name, tensors in saes.items():
        write_safetensors(os.path.join(dir, f"sae_{name}.safetensors"), tensors)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("coact")
    parser.add_argument("--dir", default="/tmp/coact_seed_scale")
    parser.add_argument("--batches", type=int, default=2)
    parser.add_argument("--threads", type=int, default=os.cpu_count())
    args = parser.parse_args()
    os.makedirs(args.dir, exist_ok=True)
    coact, dir = args.coact, args.dir
    acts = os.path.join(dir, "acts.h5")
    if not os.path.exists(acts):
        run([coact, "synth", "--out", acts, "--rows", str(B * args.batches), "--d", str(D), "--features", "4096",
             "--max-probability", "0.05", "--noise", "0.01", "--truth-rows", "0"])
    import h5py
    with h5py.File(acts, "r") as f:
        sample = f["activations"][:4096].astype(np.float32)
    make_saes(dir, sample)
    for name, seed in (("a", 52), ("b", 55)):
        run([coact, "import", "--from", os.path.join(dir, f"sae_{name}.safetensors"), "--import-seed", str(seed),
             "--out", os.path.join(dir, f"sae_{seed}.h5"), "--force"])
    print(f"seed-scale pipeline: d={D}, n={N}, B={B}, {args.batches} batches, {args.threads} threads")
    for seed in (52, 55):
        out, seconds, rss = timed_rss([coact, "graph", "--sae", os.path.join(dir, f"sae_{seed}.h5"), "--activations", acts,
                                      "--out", os.path.join(dir, f"graph_{seed}.h5"), "--batch-tokens", str(B),
                                      "--num-batches", str(args.batches), "--threads", str(args.threads), "--force"])
        print(f"coact graph seed {seed}: {seconds:.1f} s for {args.batches} batches ({seconds / args.batches:.1f} s/batch "
              f"incl. start-up), peak RSS {rss:.0f} MiB -- {out.strip()}")
    out, seconds, rss = timed_rss([coact, "compare", "--sae", os.path.join(dir, "sae_52.h5"), os.path.join(dir, "sae_55.h5"),
                                   "--graphs", os.path.join(dir, "graph_52.h5"), os.path.join(dir, "graph_55.h5"),
                                   "--out", os.path.join(dir, "compare.h5"), "--threads", str(args.threads), "--force"])
    print(f"coact compare end to end: {seconds:.1f} s (target <= 120 s), peak RSS {rss:.0f} MiB")
    print(out.strip())


if __name__ == "__main__":
    main()
