"""Datasets whose bytes live outside their HDF5 file, written by h5py: coact reads valid
external storage exactly (from any working directory), and refuses a virtual dataset (VDS)
whose source file or dataset is missing, or whose mapping reaches past its source, naming the
dataset and the source, where HDF5 alone would read zeros without an error (a mapping larger than
its source fails inside HDF5 with a message naming neither; coact names the source).

Usage: h5_storage_test.py path/to/h5_probe
"""
import json
import os
import subprocess
import sys
import tempfile
import unittest

import h5py
import numpy as np

PROBE = sys.argv[1]


def probe(*args, cwd=None):
    return subprocess.run([PROBE, *args], capture_output=True, text=True, timeout=120, cwd=cwd)


class Storage(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory(prefix="coact_h5_storage_")
        self.dir = self.tmp.name
        self.other = os.path.join(self.dir, "elsewhere")  # a working directory away from the files
        os.makedirs(self.other)
        self.values = (np.arange(24, dtype="<f4") * 0.5 - 3).reshape(6, 4)

    def tearDown(self):
        self.tmp.cleanup()

    def path(self, name):
        return os.path.join(self.dir, name)

    def external_store(self, offset=0, size=None):
        """An activation store whose /activations lives in data.bin beside it (relative name)."""
        raw = self.values.tobytes()
        with open(self.path("data.bin"), "wb") as f:
            f.write(b"\0" * offset + raw)
        with h5py.File(self.path("ext.h5"), "w") as f:
            f.create_dataset("activations", shape=self.values.shape, dtype="<f4",
                             external=[("data.bin", offset, size if size is not None else len(raw))])
        return self.path("ext.h5")

    def ok(self, result):
        self.assertEqual(result.returncode, 0, result.stderr)
        return json.loads(result.stdout)

    def refused(self, result, *words):
        self.assertEqual(result.returncode, 1, f"expected a handled refusal: {result.stderr}")
        line = result.stderr.strip()
        self.assertEqual(len(line.splitlines()), 1, line)
        for word in words:
            self.assertIn(word, line)
        return line

    def test_external_storage_reads_exactly_from_any_directory(self):
        ext = self.external_store(offset=16)
        for cwd in (self.dir, self.other):
            got = self.ok(probe("dataset", ext, "/activations", cwd=cwd))
            self.assertEqual(got["shape"], [6, 4])
            np.testing.assert_array_equal(np.array(got["values"], dtype="<f4").reshape(6, 4), self.values)
            store = self.ok(probe("store", ext, cwd=cwd))
            self.assertFalse(store["memory_mapped"], "external bytes are read through HDF5")
            np.testing.assert_array_equal(np.array(store["values"], dtype="<f4").reshape(6, 4), self.values)
        # h5py itself agrees when run beside the file.
        with h5py.File(ext, "r") as f:
            cwd = os.getcwd()
            os.chdir(self.dir)
            try:
                np.testing.assert_array_equal(f["activations"][...], self.values)
            finally:
                os.chdir(cwd)

    def test_missing_or_short_external_files_are_refused(self):
        ext = self.external_store()
        os.remove(self.path("data.bin"))
        self.refused(probe("dataset", ext, "/activations", cwd=self.other), ext + ":/activations", "data.bin", "missing")
        self.refused(probe("store", ext, cwd=self.other), "data.bin", "missing")
        with open(self.path("data.bin"), "wb") as f:
            f.write(self.values.tobytes()[:40])
        self.refused(probe("dataset", ext, "/activations", cwd=self.other), "data.bin", "40 bytes")

    def virtual_store(self, source_name, source_dataset="x", mapped_rows=6, write_source=True, source_rows=6):
        if write_source:
            with h5py.File(self.path(source_name), "w") as f:
                f.create_dataset(source_dataset, data=self.values[:source_rows])
        layout = h5py.VirtualLayout(shape=(mapped_rows, 4), dtype="<f4")
        layout[:] = h5py.VirtualSource(source_name, "x", shape=(mapped_rows, 4))
        with h5py.File(self.path("vds.h5"), "w") as f:
            f.create_virtual_dataset("activations", layout, fillvalue=0)
        return self.path("vds.h5")

    def test_a_valid_virtual_dataset_reads_its_source(self):
        vds = self.virtual_store("src.h5")
        for cwd in (self.dir, self.other):
            got = self.ok(probe("dataset", vds, "/activations", cwd=cwd))
            np.testing.assert_array_equal(np.array(got["values"], dtype="<f4").reshape(6, 4), self.values)
            store = self.ok(probe("store", vds, cwd=cwd))
            np.testing.assert_array_equal(np.array(store["values"], dtype="<f4").reshape(6, 4), self.values)

    def test_a_virtual_dataset_with_a_missing_source_file_is_refused(self):
        vds = self.virtual_store("gone.h5", write_source=False)
        with h5py.File(vds, "r") as f:  # what HDF5 alone does: zeros, no error
            self.assertFalse(f["activations"][...].any())
        self.refused(probe("dataset", vds, "/activations"), vds + ":/activations", "gone.h5", "missing")
        self.refused(probe("store", vds), "gone.h5", "missing")

    def test_a_virtual_dataset_with_a_missing_source_dataset_is_refused(self):
        vds = self.virtual_store("src.h5", source_dataset="y")
        self.refused(probe("dataset", vds, "/activations"), vds + ":/activations", "src.h5", "no dataset 'x'")

    def test_a_mapping_past_the_source_extent_is_refused(self):
        vds = self.virtual_store("src.h5", mapped_rows=6, source_rows=4)
        self.refused(probe("dataset", vds, "/activations"), vds + ":/activations", "src.h5", "maps 24 values", "holds 16")


if __name__ == "__main__":
    unittest.main(argv=sys.argv[:1], verbosity=2)
