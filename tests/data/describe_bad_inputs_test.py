"""`coact describe [--check]` on good and bad activation stores: one line naming the file and
object, a non-zero exit, no crash.

Usage: describe_bad_inputs_test.py path/to/coact
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


def describe(*args):
    return subprocess.run([COACT, "describe", *args], capture_output=True, text=True, timeout=120)


class DescribeBadInputs(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.mkdtemp(prefix="coact_describe_")
        cls.addClassCleanup(shutil.rmtree, cls.dir, True)  # the work files go with the test

    def path(self, name):
        return os.path.join(self.dir, name)

    def expect_failure(self, args, *fragments):
        r = describe(*args)
        self.assertNotEqual(r.returncode, 0, r.stdout)
        self.assertGreater(r.returncode, 0, "killed by a signal")
        lines = r.stderr.strip().splitlines()
        self.assertEqual(len(lines), 1, r.stderr)
        for fragment in fragments:
            self.assertIn(fragment, lines[0])
        return lines[0]

    def test_h5py_written_store_float16_and_float32(self):
        for dtype in (np.float32, np.float16):
            p = self.path(f"h5py_{np.dtype(dtype).name}.h5")
            with h5py.File(p, "w") as f:
                f["activations"] = np.random.default_rng(0).normal(size=(300, 8)).astype(dtype)
            r = describe(p, "--check", "--json")
            self.assertEqual(r.returncode, 0, r.stderr)
            self.assertIn('"rows":300', r.stdout)
            self.assertIn(f'"dtype":"{np.dtype(dtype).name}"', r.stdout)

    def test_nan_and_inf_rows_are_reported_with_their_index(self):
        p = self.path("nan.h5")
        data = np.ones((500, 4), np.float32)
        data[321, 2] = np.nan
        with h5py.File(p, "w") as f:
            f.create_dataset("activations", data=data, chunks=(64, 4))
        self.assertEqual(describe(p).returncode, 0, "describe without --check does not scan")
        self.expect_failure([p, "--check"], "nan.h5", "row 321", "column 2")
        data[321, 2] = 0
        data[499, 0] = np.inf
        with h5py.File(p, "w") as f:
            f["activations"] = data
        self.expect_failure([p, "--check"], "row 499")

    def test_structural_problems(self):
        cases = []
        p = self.path("missing_acts.h5")
        with h5py.File(p, "w") as f:
            f["other"] = np.zeros(3)
        f = None
        cases.append(([p, "--check"], ["missing_acts.h5", "/activations"]))
        p = self.path("wrong_rank.h5")
        with h5py.File(p, "w") as f:
            f["activations"] = np.zeros((2, 3, 4), np.float32)
        cases.append(([p], ["wrong_rank.h5:/activations", "rank 2"]))
        p = self.path("wrong_dtype.h5")
        with h5py.File(p, "w") as f:
            f["activations"] = np.zeros((2, 3), np.int64)
        cases.append(([p], ["wrong_dtype.h5:/activations", "int64"]))
        p = self.path("empty.h5")
        with h5py.File(p, "w") as f:
            f["activations"] = np.zeros((0, 3), np.float32)
        cases.append(([p], ["empty.h5", "empty"]))
        p = self.path("not_hdf5.h5")
        with open(p, "w") as fh:
            fh.write("plain text")
        cases.append(([p], ["not_hdf5.h5", "not an HDF5 file"]))
        cases.append(([self.path("absent.h5")], ["absent.h5", "no such file"]))
        os.makedirs(self.path("mixed"), exist_ok=True)
        with h5py.File(self.path("mixed/a.h5"), "w") as f:
            f["activations"] = np.zeros((5, 3), np.float32)
        with h5py.File(self.path("mixed/b.h5"), "w") as f:
            f["activations"] = np.zeros((5, 4), np.float32)
        cases.append(([self.path("mixed")], ["b.h5", "d = 4", "d = 3"]))
        p = self.path("truncated.h5")
        with h5py.File(p, "w") as f:
            f["activations"] = np.ones((20000, 16), np.float32)
        with open(p, "r+b") as fh:
            fh.truncate(os.path.getsize(p) // 3)
        cases.append(([p, "--check"], ["truncated.h5"]))
        for args, fragments in cases:
            with self.subTest(args=args):
                self.expect_failure(args, *fragments)

    def test_usage_errors(self):
        r = describe()
        self.assertEqual(r.returncode, 2)
        self.assertIn("--file", r.stderr)


if __name__ == "__main__":
    unittest.main(argv=[sys.argv[0]], verbosity=2)
