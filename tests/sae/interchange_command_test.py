"""SAE interchange through the commands: coact export --format saelens and coact import, round
trips, PyTorch state dicts (as Neel Nanda's released SAEs are) with their cfg JSON, and bad
inputs (missing tensors, wrong shapes, hostile pickles) giving one line and no output.

Usage: interchange_command_test.py path/to/coact
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile
import unittest

import h5py
import numpy as np

SOURCE = os.environ.get("COACT_SOURCE_DIR", os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
sys.path.insert(0, os.path.join(SOURCE, "tools"))
import torch_format  # noqa: E402  (torch.save's format from numpy)

COACT = sys.argv[1]
PARAMS = ("W_enc", "b_enc", "W_dec", "b_dec")


def run(args, check=True):
    r = subprocess.run([COACT, *args], capture_output=True, text=True, timeout=300)
    if check and r.returncode != 0:
        raise AssertionError(f"coact {' '.join(args)} failed:\n{r.stderr}")
    return r


def params(path):
    with h5py.File(path, "r") as f:
        return {k: f[k][...] for k in PARAMS}, dict(f.attrs)


class Interchange(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.mkdtemp(prefix="coact_interchange_")
        cls.addClassCleanup(shutil.rmtree, cls.dir, True)  # the work files go with the test
        cls.acts = os.path.join(cls.dir, "acts.h5")
        run(["synth", "--out", cls.acts, "--rows", "8192", "--d", "16", "--features", "32"])
        run(["train", "--activations", cls.acts, "--out", cls.dir, "--seed", "52", "--steps", "5", "--expansion", "4",
             "--batch-size", "512"])
        cls.sae = os.path.join(cls.dir, "sae_52.h5")

    def path(self, name):
        return os.path.join(self.dir, name)

    def test_saelens_round_trip(self):
        out = self.path("saelens")
        run(["export", "--sae", self.sae, "--format", "saelens", "--out", out, "--hook-name", "blocks.0.mlp.hook_post"])
        with open(os.path.join(out, "cfg.json")) as fh:
            cfg = json.load(fh)
        self.assertEqual((cfg["d_in"], cfg["d_sae"], cfg["architecture"]), (16, 64, "standard"))
        self.assertEqual(cfg["hook_name"], "blocks.0.mlp.hook_post")
        imported = self.path("imported.h5")
        run(["import", "--from", out, "--out", imported])
        a, _ = params(self.sae)
        b, attrs = params(imported)
        for k in PARAMS:
            self.assertEqual(a[k].tobytes(), b[k].tobytes(), k)
        self.assertEqual(attrs["coact_kind"], "sae")
        self.assertEqual(int(attrs["complete"]), 1)
        # An imported SAE builds a graph like a trained one.
        run(["graph", "--sae", imported, "--activations", self.acts, "--out", self.path("g_imported.h5"),
             "--batch-tokens", "1024", "--num-batches", "4"])

    def test_pytorch_state_dict_with_nanda_cfg(self):
        rng = np.random.default_rng(1)
        weights = {"W_enc": rng.normal(size=(16, 48)), "W_dec": rng.normal(size=(48, 16)), "b_enc": rng.normal(size=48),
                   "b_dec": rng.normal(size=16)}
        pt = self.path("nanda.pt")
        torch_format.save({k: torch_format.tensor(v.astype(np.float32)) for k, v in weights.items()}, pt)
        cfg = self.path("nanda_cfg.json")
        with open(cfg, "w") as fh:
            json.dump({"seed": 55, "l1_coeff": 0.0003, "lr": 0.0001, "beta1": 0.9, "beta2": 0.99, "d_mlp": 16,
                       "dict_size": 48, "act_name": "blocks.0.mlp.hook_post"}, fh)
        out = self.path("sae_55.h5")
        run(["import", "--from", pt, "--cfg", cfg, "--out", out])
        got, attrs = params(out)
        for k, v in weights.items():
            np.testing.assert_array_equal(got[k], v.astype(np.float32), err_msg=k)
        self.assertEqual(int(attrs["seed"]), 55)
        self.assertEqual(attrs["recipe"], "nanda-1l")
        self.assertAlmostEqual(float(attrs["cfg_l1_coeff"]), 3e-4)

    def expect_failure(self, args, *fragments, out=None):
        r = run(args, check=False)
        self.assertNotEqual(r.returncode, 0, r.stdout)
        self.assertGreater(r.returncode, 0)
        lines = [line for line in r.stderr.splitlines() if line.startswith("coact")]
        self.assertEqual(len(lines), 1, r.stderr)
        for fragment in fragments:
            self.assertIn(fragment, lines[0])
        if out:
            self.assertFalse(os.path.exists(out))

    def test_bad_inputs(self):
        def zeros(*shape):
            return torch_format.tensor(np.zeros(shape, np.float32))

        out = self.path("bad.h5")
        missing = self.path("missing.pt")
        torch_format.save({"W_enc": zeros(4, 8), "W_dec": zeros(8, 4), "b_enc": zeros(8)}, missing)
        self.expect_failure(["import", "--from", missing, "--out", out], "missing.pt", "b_dec", out=out)
        shaped = self.path("shaped.pt")
        torch_format.save({"W_enc": zeros(4, 8), "W_dec": zeros(4, 8), "b_enc": zeros(8), "b_dec": zeros(4)}, shaped)
        self.expect_failure(["import", "--from", shaped, "--out", out], "W_dec", "[8, 4]", "[4, 8]", out=out)

        class Hostile:
            def __reduce__(self):
                return (os.system, (f"touch {self.marker}",))
        Hostile.marker = self.path("pwned")
        hostile = self.path("hostile.pt")
        torch_format.save({"W_enc": zeros(4, 8), "evil": Hostile()}, hostile)
        self.expect_failure(["import", "--from", hostile, "--out", out], "hostile.pt", "system", "whitelist", out=out)
        self.assertFalse(os.path.exists(Hostile.marker), "the pickle's payload must never run")

        with open(self.path("not_json.json"), "w") as fh:
            fh.write("{bad json")
        self.expect_failure(["import", "--from", shaped, "--cfg", self.path("not_json.json"), "--out", out], "not_json.json",
                            out=out)
        self.expect_failure(["export", "--sae", self.acts, "--format", "saelens", "--out", self.path("x")],
                            "is a coact activations file, expected a sae file")
        self.expect_failure(["export", "--sae", self.sae, "--format", "graphml", "--out", self.path("y")], "saelens")


if __name__ == "__main__":
    unittest.main(argv=[sys.argv[0]], verbosity=2)
