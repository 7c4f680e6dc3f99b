"""An independent NumPy implementation of the seed study's co-activation loop, against coact's
accumulator on small random activations with ties and sparse tokens: identical edge sets and
counts, weights within 1e-6.

Usage: coactivation_reference_test.py path/to/coactivation_driver
"""
import itertools
import os
import subprocess
import sys
import tempfile
import unittest

import h5py
import numpy as np

DRIVER = sys.argv[1]


def reference(z, batch_rows, k, policy):
    """The seed loop: per batch, per token top-k (ties to lower index), cosine of batch columns."""
    n = z.shape[1]
    count = {}
    wsum = {}
    used = (z.shape[0] // batch_rows) * batch_rows  # only full batches enter the graph
    active = (z[:used] > 0).sum(axis=0)
    topk_count = np.zeros(n, np.int64)
    for first in range(0, z.shape[0] - batch_rows + 1, batch_rows):
        zb = z[first:first + batch_rows].astype(np.float64)
        norms = np.maximum(np.linalg.norm(zb, axis=0), 1e-12)
        cos = (zb.T @ zb) / np.outer(norms, norms)
        for row in zb:
            # Stable sort on -value: equal values keep index order, so ties go to the lower index.
            order = np.argsort(-row, kind="stable")
            if policy == "positive":
                chosen = [f for f in order[:k] if row[f] > 0]
            else:
                chosen = list(order[:k])
            for f in chosen:
                topk_count[f] += 1
            for i, j in itertools.combinations(sorted(chosen), 2):
                count[(i, j)] = count.get((i, j), 0) + 1
                wsum[(i, j)] = wsum.get((i, j), 0.0) + cos[i, j]
    return count, wsum, active, topk_count


class CoactivationReference(unittest.TestCase):
    def check(self, z, batch_rows, k, policy):
        with tempfile.TemporaryDirectory() as tmp:
            src, out = os.path.join(tmp, "z.h5"), os.path.join(tmp, "edges.h5")
            with h5py.File(src, "w") as f:
                f["z"] = z.astype(np.float32)
            r = subprocess.run([DRIVER, src, out, str(batch_rows), str(k), policy], capture_output=True, text=True)
            self.assertEqual(r.returncode, 0, r.stderr)
            with h5py.File(out, "r") as f:
                got = {(int(i), int(j)): (int(c), float(w)) for i, j, c, w in
                       zip(f["i"][...], f["j"][...], f["count"][...], f["weight_sum"][...])}
                active, topk = f["active"][...], f["topk"][...]
        count, wsum, ref_active, ref_topk = reference(z.astype(np.float32), batch_rows, k, policy)
        self.assertEqual(set(got), set(count), "edge sets differ")
        for key, c in count.items():
            self.assertEqual(got[key][0], c, key)
            self.assertAlmostEqual(got[key][1] / c, wsum[key] / c, delta=1e-6, msg=key)
        np.testing.assert_array_equal(active, ref_active)
        np.testing.assert_array_equal(topk, ref_topk)
        return len(count)

    def test_random_with_ties_and_sparse_tokens(self):
        rng = np.random.default_rng(0)
        for policy in ("positive", "seed"):
            for k in (2, 4, 5):
                z = rng.random((6 * 50, 30)) * (rng.random((300, 30)) < 0.12)
                # Ties: quantise some values; some tokens with 0 or 1 active features.
                z[::7] = np.round(z[::7] * 4) / 4
                z[::11] = 0
                z[5::13, :] = 0
                z[5::13, 3] = 1.0
                edges = self.check(z, 50, k, policy)
                self.assertGreater(edges, 10)

    def test_partial_last_batch_is_ignored(self):
        rng = np.random.default_rng(1)
        z = rng.random((130, 12)) * (rng.random((130, 12)) < 0.3)
        self.check(z, 50, 4, "positive")


if __name__ == "__main__":
    unittest.main(argv=[sys.argv[0]], verbosity=2)
