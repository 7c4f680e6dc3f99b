"""Feature stability across seeds (compare.h5 /stability) against a NumPy reference, on planted
data whose shared sets are known: three SAEs, the second and third permuted copies of the first
with known sets of features replaced by random directions. A feature of the first SAE is then
matched at a high cosine in exactly the copies that kept it.

Checks, from the SAE and graph files alone: the best cosines both ways and PW-MCC (NumPy), the
shared fractions at each threshold (from the matching, itself checked against SciPy's
linear_sum_assignment cost), every feature's stable count and mean matched cosine, the count
histograms, the stable/partial/unstable groups' statistics (from the graph files), the planted
counts, and the null model (a random rotation) against NumPy's own Haar rotations.

Usage: stability_test.py path/to/coact
"""
import os
import shutil
import subprocess
import sys
import tempfile
import unittest

import h5py
import numpy as np
from scipy.optimize import linear_sum_assignment

COACT = sys.argv[1]
THRESHOLDS = np.array([0.5, 0.6, 0.7, 0.8, 0.9])


def run(args):
    r = subprocess.run([COACT, *args], capture_output=True, text=True, timeout=600)
    if r.returncode != 0:
        raise AssertionError(f"coact {' '.join(args)} failed ({r.returncode}):\n{r.stderr}")
    return r


def unit(w):
    norm = np.linalg.norm(w, axis=1, keepdims=True)
    return np.divide(w, norm, out=np.zeros_like(w), where=norm > 0)


def haar(d, rng):
    q, r = np.linalg.qr(rng.normal(size=(d, d)))
    return q * np.sign(np.diag(r))


