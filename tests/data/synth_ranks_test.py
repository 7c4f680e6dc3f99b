"""`coact synth` under mpirun: identical datasets for 1, 2 and 3 ranks, one file or shards,
float32 and float16, all read natively by h5py.

Usage: synth_ranks_test.py path/to/coact path/to/mpiexec
"""
import glob
import os
import shutil
import subprocess
import sys
import tempfile
import unittest

import h5py
import numpy as np

COACT, MPIEXEC = sys.argv[1], sys.argv[2]
ROWS = 10000  # not a multiple of the 4096-row blocks: ranks get uneven shares


def synth(out, ranks, *extra):
    command = [MPIEXEC, "-n", str(ranks), "--oversubscribe", COACT, "synth", "--out", out, "--rows", str(ROWS),
               "--d", "16", "--features", "48", "--seed", "3", "--threads", "1", *extra]
    r = subprocess.run(command, capture_output=True, text=True, timeout=300)
    if r.returncode != 0:
        raise AssertionError(f"{' '.join(command)} failed:\n{r.stderr}")


def datasets(path):
    out = {}
    with h5py.File(path, "r") as f:
        f.visititems(lambda name, obj: out.__setitem__(name, obj[...]) if isinstance(obj, h5py.Dataset) else None)
        attrs = {k: f.attrs[k] for k in ("rows", "d", "norm_rows", "norm_mean", "norm_mean_norm", "source", "coact_kind")}
    return out, attrs


class SynthRanks(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.mkdtemp(prefix="coact_synth_")
        cls.addClassCleanup(shutil.rmtree, cls.dir, True)  # the work files go with the test

    def path(self, name):
        return os.path.join(self.dir, name)

    def test_file_identical_for_1_2_3_ranks(self):
        for dtype in ("float32", "float16"):
            results = []
            for ranks in (1, 2, 3):
                out = self.path(f"acts_{dtype}_np{ranks}.h5")
                synth(out, ranks, "--dtype", dtype)
                results.append(datasets(out))
            (ref, ref_attrs) = results[0]
            acts = ref["activations"]
            self.assertEqual(acts.dtype, np.float32 if dtype == "float32" else np.float16)
            self.assertEqual(acts.shape, (ROWS, 16))
            self.assertTrue(np.isfinite(acts).all())
            self.assertEqual(ref_attrs["coact_kind"], "activations")
            self.assertEqual(ref_attrs["source"], "synthetic")
            for (other, attrs) in results[1:]:
                self.assertEqual(sorted(other), sorted(ref))
                for name in ref:
                    self.assertEqual(other[name].tobytes(), ref[name].tobytes(), f"{dtype} {name} differs")
                # Statistics are combined in global row order: identical, not just close.
                self.assertEqual(attrs["norm_mean"].tobytes(), ref_attrs["norm_mean"].tobytes())
                self.assertEqual(attrs["norm_mean_norm"], ref_attrs["norm_mean_norm"])
            # The statistics describe the data.
            data = acts.astype(np.float64)
            np.testing.assert_allclose(ref_attrs["norm_mean"], data.mean(axis=0), rtol=1e-9, atol=1e-12)
            np.testing.assert_allclose(ref_attrs["norm_mean_norm"], np.linalg.norm(data, axis=1).mean(), rtol=1e-9)

    def test_ground_truth_reconstructs_first_rows(self):
        out = self.path("truth.h5")
        synth(out, 2, "--truth-rows", "500", "--noise", "0")
        with h5py.File(out, "r") as f:
            codes = f["ground_truth/codes"][...]
            directions = f["ground_truth/directions"][...]
            offset = f["ground_truth/offset"][...]
            acts = f["activations"][:500]
            self.assertEqual(codes.shape, (500, 48))
        np.testing.assert_allclose(acts, codes @ directions + offset, atol=1e-5)

    def test_shards_read_back_as_the_same_store(self):
        single = self.path("single.h5")
        synth(single, 1)
        reference = datasets(single)[0]["activations"]
        for ranks in (2, 3):
            out = self.path(f"shards_np{ranks}")
            synth(out, ranks, "--shards")
            files = sorted(glob.glob(os.path.join(out, "shard_*.h5")))
            self.assertEqual(len(files), ranks)
            parts = [h5py.File(p, "r")["activations"][...] for p in files]
            np.testing.assert_array_equal(np.concatenate(parts), reference)
            # coact itself reads the directory as one store.
            r = subprocess.run([COACT, "describe", out, "--check", "--json"], capture_output=True, text=True, timeout=120)
            self.assertEqual(r.returncode, 0, r.stderr)
            self.assertIn(f'"rows":{ROWS}', r.stdout)
            self.assertIn(f'"shards":{ranks}', r.stdout)
        # Re-running with fewer ranks and --force leaves only the new shards.
        out = self.path("shards_np3")
        synth(out, 2, "--shards", "--force")
        self.assertEqual(len(glob.glob(os.path.join(out, "shard_*.h5"))), 2)

    def test_existing_output_is_refused_without_force(self):
        out = self.path("exists.h5")
        synth(out, 1)
        before = os.path.getmtime(out)
        r = subprocess.run([MPIEXEC, "-n", "2", "--oversubscribe", COACT, "synth", "--out", out, "--rows", "100"],
                           capture_output=True, text=True, timeout=120)
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("--force", r.stderr)
        # One line from coact (mpiexec adds its own banner about the non-zero exit).
        self.assertEqual(len([l for l in r.stderr.splitlines() if l.startswith("coact")]), 1, r.stderr)
        self.assertEqual(os.path.getmtime(out), before)
        self.assertEqual([p for p in os.listdir(self.dir) if ".partial" in p], [])


if __name__ == "__main__":
    unittest.main(argv=[sys.argv[0]], verbosity=2)
