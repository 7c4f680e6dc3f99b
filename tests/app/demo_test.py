"""`coact demo`: the whole study on synthetic data in one command. The SAEs recover the planted
features (MMCS > 0.9 on the demo configuration), every output is there and readable by h5py,
and the report answers Q1-Q3 with the ground truth.

Usage: demo_test.py path/to/coact
"""
import os
import shutil
import subprocess
import sys
import tempfile
import unittest

import h5py

COACT = sys.argv[1]


class Demo(unittest.TestCase):
    def test_demo(self):
        work = tempfile.mkdtemp(prefix="coact_demo_")
        self.addCleanup(shutil.rmtree, work, True)
        out = os.path.join(work, "demo")
        r = subprocess.run([COACT, "demo", "--out", out], capture_output=True, text=True, timeout=900)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("demo finished", r.stdout)
        for name in ("acts.h5", "sae_52.h5", "sae_55.h5", "graph_52.h5", "graph_55.h5", "compare.h5", "report.md"):
            self.assertTrue(os.path.exists(os.path.join(out, name)), name)
        for seed in (52, 55):
            with h5py.File(os.path.join(out, f"sae_{seed}.h5"), "r") as f:
                self.assertEqual(f.attrs["coact_kind"], "sae")
                self.assertEqual(int(f.attrs["complete"]), 1)
                mmcs = float(f.attrs["ground_truth_mmcs"])
                self.assertGreater(mmcs, 0.9, f"seed {seed} recovers the true directions (MMCS {mmcs:.3f})")
                self.assertEqual(f["W_enc"].shape, (64, 512))
        with h5py.File(os.path.join(out, "compare.h5"), "r") as f:
            pair = f["pairs/0_1"]
            both, same = float(pair.attrs["truth_both_hit"]), float(pair.attrs["truth_same"])
            self.assertGreater(both, 100)
            self.assertGreater(same / both, 0.95, "matched features hit the same true feature")
            self.assertLess(float(pair.attrs["js_degree"]), float(pair.attrs["js_degree_random"]))
        with open(os.path.join(out, "report.md")) as fh:
            report = fh.read()
        for heading in ("## Descriptive statistics", "## Q1.", "## Q2.", "## Q3.", "## Ground truth"):
            self.assertIn(heading, report)
        # A second run does not overwrite the first without --force.
        r = subprocess.run([COACT, "demo", "--out", out], capture_output=True, text=True, timeout=120)
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("--force", r.stderr)


if __name__ == "__main__":
    unittest.main(argv=[sys.argv[0]], verbosity=2)
