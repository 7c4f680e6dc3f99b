"""The describe / --check library calls on files the coact command really writes: a synthetic
store, two SAEs (one stopped early with --resume state, one complete), their graphs (one with
communities stored) and their comparison all pass; each file edited with h5py to break one
attribute or value is refused with one line naming the file and the object.

Usage: file_checks_test.py path/to/coact path/to/file_check_driver
"""
import os
import shutil
import subprocess
import sys
import tempfile
import unittest

import h5py
import numpy as np

COACT, DRIVER = sys.argv[1], sys.argv[2]


def run(*args, cwd):
    return subprocess.run(list(args), capture_output=True, text=True, timeout=600, cwd=cwd)


class FileChecks(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory(prefix="coact_file_checks_")
        d = cls.dir = cls.tmp.name
        steps = [
            [COACT, "synth", "--out", "acts.h5", "--rows", "8192", "--d", "16", "--features", "32"],
            [COACT, "train", "--activations", "acts.h5", "--out", "saes", "--seeds", "1,2", "--steps", "20", "--n", "32",
             "--batch-size", "256"],
            [COACT, "graph", "--sae", "saes/sae_1.h5", "--activations", "acts.h5", "--out", "graph_1.h5", "--batch-tokens", "512"],
            [COACT, "graph", "--sae", "saes/sae_2.h5", "--activations", "acts.h5", "--out", "graph_2.h5", "--batch-tokens", "512"],
            [COACT, "communities", "--graph", "graph_2.h5"],
            [COACT, "compare", "--sae", "saes/sae_1.h5", "saes/sae_2.h5", "--graphs", "graph_1.h5", "graph_2.h5",
             "--out", "compare.h5"],
        ]
        for step in steps:
            r = run(*step, cwd=d)
            if r.returncode != 0:
                raise RuntimeError(f"{' '.join(step)}: {r.stderr}")

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def path(self, name):
        return os.path.join(self.dir, name)

    def check(self, path):
        return run(DRIVER, "check", path, cwd=self.dir)

    def broken_copy(self, name, edit):
        copy = self.path("broken_" + os.path.basename(name))
        shutil.copyfile(self.path(name), copy)
        with h5py.File(copy, "a") as f:
            edit(f)
        return copy

    def refused(self, path, *words):
        r = self.check(path)
        self.assertEqual(r.returncode, 1, f"expected a refusal, got: {r.stdout} {r.stderr}")
        line = r.stderr.strip()
        self.assertEqual(len(line.splitlines()), 1, line)
        self.assertIn(path, line)
        for word in words:
            self.assertIn(word, line)

    def test_real_outputs_pass(self):
        for name, kind in (("saes/sae_1.h5", "sae"), ("saes/sae_2.h5", "sae"), ("graph_1.h5", "graph"),
                           ("graph_2.h5", "graph"), ("compare.h5", "compare")):
            r = self.check(self.path(name))
            self.assertEqual(r.returncode, 0, f"{name}: {r.stderr}")
            self.assertTrue(r.stdout.startswith("ok " + kind), r.stdout)

    def test_broken_sae_files_are_refused(self):
        self.refused(self.broken_copy("saes/sae_1.h5", lambda f: f.attrs.__setitem__("n_features", np.int64(64))),
                     "attribute 'n_features'")
        self.refused(self.broken_copy("saes/sae_1.h5", lambda f: f.attrs.__setitem__("complete", np.int64(0)) or
                                      f.attrs.__setitem__("step", np.int64(999))), "attribute 'complete'")

        def negative_moment(f):
            v = f["optimizer/adam_v/b_enc"][...]
            v[3] = -1.0
            f["optimizer/adam_v/b_enc"][...] = v
        self.refused(self.broken_copy("saes/sae_1.h5", negative_moment), "/optimizer/adam_v/b_enc", "element 3")

    def test_broken_graph_files_are_refused(self):
        self.refused(self.broken_copy("graph_1.h5", lambda f: f.attrs.__setitem__("zero_policy", "none")),
                     "attribute 'zero_policy'")

        def weight_out_of_range(f):
            w = f["csr/weight"][...]
            w[:] = 2.0  # both copies of every edge: still symmetric
            f["csr/weight"][...] = w
        self.refused(self.broken_copy("graph_1.h5", weight_out_of_range), "/csr/weight")

        def short_community(f):
            del f["nodes/community_louvain"]
            f["nodes/community_louvain"] = np.zeros(3, dtype=np.int64)
        self.refused(self.broken_copy("graph_2.h5", short_community), "/nodes/community_louvain")

    def test_broken_comparison_files_are_refused(self):
        self.refused(self.broken_copy("compare.h5", lambda f: f["pairs/0_1"].attrs.__setitem__("shared_fraction", 1.5)),
                     "attribute 'shared_fraction'")

        def duplicate_match(f):
            m = f["pairs/0_1/matching"][...]
            m[1] = m[0]
            f["pairs/0_1/matching"][...] = m
        self.refused(self.broken_copy("compare.h5", duplicate_match), "/pairs/0_1/matching", "matched twice")


if __name__ == "__main__":
    unittest.main(argv=sys.argv[:1], verbosity=2)
