#!/usr/bin/python3
"""The co-activation step (per-token top-k, per-batch cosine of whole-batch columns,
count/weight accumulation) vectorised with NumPy on the codes bench_graph_step wrote, timed
against coact's time for the same part; the edge counts must agree.

Usage: coactivation_numpy.py CODES.h5 [--k 4]
"""
import argparse
import time

import h5py
import numpy as np


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("codes")
    parser.add_argument("--k", type=int, default=4)
    args = parser.parse_args()
    with h5py.File(args.codes, "r") as f:
        row_begin, feature, value = f["row_begin"][...], f["feature"][...], f["value"][...]
        n = int(f.attrs["features"])
        coact_edges, coact_pairs = int(f.attrs["edges"]), int(f.attrs["pair_occurrences"])
        coact_seconds = float(f.attrs["coact_seconds"])
    rows = len(row_begin) - 1
    z = np.zeros((rows, n), np.float32)  # the batch's activations, as the seed code holds them
    z[np.repeat(np.arange(rows), np.diff(row_begin)), feature] = value

    start = time.perf_counter()
    k = args.k
    # Top-k per token with ties to the lower index: partition, then a stable sort of the k.
    part = np.argpartition(-z, k, axis=1)[:, :k]
    vals = np.take_along_axis(z, part, axis=1)
    order = np.lexsort((part, -vals), axis=1)
    top = np.take_along_axis(part, order, axis=1)
    top_vals = np.take_along_axis(vals, order, axis=1)
    norms = np.maximum(np.linalg.norm(z, axis=0), 1e-12)
    keys = []
    for a in range(k):
        for b in range(a + 1, k):
            ok = (top_vals[:, a] > 0) & (top_vals[:, b] > 0)  # the positive zero policy
            i, j = np.minimum(top[ok, a], top[ok, b]), np.maximum(top[ok, a], top[ok, b])
            keys.append(i.astype(np.int64) * n + j)
    keys = np.concatenate(keys)
    unique, counts = np.unique(keys, return_counts=True)
    i, j = unique // n, unique % n
    cos = np.empty(len(unique))
    for s in range(0, len(unique), 2048):  # column dot products in chunks of pairs
        cos[s:s + 2048] = np.einsum("ti,ti->i", z[:, i[s:s + 2048]], z[:, j[s:s + 2048]]) / (norms[i[s:s + 2048]] * norms[j[s:s + 2048]])
    weight_sum = cos * counts
    seconds = time.perf_counter() - start
    assert len(unique) == coact_edges, (len(unique), coact_edges)
    assert int(counts.sum()) == coact_pairs, (int(counts.sum()), coact_pairs)
    print(f"NumPy top-k + cosine + accumulate: {seconds:.2f} s for {len(unique):,} edges; coact {coact_seconds:.3f} s: "
          f"{seconds / coact_seconds:.0f}x faster (target >= 20x); edge sets agree")
    del weight_sum


if __name__ == "__main__":
    main()
