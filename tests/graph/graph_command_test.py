"""`coact graph` as users run it: the same graph for 1, 2 and 3 ranks (counts exact, weights to
1e-9 relative), the same with the SAE's latents split over ranks (--latent-shards), and every
bad input giving one line and no output.

Usage: graph_command_test.py path/to/coact path/to/mpiexec
"""
import os
import shutil
import subprocess
import sys
import tempfile
import unittest

import h5py
import numpy as np

COACT, MPIEXEC = sys.argv[1], sys.argv[2]


def run(args, ranks=None, check=True):
    command = [COACT, *args]
    if ranks:
        command = [MPIEXEC, "-n", str(ranks), "--oversubscribe", *command]
    r = subprocess.run(command, capture_output=True, text=True, timeout=600)
    if check and r.returncode != 0:
        raise AssertionError(f"{' '.join(command)} failed ({r.returncode}):\n{r.stderr}")
    return r


class GraphCommand(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.mkdtemp(prefix="coact_graph_")
        cls.addClassCleanup(shutil.rmtree, cls.dir, True)  # the work files go with the test
        cls.acts = os.path.join(cls.dir, "acts.h5")
        run(["synth", "--out", cls.acts, "--rows", "20480", "--d", "16", "--features", "48", "--seed", "2"])
        run(["train", "--activations", cls.acts, "--out", cls.dir, "--seed", "52", "--steps", "40", "--expansion", "4",
             "--batch-size", "512", "--recipe", "topk", "--k", "6", "--threads", "1"])
        cls.sae = os.path.join(cls.dir, "sae_52.h5")

    def path(self, name):
        return os.path.join(self.dir, name)

    def graph(self, out, *extra, ranks=None, check=True, activations=None):
        return run(["graph", "--sae", self.sae, "--activations", activations or self.acts, "--out", out,
                    "--batch-tokens", "2048", "--num-batches", "10", "--threads", "1", *extra], ranks=ranks, check=check)

    def test_same_graph_for_one_two_three_ranks(self):
        for policy in ("positive", "seed"):
            files = []
            for ranks in (1, 2, 3):
                out = self.path(f"g_{policy}_{ranks}.h5")
                self.graph(out, "--zero-policy", policy, ranks=ranks)
                files.append(out)
            with h5py.File(files[0], "r") as ref:
                self.assertEqual(ref.attrs["coact_kind"], "graph")
                self.assertEqual(int(ref.attrs["tokens_seen"]), 20480)
                self.assertEqual(ref.attrs["zero_policy"], policy)
                self.assertTrue(ref.attrs["sae_hash"].startswith("sha256:"))
                self.assertGreater(ref["csr/indices"].shape[0], 0)
                for other in files[1:]:
                    with h5py.File(other, "r") as g:
                        for name in ("csr/indptr", "csr/indices", "csr/count", "nodes/topk_count", "nodes/degree",
                                     "nodes/component"):
                            np.testing.assert_array_equal(g[name][...], ref[name][...], err_msg=f"{other} {name}")
                        for name in ("csr/weight", "nodes/strength", "nodes/frequency", "nodes/clustering"):
                            a, b = g[name][...], ref[name][...]
                            np.testing.assert_allclose(a, b, rtol=1e-9, atol=0, err_msg=f"{other} {name}")
            r = run(["stats", files[0]])
            self.assertIn("Number of edges", r.stdout)

    def expect_same_graph(self, got_path, want_path, rtol):
        with h5py.File(want_path, "r") as ref, h5py.File(got_path, "r") as g:
            self.assertGreater(ref["csr/indices"].shape[0], 0)
            self.assertEqual(int(g.attrs["tokens_seen"]), int(ref.attrs["tokens_seen"]))
            self.assertEqual(int(g.attrs["num_batches"]), int(ref.attrs["num_batches"]))
            for name in ("csr/indptr", "csr/indices", "csr/count", "nodes/topk_count", "nodes/degree", "nodes/component"):
                np.testing.assert_array_equal(g[name][...], ref[name][...], err_msg=f"{got_path} {name}")
            for name in ("csr/weight", "nodes/strength", "nodes/frequency", "nodes/clustering"):
                np.testing.assert_allclose(g[name][...], ref[name][...], rtol=rtol, atol=0, err_msg=f"{got_path} {name}")

    def test_latent_shards_give_the_same_graph(self):
        # The topk SAE's 64 latents split over 2 and 3 shards, and 4 ranks as 2 data ranks × 2
        # shards: each shard encodes with its latents, the top-k is merged across shards and a
        # batch's code is accumulated whole by one shard. Same edges and counts as one rank; the
        # weights differ only by the partial GEMMs' and the reduction's rounding.
        whole = self.path("g_whole.h5")
        self.graph(whole)
        for ranks, shards in ((2, 2), (3, 3), (4, 2)):
            out = self.path(f"g_shards_{ranks}x{shards}.h5")
            self.graph(out, "--latent-shards", str(shards), ranks=ranks)
            self.expect_same_graph(out, whole, 1e-6)

    def expect_failure(self, args, *fragments, out=None, code=None):
        r = run(args, check=False)
        self.assertNotEqual(r.returncode, 0, r.stdout)
        if code is not None:
            self.assertEqual(r.returncode, code, r.stderr)
        lines = [line for line in r.stderr.splitlines() if line.startswith("coact")]
        self.assertEqual(len(lines), 1, r.stderr)
        for fragment in fragments:
            self.assertIn(fragment, lines[0])
        if out:
            self.assertFalse(os.path.exists(out), "no partial output")
        return lines[0]

    def base(self, out, *extra, activations=None):
        defaults = [] if "--batch-tokens" in extra else ["--batch-tokens", "2048"]
        defaults += [] if "--num-batches" in extra else ["--num-batches", "10"]
        return ["graph", "--sae", self.sae, "--activations", activations or self.acts, "--out", out, *defaults, *extra]

    def test_bad_inputs(self):
        out = self.path("bad.h5")
        other = self.path("other_d.h5")
        run(["synth", "--out", other, "--rows", "5000", "--d", "8", "--features", "16"])
        self.expect_failure(self.base(out, activations=other), "d = 8", "d_in = 16", out=out)
        self.expect_failure(self.base(out, "--k", "1"), "--k", out=out, code=2)
        self.expect_failure(self.base(out, "--k", "100000"), "--k", out=out, code=2)
        self.expect_failure(self.base(out, "--batch-tokens", "30000"), "larger than the store", out=out)
        self.expect_failure(self.base(out, "--zero-policy", "zeros"), "zero-policy", out=out, code=2)
        self.expect_failure(self.base(out, "--latent-shards", "2"), "--latent-shards 2 does not divide the 1 rank",
                            out=out, code=2)
        self.expect_failure(self.base(out, "--latent-shards", "0"), "--latent-shards", out=out, code=2)
        # Fewer batches than asked: a warning and a smaller graph, or an error with --strict.
        r = run(self.base(out, "--num-batches", "50"))
        self.assertIn("fewer than the 50 asked for", r.stderr)
        with h5py.File(out, "r") as g:
            self.assertEqual(int(g.attrs["num_batches"]), 10)
        os.remove(out)
        self.expect_failure(self.base(out, "--num-batches", "50", "--strict"), "--strict", out=out)
        # NaN in the activations: named with its row.
        nan = self.path("nan.h5")
        with h5py.File(self.acts, "r") as src, h5py.File(nan, "w") as dst:
            data = src["activations"][...]
            data[4321, 3] = np.nan
            dst["activations"] = data
        self.expect_failure(self.base(out, activations=nan), "nan.h5", "row 4321", out=out)
        # An existing output is kept.
        run(self.base(out))
        before = os.path.getmtime(out)
        self.expect_failure(self.base(out), "--force")
        self.assertEqual(os.path.getmtime(out), before)
        # A graph file given where an SAE is expected.
        self.expect_failure(["graph", "--sae", out, "--activations", self.acts, "--out", self.path("x.h5")],
                            "is a coact graph file, expected a sae file")


if __name__ == "__main__":
    unittest.main(argv=[sys.argv[0]], verbosity=2)