class Stability(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.mkdtemp(prefix="coact_stability_")
        cls.addClassCleanup(shutil.rmtree, cls.dir, True)
        acts = os.path.join(cls.dir, "acts.h5")
        run(["synth", "--out", acts, "--rows", "20480", "--d", "16", "--features", "48", "--seed", "4"])
        run(["train", "--activations", acts, "--out", cls.dir, "--seed", "52", "--steps", "200", "--expansion", "4",
             "--batch-size", "1024", "--recipe", "topk", "--k", "6", "--lr", "2e-3"])
        rng = np.random.default_rng(7)
        cls.seeds = (52, 61, 62)
        with h5py.File(cls.sae(52), "r") as f:
            n, d = f["W_dec"].shape
        cls.n = n
        # Replaced in the second copy, in the third, in both: the planted stable counts.
        features = rng.permutation(n)
        cls.replaced = {61: set(features[:10]) | set(features[20:26]), 62: set(features[10:20]) | set(features[20:26])}
        cls.perm = {}
        for seed in cls.seeds[1:]:
            shutil.copyfile(cls.sae(52), cls.sae(seed))
            perm = rng.permutation(n)  # feature i of the first SAE becomes feature perm[i]
            cls.perm[seed] = perm
            with h5py.File(cls.sae(seed), "r+") as f:
                w_dec, w_enc, b_enc = f["W_dec"][...], f["W_enc"][...], f["b_enc"][...]
                for i in cls.replaced[seed]:
                    w_dec[i] = rng.normal(size=d).astype(np.float32) * np.linalg.norm(w_dec[i]) / np.sqrt(d)
                w_dec = w_dec + rng.normal(scale=1e-4, size=w_dec.shape).astype(np.float32)
                inverse = np.argsort(perm)
                f["W_dec"][...] = w_dec[inverse]
                f["W_enc"][...] = w_enc[:, inverse]
                f["b_enc"][...] = b_enc[inverse]
                f.attrs["cfg_seed"] = seed
                f.attrs["seed"] = seed
        for seed in cls.seeds:
            run(["graph", "--sae", cls.sae(seed), "--activations", acts, "--out", cls.graph(seed), "--batch-tokens", "2048",
                 "--num-batches", "5"])
        cls.out = os.path.join(cls.dir, "compare.h5")
        run(["compare", "--sae", *[cls.sae(s) for s in cls.seeds], "--graphs", *[cls.graph(s) for s in cls.seeds],
             "--out", cls.out, "--baseline-seed", "3"])
        cls.w = []
        for s in cls.seeds:
            with h5py.File(cls.sae(s), "r") as f:
                cls.w.append(unit(f["W_dec"][...].astype(np.float64)))

    @classmethod
    def sae(cls, seed):
        return os.path.join(cls.dir, f"sae_{seed}.h5")

    @classmethod
    def graph(cls, seed):
        return os.path.join(cls.dir, f"graph_{seed}.h5")

    def matched(self, f, i, j):
        """Matched decoder cosines of SAE i's features in SAE j (from the stored matching)."""
        a, b = min(i, j), max(i, j)
        pair = f[f"pairs/{a}_{b}"]
        matching, cosine = pair["matching"][...], pair["decoder_cosine"][...]
        if i == a:
            return cosine
        out = np.full(len(self.w[i]), np.nan, dtype=np.float32)
        out[matching] = cosine
        return out

    def test_pairs_against_numpy(self):
        with h5py.File(self.out, "r") as f:
            st = f["stability"]
            np.testing.assert_allclose(st["thresholds"][...], THRESHOLDS)
            self.assertEqual(st.attrs["threshold"], 0.7)
            for i in range(3):
                for j in range(i + 1, 3):
                    cos = self.w[i] @ self.w[j].T
                    pair, group = f[f"pairs/{i}_{j}"], st[f"pairs/{i}_{j}"]
                    # The matching the fractions use is an optimal assignment (SciPy's cost).
                    rows, cols = linear_sum_assignment(1 - cos)
                    matching = pair["matching"][...]
                    self.assertAlmostEqual((1 - cos[np.arange(self.n), matching]).sum(), (1 - cos[rows, cols]).sum(), places=3)
                    np.testing.assert_allclose(group["max_cosine_first"][...], cos.max(axis=1), atol=1e-5)
                    np.testing.assert_allclose(group["max_cosine_second"][...], cos.max(axis=0), atol=1e-5)
                    pw = 0.5 * (cos.max(axis=1).mean() + cos.max(axis=0).mean())
                    self.assertAlmostEqual(group.attrs["pw_mcc"], pw, places=5)
                    self.assertAlmostEqual(st["pw_mcc"][i, j], pw, places=5)
                    self.assertAlmostEqual(st["pw_mcc"][j, i], pw, places=5)
                    matched = cos[np.arange(self.n), matching]
                    np.testing.assert_allclose(pair["decoder_cosine"][...], matched, atol=1e-5)
                    expect = [(matched >= t).mean() for t in THRESHOLDS]
                    np.testing.assert_allclose(group["shared_fraction_at"][...], expect, atol=1.5 / self.n)
                    best = np.concatenate([cos.max(axis=1), cos.max(axis=0)])
                    np.testing.assert_allclose(group["max_fraction_at"][...], [(best >= t).mean() for t in THRESHOLDS],
                                               atol=1.5 / self.n)
            self.assertTrue(np.isnan(np.diag(st["pw_mcc"][...])).all())

    def test_per_feature_counts_against_numpy(self):
        with h5py.File(self.out, "r") as f:
            st = f["stability"]
            for i in range(3):
                group = st[f"saes/{i}"]
                others = [self.matched(f, i, j) for j in range(3) if j != i]
                counts = np.array([[sum(o[k] >= t for o in others) for k in range(self.n)] for t in THRESHOLDS])
                np.testing.assert_array_equal(group["stable_count"][...], counts)
                np.testing.assert_allclose(group["mean_matched_cosine"][...], np.mean(others, axis=0), atol=1e-5)
                histogram = np.array([np.bincount(c, minlength=3) for c in counts])
                np.testing.assert_array_equal(group["count_histogram"][...], histogram)
                # Best-cosine counts, for the null's measure.
                bests = []
                for j in range(3):
                    if j != i:
                        bests.append((self.w[i] @ self.w[j].T).max(axis=1))
                best_counts = np.array([[sum(b[k] >= t for b in bests) for k in range(self.n)] for t in THRESHOLDS])
                np.testing.assert_array_equal(group["best_count_histogram"][...],
                                              np.array([np.bincount(c, minlength=3) for c in best_counts]))
                # The null counts agree with the stored null best cosines.
                nulls = []
                for j in range(3):
                    if j == i:
                        continue
                    a, b = min(i, j), max(i, j)
                    nulls.append(st[f"pairs/{a}_{b}/null_max_cosine_{'first' if i == a else 'second'}"][...])
                null_counts = np.array([[sum(v[k] >= t for v in nulls) for k in range(self.n)] for t in THRESHOLDS])
                np.testing.assert_array_equal(group["null_stable_count"][...], null_counts)

    def test_planted_shared_sets(self):
        """At 0.9, feature f of the first SAE is matched in exactly the copies that kept it."""
        # Features with a near-duplicate in their own SAE may trade partners: left out.
        own = self.w[0] @ self.w[0].T - 2 * np.eye(self.n)
        clear = [k for k in range(self.n) if own[k].max() < 0.8]
        self.assertGreater(len(clear), self.n // 2)
        with h5py.File(self.out, "r") as f:
            counts = f["stability/saes/0/stable_count"][...][list(THRESHOLDS).index(0.9)]
            for feature in clear:
                kept = sum(feature not in self.replaced[s] for s in self.seeds[1:])
                self.assertEqual(counts[feature], kept, f"feature {feature}")
            # And the matches are the planted permutation for the features kept.
            matching = f["pairs/0_1/matching"][...]
            kept = [k for k in clear if k not in self.replaced[61]]
            np.testing.assert_array_equal(matching[kept], self.perm[61][kept])

    def test_groups_against_graph_files(self):
        with h5py.File(self.out, "r") as f:
            for i, seed in enumerate(self.seeds):
                group = f[f"stability/saes/{i}"]
                self.assertEqual(group.attrs["community_source"], "component")
                self.assertEqual(group.attrs["group_names"], "stable,partial,unstable")
                fields = group.attrs["group_fields"].split(",")
                counts = group["stable_count"][...][list(THRESHOLDS).index(0.7)]
                with h5py.File(self.graph(seed), "r") as g:
                    nodes = {k: g[f"nodes/{k}"][...] for k in ("frequency", "degree", "clustering", "component")}
                sizes = np.bincount(nodes["component"])[nodes["component"]]
                for row, members in enumerate((counts == 2, (counts > 0) & (counts < 2), counts == 0)):
                    values = dict(zip(fields, group["groups"][row]))
                    self.assertEqual(values["features"], members.sum())
                    if not members.any():
                        self.assertTrue(np.isnan(values["median_frequency"]))
                        continue
                    self.assertAlmostEqual(values["median_frequency"], np.median(nodes["frequency"][members]), places=12)
                    self.assertAlmostEqual(values["median_degree"], np.median(nodes["degree"][members]), places=12)
                    self.assertAlmostEqual(values["mean_clustering"], nodes["clustering"][members].mean(), places=12)
                    self.assertAlmostEqual(values["isolated_fraction"], (nodes["degree"][members] == 0).mean(), places=12)
                    self.assertAlmostEqual(values["median_community_size"], np.median(sizes[members]), places=12)
                    self.assertEqual(values["communities"], len(set(nodes["component"][members])))

    def test_null_model_matches_numpy_rotations(self):
        """The null PW-MCC is what random rotations give (NumPy's own Haar draws), and far below
        the planted pairs' real PW-MCC."""
        rng = np.random.default_rng(11)
        with h5py.File(self.out, "r") as f:
            st = f["stability"]
            self.assertEqual(st.attrs["null_seed"], 3)
            for i, j in ((0, 1), (0, 2), (1, 2)):
                draws = []
                for _ in range(40):
                    cos = self.w[i] @ (self.w[j] @ haar(self.w[j].shape[1], rng)).T
                    draws.append(0.5 * (cos.max(axis=1).mean() + cos.max(axis=0).mean()))
                null = st[f"pairs/{i}_{j}"].attrs["null_pw_mcc"]
                self.assertLess(abs(null - np.mean(draws)), 5 * np.std(draws) + 0.01, (null, np.mean(draws), np.std(draws)))
                self.assertAlmostEqual(st["null_pw_mcc"][i, j], null)
                self.assertGreater(st["pw_mcc"][i, j], null + 0.2)
                for name in ("null_max_cosine_first", "null_max_cosine_second"):
                    values = st[f"pairs/{i}_{j}/{name}"][...]
                    self.assertTrue(((values > -1.0001) & (values < 1.0001)).all())

    def test_report_shows_stability(self):
        out = os.path.join(self.dir, "report", "report.md")
        os.makedirs(os.path.dirname(out))
        run(["report", "--compare", self.out, "--out", out, "--no-plots"])
        with open(out, encoding="utf-8") as stream:
            text = stream.read()
        self.assertIn("## Stability across seeds", text)
        with h5py.File(self.out, "r") as f:
            pw = f["stability/pairs/0_1"].attrs["pw_mcc"]
            null = f["stability/pairs/0_1"].attrs["null_pw_mcc"]
        self.assertIn(f"| seed 52 vs seed 61 | {pw:.3f} ({null:.3f})", text)


if __name__ == "__main__":
    unittest.main(argv=sys.argv[:1], verbosity=2)
