"""`coact compare --match activations` as users run it, on the planted fixture of
compare_command_test.py (SAE 99 is a permuted copy of SAE 52, weights perturbed by ~1e-4):

- the activation matching recovers the permutation, the matched correlations are ~1 for the
  features that fire, and it agrees with the decoder matching;
- the matched correlations equal NumPy's Pearson r of the two SAEs' codes (computed here from
  the stored weights and the store) to 1e-5;
- 1 and 3 ranks give the same matching and correlations (to float rounding);
- `coact path --activations` lists each path feature's top-activating rows as NumPy finds them;
- bad inputs give one line.

Usage: activation_matching_test.py path/to/coact path/to/mpiexec
"""
import json
import os
import subprocess
import sys
import unittest

import h5py
import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import compare_command_test as base  # noqa: E402  (its fixture: synthetic store, SAEs 52, 55, 99 and graphs)

MPIEXEC = sys.argv[2] if len(sys.argv) > 2 else "mpirun"


class ActivationMatching(base.CompareCommand):
    def activations(self, seeds, out, *extra, check=True, ranks=None):
        args = ["--match", "activations", "--correlation-batch-tokens", "2048", "--correlation-batches", "8", *extra]
        if ranks is None:
            return self.compare(seeds, out, *args, check=check)
        command = [MPIEXEC, "--allow-run-as-root", "--oversubscribe", "-n", str(ranks), base.COACT, "compare", "--sae",
                   *[self.sae(s) for s in seeds], "--graphs", *[self.graph_path(s) for s in seeds], "--out", out, "--force",
                   *args]
        r = subprocess.run(command, capture_output=True, text=True, timeout=600)
        self.assertEqual(r.returncode, 0, r.stderr)
        return r

    def codes(self, seed, rows):
        """z = TopK(ReLU((x - b_dec) W_enc + b_enc)) of the first `rows` store rows, in NumPy."""
        with h5py.File(self.acts, "r") as f:
            x = f["/activations"][:rows].astype(np.float64)
        with h5py.File(self.sae(seed), "r") as f:
            w_enc, b_enc, b_dec = (f[name][...].astype(np.float64) for name in ("W_enc", "b_enc", "b_dec"))
            k = int(f.attrs["cfg_k"])
        pre = np.maximum((x - b_dec) @ w_enc + b_enc, 0.0)
        keep = np.argsort(-pre, axis=1, kind="stable")[:, :k]
        z = np.zeros_like(pre)
        np.put_along_axis(z, keep, np.take_along_axis(pre, keep, axis=1), axis=1)
        return z

    def test_planted_copy_is_recovered_from_activations(self):
        out = os.path.join(self.dir, "planted_activations.h5")
        self.activations((52, 99), out)
        with h5py.File(out, "r") as f:
            self.assertEqual(f.attrs["match"], "activations")
            pair = f["pairs/0_1"]
            self.assertEqual(pair.attrs["match"], "activations")
            matching = pair["matching"][...]
            correlation = pair["activation_correlation"][...]
            self.assertEqual(float(pair.attrs["correlation_tokens"]), 2048 * 8)
            alive = correlation != 0  # features that never fire have r = 0 with everything
            self.assertGreater(alive.mean(), 0.5)
            np.testing.assert_array_equal(matching[alive], self.perm[alive])
            self.assertGreater(correlation[alive].min(), 0.99)
            self.assertGreaterEqual(float(pair.attrs["agreement_with_decoder"]), alive.mean() - 1e-9)
            self.assertEqual(float(pair.attrs["agreement_with_decoder_shared"]), 1.0)
            self.assertIn("q2x_hit_at_10", pair.attrs)

    def test_correlations_match_numpy(self):
        out = os.path.join(self.dir, "seeds_activations.h5")
        r = self.activations((52, 55), out)
        self.assertIn("activation matching over 16,384 tokens", r.stdout)
        with h5py.File(out, "r") as f:
            pair = f["pairs/0_1"]
            matching = pair["matching"][...]
            got = pair["activation_correlation"][...]
            agreement = float(pair.attrs["agreement_with_decoder"])
        with h5py.File(self.sae(52), "r") as f:
            normalisation = f.attrs.get("data_normalisation", "none")
        if normalisation not in ("none", b"none"):
            self.skipTest(f"store normalisation {normalisation!r} not reproduced here")
        a, b = self.codes(52, 2048 * 8), self.codes(55, 2048 * 8)
        with np.errstate(invalid="ignore", divide="ignore"):
            full = np.corrcoef(a, b, rowvar=False)[: a.shape[1], a.shape[1]:]
        want = np.nan_to_num(full, nan=0.0)[np.arange(len(matching)), matching]
        np.testing.assert_allclose(got, want, rtol=0, atol=1e-5)
        self.assertTrue(0.0 <= agreement <= 1.0)

    def test_same_result_on_one_and_three_ranks(self):
        results = []
        for ranks in (1, 3):
            out = os.path.join(self.dir, f"ranks_{ranks}.h5")
            self.activations((52, 55, 99), out, ranks=ranks)
            with h5py.File(out, "r") as f:
                results.append({key: (f[f"pairs/{key}/matching"][...], f[f"pairs/{key}/activation_correlation"][...])
                                for key in ("0_1", "0_2", "1_2")})
        for key in results[0]:
            np.testing.assert_array_equal(results[0][key][0], results[1][key][0], key)
            np.testing.assert_allclose(results[0][key][1], results[1][key][1], rtol=0, atol=1e-6, err_msg=key)

    def test_path_top_tokens_match_numpy(self):
        """`coact path --activations`: each feature's top rows are those of its NumPy codes."""
        with h5py.File(self.graph_path(52), "r") as f:
            degree = f["/nodes/degree"][...]
        source, target = (int(v) for v in np.argsort(-degree, kind="stable")[:2])
        r = base.run(["path", "--graph", self.graph_path(52), "--from", str(source), "--to", str(target), "--k", "2",
                      "--activations", self.acts, "--top", "4", "--scan-tokens", "8192", "--json"])
        result = json.loads(r.stdout)
        z = self.codes(52, 8192)
        for path in result["paths"]:
            for feature in path["features"]:
                rows = [t["row"] for t in feature["top_tokens"]]
                column = z[:, feature["feature"]]
                want = np.argsort(-column, kind="stable")[: min(4, int((column > 0).sum()))]
                self.assertEqual(sorted(rows), sorted(want.tolist()), feature["feature"])
                np.testing.assert_allclose([t["activation"] for t in feature["top_tokens"]], column[rows], rtol=1e-4)

    def test_communities_scored_against_planted_groups(self):
        """`coact communities --truth`: ARI and NMI as NumPy computes them from the decoder-to-truth
        mapping (closest true direction by cosine, >= 0.5 here, grouped) and the stored communities."""
        # The fixture's SAEs train briefly: a lower cosine threshold than the default 0.9 maps enough features.
        r = base.run(["communities", "--graph", self.graph_path(52), "--truth", self.acts, "--truth-threshold", "0.5", "--json"])
        result = json.loads(r.stdout)
        with h5py.File(self.acts, "r") as f:
            truth, group = f["/ground_truth/directions"][...].astype(np.float64), f["/ground_truth/group"][...]
        with h5py.File(self.sae(52), "r") as f:
            w_dec = f["W_dec"][...].astype(np.float64)
        cosine = (w_dec / np.linalg.norm(w_dec, axis=1, keepdims=True)) @ (truth / np.linalg.norm(truth, axis=1, keepdims=True)).T
        best = cosine.argmax(axis=1)
        planted = np.where(cosine.max(axis=1) >= 0.5, group[best], -1)
        scored = planted >= 0
        self.assertGreater(scored.sum(), 10)
        with h5py.File(self.graph_path(52), "r") as f:
            found = {"louvain": f["/nodes/community_louvain"][...],
                     "label propagation": f["/nodes/community_label_propagation"][...]}
        for method in result["methods"]:
            a, b = planted[scored], found[method["method"]][scored]
            contingency = np.array([[np.sum((a == x) & (b == y)) for y in np.unique(b)] for x in np.unique(a)], dtype=np.float64)
            pairs = lambda v: (v * (v - 1) / 2).sum()  # noqa: E731
            index, rows, cols, total = pairs(contingency), pairs(contingency.sum(1)), pairs(contingency.sum(0)), len(a) * (len(a) - 1) / 2
            expected = rows * cols / total
            ari = (index - expected) / (0.5 * (rows + cols) - expected) if rows + cols != 2 * expected else 1.0
            p = contingency / len(a)
            pa, pb = p.sum(1), p.sum(0)
            nz = p > 0
            mi = (p[nz] * np.log(p[nz] / np.outer(pa, pb)[nz])).sum()
            ha, hb = -(pa * np.log(pa)).sum(), -(pb * np.log(pb)).sum()
            nmi = 1.0 if ha == 0 and hb == 0 else mi / max(0.5 * (ha + hb), 1e-300)
            self.assertEqual(method["truth"]["features"], int(scored.sum()))
            self.assertAlmostEqual(method["truth"]["adjusted_rand"], ari, delta=1e-9, msg=method["method"])
            self.assertAlmostEqual(method["truth"]["nmi"], nmi, delta=1e-9, msg=method["method"])

    def test_bad_input(self):
        out = os.path.join(self.dir, "bad.h5")
        r = self.activations((52, 55), out, "--activations", self.acts, self.acts, self.acts, check=False)
        self.assertEqual(r.returncode, 2)
        self.assertEqual(len(r.stderr.strip().splitlines()), 1, r.stderr)
        self.assertIn("--activations", r.stderr)
        r = self.compare((52, 55), out, "--match", "psychic", check=False)
        self.assertEqual(r.returncode, 2)
        # A store of other tokens (fewer rows) cannot be correlated with the first.
        short = os.path.join(self.dir, "short.h5")
        base.run(["synth", "--out", short, "--rows", "20480", "--d", "16", "--features", "48", "--seed", "4", "--force"])
        r = self.activations((52, 55), out, "--activations", self.acts, short, check=False)
        self.assertNotEqual(r.returncode, 0)
        self.assertEqual(len(r.stderr.strip().splitlines()), 1, r.stderr)
        self.assertIn("same tokens", r.stderr)
        self.assertFalse(os.path.exists(out))


def load_tests(loader, tests, pattern):
    """Only this file's tests (the fixture class's own tests run in compare_command_test)."""
    suite = unittest.TestSuite()
    for name in loader.getTestCaseNames(ActivationMatching):
        if name in ActivationMatching.__dict__:
            suite.addTest(ActivationMatching(name))
    return suite


if __name__ == "__main__":
    unittest.main(argv=sys.argv[:1], verbosity=2)
