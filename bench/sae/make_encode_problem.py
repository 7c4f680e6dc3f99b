#!/usr/bin/env python3
"""Seed-scale SAEs for the encode benchmark, as SAELens folders (numpy only): a topk SAE (k 32)
and a jumprelu SAE whose per-feature thresholds make each feature fire on ~L0·B/n of a sample
of the store's rows (L0 ≈ 50, a trained-like code). Weights: U(±1/sqrt(d)) encoder, its
transpose with unit rows as decoder.

  usage: make_encode_problem.py STORE OUTDIR [--n N] [--l0 L]
"""
import argparse
import os
import sys

import h5py
import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tools"))
import sae_formats as sf  # noqa: E402


def main():
    p = argparse.ArgumentParser()
    p.add_argument("store")
    p.add_argument("outdir")
    p.add_argument("--n", type=int, default=16384)
    p.add_argument("--l0", type=float, default=50)
    a = p.parse_args()
    with h5py.File(a.store, "r") as f:
        sample = f["activations"][:2048].astype(np.float32)
    d, n = sample.shape[1], a.n
    rng = np.random.default_rng(52)
    W_enc = rng.uniform(-1, 1, size=(d, n)).astype(np.float32) / np.float32(np.sqrt(d))
    W_dec = (W_enc.T / np.linalg.norm(W_enc.T, axis=1, keepdims=True)).astype(np.float32)
    b_dec = np.zeros(d, np.float32)
    b_enc = np.zeros(n, np.float32)
    pre = sample @ W_enc
    fires = max(1, int(a.l0 * len(sample) / n))
    # Halfway between the fires-th and the next value of each feature: no row sits on its threshold.
    top = np.sort(np.partition(pre, -fires - 1, axis=0)[-fires - 1:], axis=0)
    theta = np.maximum(0.5 * (top[0] + top[1]), 0.0).astype(np.float32)
    base = {"W_enc": W_enc, "W_dec": W_dec, "b_enc": b_enc, "b_dec": b_dec}
    sf.write_saelens(os.path.join(a.outdir, "topk"), "topk", base, k=32)
    sf.write_saelens(os.path.join(a.outdir, "jumprelu"), "jumprelu", {**base, "threshold": theta})
    print(f"SAEs d {d}, n {n} in {a.outdir}: topk (k 32), jumprelu (L0 ~{a.l0:g} on the sample)")


if __name__ == "__main__":
    main()
