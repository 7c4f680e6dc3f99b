"""coact and the reference `safetensors` package (PyPI, installed in the peers virtualenv by
tools/peers-venv.sh) agree: each reads the other's files to identical arrays, and both refuse
every malformed fixture of tools/make_interchange_fixtures.py. Label `peers` (needs PyPI once).

Usage: safetensors_peers_test.py path/to/tensor_probe
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile
import unittest

SOURCE = os.environ.get("COACT_SOURCE_DIR", os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
if os.environ.get("COACT_PEERS_PYTHON") is None:
    # Re-run under the peers virtualenv (it sees Debian's numpy and torch too).
    python = subprocess.run([os.path.join(SOURCE, "tools", "peers-venv.sh"), "safetensors"], cwd=SOURCE,
                            check=True, capture_output=True, text=True).stdout.strip()
    os.environ["COACT_PEERS_PYTHON"] = python
    os.execv(python, [python, os.path.abspath(__file__), *sys.argv[1:]])

import numpy as np  # noqa: E402
import safetensors  # noqa: E402
from safetensors.numpy import load_file, save_file  # noqa: E402

sys.path.insert(0, os.path.join(SOURCE, "tools"))
import make_interchange_fixtures as fixtures  # noqa: E402

PROBE = sys.argv[1]


def probe(*args):
    return subprocess.run([PROBE, *args], capture_output=True, text=True, timeout=300)


def same_bits(a, b):
    a, b = np.array(a, np.float32), np.array(b, np.float32)
    return a.shape == b.shape and np.array_equal(a.view(np.uint32), b.view(np.uint32))


class SafetensorsPeers(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.mkdtemp(prefix="coact_st_peers_")
        cls.cases = fixtures.safetensors_cases(cls.dir, np.random.default_rng(11))
        print(f"safetensors {safetensors.__version__}", file=sys.stderr)

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.dir, ignore_errors=True)

    def path(self, name):
        return os.path.join(self.dir, name)

    def test_both_refuse_every_malformed_fixture(self):
        for case in (c for c in self.cases if c.kind == "bad"):
            with self.subTest(case.name):
                with self.assertRaises(Exception):
                    load_file(self.path(case.name))
                self.assertEqual(probe("describe", self.path(case.name)).returncode, 1)

    def test_reference_reads_the_fixture_writer_and_coact_writer_alike(self):
        for case in (c for c in self.cases if c.kind == "good" and all(d != "BF16" for _, d, _ in c.tensors)):
            with self.subTest(case.name):
                # The fixture writer follows the spec as the reference reads it ...
                reference = load_file(self.path(case.name))
                for name, _, expected in case.tensors:
                    self.assertTrue(same_bits(reference[name].astype(np.float32), expected), name)
                # ... and the reference reads what coact writes.
                out = self.path(case.name + ".coact.safetensors")
                r = probe("convert", self.path(case.name), out)
                self.assertEqual(r.returncode, 0, r.stderr)
                written = load_file(out)
                self.assertEqual(sorted(written), sorted(n for n, _, _ in case.tensors))
                for name, _, expected in case.tensors:
                    self.assertEqual(written[name].dtype, np.float32)
                    self.assertTrue(same_bits(written[name], expected), name)
                with safetensors.safe_open(out, "np") as f:
                    self.assertEqual(f.metadata(), {"converted_by": "tensor_probe"})

    def test_coact_reads_what_the_reference_writes(self):
        rng = np.random.default_rng(5)
        base = rng.standard_normal((4, 7)).astype(np.float32) * 50
        arrays = {"f32": base, "f16": base.astype(np.float16), "f64": base.astype(np.float64) / 7,
                  "i64": np.array([-(2 ** 50), 3], np.int64), "i32": np.array([7, -9], np.int32),
                  "i16": np.array([-2, 2], np.int16), "i8": np.array([-1, 1], np.int8),
                  "u8": np.array([0, 200], np.uint8), "flags": np.array([True, False]),
                  "scalar": np.array(1.25, np.float32), "empty": np.zeros((0, 2), np.float32)}
        path = self.path("reference.safetensors")
        save_file(arrays, path, metadata={"producer": "safetensors"})
        described = json.loads(probe("describe", path).stdout)
        self.assertEqual(described["metadata"], {"producer": "safetensors"})
        self.assertEqual({t["name"]: t["shape"] for t in described["tensors"]},
                         {k: list(v.shape) for k, v in arrays.items()})
        out = self.path("reference.coact.safetensors")
        self.assertEqual(probe("convert", path, out).returncode, 0)
        back = load_file(out)
        for name, values in arrays.items():
            self.assertTrue(same_bits(back[name], values.astype(np.float32)), name)
        r = probe("ints", path, "i64")
        self.assertEqual(json.loads(r.stdout), [-(2 ** 50), 3])

    def test_coact_reads_bfloat16_from_safetensors_torch(self):
        import torch
        from safetensors.torch import save_file as save_torch
        values = torch.randn(3, 5) * 10
        path = self.path("torch.safetensors")
        save_torch({"bf16": values.bfloat16(), "f32": values}, path)
        out = self.path("torch.coact.safetensors")
        self.assertEqual(probe("convert", path, out).returncode, 0)
        back = load_file(out)
        self.assertTrue(same_bits(back["bf16"], values.bfloat16().float().numpy()))
        self.assertTrue(same_bits(back["f32"], values.numpy()))


if __name__ == "__main__":
    unittest.main(argv=[sys.argv[0]], verbosity=2)
