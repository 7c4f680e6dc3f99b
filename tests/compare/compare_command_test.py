"""`coact compare` and `coact report` as users run them: on planted data (the second SAE is a
permuted, slightly perturbed copy of the first) the matching recovers the permutation and Q2
finds counterparts; three SAEs give every pair and a seeds x seeds summary; bad inputs give one
line.

Usage: compare_command_test.py path/to/coact
"""
import os
import shutil
import subprocess
import sys
import tempfile
import unittest

import h5py
import numpy as np

COACT = sys.argv[1]


def run(args, check=True):
    r = subprocess.run([COACT, *args], capture_output=True, text=True, timeout=600)
    if check and r.returncode != 0:
        raise AssertionError(f"coact {' '.join(args)} failed ({r.returncode}):\n{r.stderr}")
    return r


class CompareCommand(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.mkdtemp(prefix="coact_compare_")
        cls.addClassCleanup(shutil.rmtree, cls.dir, True)  # the work files go with the test
        cls.acts = os.path.join(cls.dir, "acts.h5")
        run(["synth", "--out", cls.acts, "--rows", "40960", "--d", "16", "--features", "48", "--seed", "4"])
        for seed in (52, 55):
            run(["train", "--activations", cls.acts, "--out", cls.dir, "--seed", str(seed), "--steps", "300",
                 "--expansion", "4", "--batch-size", "1024", "--recipe", "topk", "--k", "6", "--lr", "2e-3"])
            cls.graph(seed)
        # The planted copy: features permuted, weights perturbed by ~1e-4.
        rng = np.random.default_rng(0)
        src, dst = cls.sae(52), cls.sae(99)
        shutil.copyfile(src, dst)
        with h5py.File(dst, "r+") as f:
            n = f["W_dec"].shape[0]
            cls.perm = rng.permutation(n)
            for name, axis in (("W_dec", 0), ("W_enc", 1), ("b_enc", 0)):
                data = f[name][...]
                data = np.take(data, np.argsort(cls.perm), axis=axis)  # feature i moves to perm[i]
                data += rng.normal(scale=1e-4, size=data.shape).astype(np.float32) * (name != "b_enc")
                f[name][...] = data
            f.attrs["cfg_seed"] = 99
            f.attrs["seed"] = 99
        cls.graph(99)

    @classmethod
    def sae(cls, seed):
        return os.path.join(cls.dir, f"sae_{seed}.h5")

    @classmethod
    def graph_path(cls, seed):
        return os.path.join(cls.dir, f"graph_{seed}.h5")

    @classmethod
    def graph(cls, seed):
        run(["graph", "--sae", cls.sae(seed), "--activations", cls.acts, "--out", cls.graph_path(seed),
             "--batch-tokens", "4096", "--num-batches", "10", "--force"])

    def compare(self, seeds, out, *extra, check=True):
        return run(["compare", "--sae", *[self.sae(s) for s in seeds], "--graphs", *[self.graph_path(s) for s in seeds],
                    "--out", out, "--force", *extra], check=check)

    def test_planted_copy_is_recovered(self):
        out = os.path.join(self.dir, "planted.h5")
        self.compare((52, 99), out)
        with h5py.File(out, "r") as f:
            self.assertEqual(f.attrs["coact_kind"], "compare")
            pair = f["pairs/0_1"]
            matching = pair["matching"][...]
            np.testing.assert_array_equal(np.sort(matching), np.arange(len(matching)), "a permutation")
            self.assertGreaterEqual((matching == self.perm).mean(), 0.99)
            self.assertGreaterEqual(float(pair.attrs["shared_fraction"]), 0.99)
            self.assertEqual(float(pair.attrs["certified"]), 1.0)
            # The decoder matching ran blocked (no n x n matrix); its tile memory is recorded.
            self.assertEqual(pair.attrs["matching_path"], "blocked")
            self.assertGreater(float(pair.attrs["matching_block_bytes"]), 0)
            self.assertGreaterEqual(float(pair.attrs["matching_full_passes"]), 1.0)
            self.assertGreaterEqual(float(pair.attrs["edge_jaccard"]), 0.95)
            # 64 nodes: a node whose degree moves by one changes a histogram bin, so not ~0.
            self.assertLess(float(pair.attrs["js_degree"]), float(pair.attrs["js_degree_random"]) / 3)
            self.assertGreaterEqual(float(pair.attrs["q2_hit_at_1"]), 0.8)
            self.assertGreater(float(pair.attrs["q2_hit_at_1"]), 20 * float(pair.attrs["q2_chance_hit_at_1"]))
            self.assertGreaterEqual(float(pair.attrs["q3_neighbour_overlap"]), 0.95)
            self.assertEqual(int(f.attrs["ground_truth"]), 1)

    def test_three_seeds_report(self):
        out = os.path.join(self.dir, "three.h5")
        r = self.compare((52, 55, 99), out)
        self.assertEqual(r.stdout.count(" vs seed "), 3)
        with h5py.File(out, "r") as f:
            self.assertEqual(sorted(f["pairs"].keys()), ["0_1", "0_2", "1_2"])
            shared = f["summary/shared_fraction"][...]
            self.assertEqual(shared.shape, (3, 3))
            self.assertTrue(np.isnan(np.diag(shared)).all())
            np.testing.assert_array_equal(shared, shared.T)
        report = os.path.join(self.dir, "report.md")
        run(["report", "--compare", out, "--out", report, "--force"])
        with open(report) as fh:
            text = fh.read()
        for heading in ("## Descriptive statistics", "## Feature matching", "## Q1.", "## Q2.", "## Q3.",
                        "## Ground truth", "## Seeds × seeds", "## Plots"):
            self.assertIn(heading, text)
        self.assertIn("| Number of nodes", text)
        self.assertIn("seed 52 vs seed 55", text)
        for png in os.listdir(os.path.join(self.dir, "plots")):
            self.assertIn(f"plots/{png}", text)
        # Plots named by the pair's seeds, and the stability figures.
        plots = set(os.listdir(os.path.join(self.dir, "plots")))
        for name in ("matched_degree_seed52_seed55.png", "decoder_cosine_seed55_seed99.png", "stability_shared_fraction.png",
                     "stability_counts.png"):
            self.assertIn(name, plots)
        self.assertIn("## Stability across seeds", text)

    def expect_failure(self, args, code, *fragments):
        r = run(args, check=False)
        self.assertEqual(r.returncode, code, r.stderr)
        lines = [line for line in r.stderr.splitlines() if line.startswith("coact")]
        self.assertEqual(len(lines), 1, r.stderr)
        for fragment in fragments:
            self.assertIn(fragment, lines[0])

    def test_bad_inputs(self):
        out = os.path.join(self.dir, "bad.h5")
        self.expect_failure(["compare", "--sae", self.sae(52), "--graphs", self.graph_path(52), "--out", out], 2,
                            "at least two SAEs")
        self.expect_failure(["compare", "--sae", self.sae(52), self.sae(55), "--graphs", self.graph_path(55),
                             self.graph_path(52), "--out", out], 1, "graph_55.h5", "was built from", "sae_55.h5")
        self.expect_failure(["compare", "--sae", self.sae(52), self.sae(55), "--graphs", self.graph_path(52), "--out", out],
                            2, "one graph per SAE")
        small = os.path.join(self.dir, "small")
        run(["train", "--activations", self.acts, "--out", small, "--seed", "7", "--steps", "5", "--expansion", "2"])
        run(["graph", "--sae", os.path.join(small, "sae_7.h5"), "--activations", self.acts, "--out",
             os.path.join(small, "graph_7.h5"), "--batch-tokens", "4096", "--num-batches", "2"])
        self.expect_failure(["compare", "--sae", self.sae(52), os.path.join(small, "sae_7.h5"), "--graphs",
                             self.graph_path(52), os.path.join(small, "graph_7.h5"), "--out", out], 1, "n = 64", "n = 32",
                            "--rectangular")
        self.assertFalse(os.path.exists(out))
        self.expect_failure(["report", "--compare", self.graph_path(52), "--out", os.path.join(self.dir, "r.md")], 1,
                            "graph_52.h5", "expected a compare file")


if __name__ == "__main__":
    unittest.main(argv=[sys.argv[0]], verbosity=2)
