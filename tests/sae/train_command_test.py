"""`coact train` as users run it: rank-count equivalence, bit-identical resume (after a clean
stop and after SIGTERM), seed groups, latent shards (equal to the whole SAE, resumed under
another shard count), and every bad input giving one line.

Usage: train_command_test.py path/to/coact path/to/mpiexec
"""
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import unittest

import h5py
import numpy as np

COACT, MPIEXEC = sys.argv[1], sys.argv[2]
PARAMS = ("W_enc", "b_enc", "W_dec", "b_dec")


def run(args, ranks=None, check=True, timeout=600):
    command = [COACT, *args]
    if ranks:
        command = [MPIEXEC, "-n", str(ranks), "--oversubscribe", *command]
    r = subprocess.run(command, capture_output=True, text=True, timeout=timeout)
    if check and r.returncode != 0:
        raise AssertionError(f"{' '.join(command)} failed ({r.returncode}):\n{r.stderr}")
    return r


def load(path, optimizer=False):
    with h5py.File(path, "r") as f:
        out = {k: f[k][...] for k in PARAMS}
        if optimizer:
            for k in PARAMS:
                out["m_" + k] = f["optimizer/adam_m/" + k][...]
                out["v_" + k] = f["optimizer/adam_v/" + k][...]
        out["attrs"] = dict(f.attrs)
    return out


def coact_lines(stderr):
    return [line for line in stderr.splitlines() if line.startswith("coact")]


class Train(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.mkdtemp(prefix="coact_train_")
        cls.addClassCleanup(shutil.rmtree, cls.dir, True)  # the work files go with the test
        cls.acts = os.path.join(cls.dir, "acts.h5")
        run(["synth", "--out", cls.acts, "--rows", "30000", "--d", "16", "--features", "48", "--seed", "1"])

    def out(self, name):
        return os.path.join(self.dir, name)

    def train(self, out, *extra, ranks=None, check=True):
        defaults = {"--expansion": "4", "--batch-size": "512", "--threads": "1", "--log-every": "5"}
        if "--n" in extra:
            del defaults["--expansion"]
        for flag in list(defaults):
            if flag in extra:
                del defaults[flag]
        args = ["train", "--activations", self.acts, "--out", out, *[x for kv in defaults.items() for x in kv], *extra]
        return run(args, ranks=ranks, check=check)

    def test_one_two_three_ranks_agree(self):
        for recipe in ("nanda-1l", "topk"):
            results = []
            for ranks in (1, 2, 3):
                out = self.out(f"ranks_{recipe}_{ranks}")
                self.train(out, "--seed", "52", "--steps", "20", "--recipe", recipe, "--k", "6", ranks=ranks)
                results.append(load(os.path.join(out, "sae_52.h5")))
            for other in results[1:]:
                for k in PARAMS:
                    ref = results[0][k]
                    scale = max(np.abs(ref).max(), 1e-30)
                    self.assertLess(np.abs(other[k] - ref).max() / scale, 1e-5, f"{recipe} {k}")
            self.assertEqual(int(results[2]["attrs"]["ranks"]), 3)

    def assert_close(self, got, want, what, tolerance=1e-5):
        for k in want:
            if k == "attrs":
                continue
            scale = max(np.abs(want[k]).max(), 1e-30)
            self.assertLess(np.abs(got[k] - want[k]).max() / scale, tolerance, f"{what}: {k}")

    def test_latent_shards_equal_the_whole_sae(self):
        # P ranks as P/T data ranks × T shards: parameters and Adam moments equal one process.
        # matryoshka's level 27 ends inside a shard under 2 and 3 shards.
        for recipe, extra in (("topk", ()), ("batchtopk", ()), ("nanda-1l", ()),
                              ("matryoshka", ("--matryoshka-widths", "8,27,64"))):
            whole = self.out(f"shards_{recipe}_whole")
            self.train(whole, "--seed", "52", "--steps", "20", "--recipe", recipe, "--k", "6", *extra)
            want = load(os.path.join(whole, "sae_52.h5"), optimizer=True)
            for ranks, shards in ((2, 2), (3, 3), (4, 2)):
                out = self.out(f"shards_{recipe}_{ranks}_{shards}")
                r = self.train(out, "--seed", "52", "--steps", "20", "--recipe", recipe, "--k", "6", *extra,
                               "--latent-shards", str(shards), ranks=ranks)
                self.assertIn(f"{ranks // shards} data rank(s) × {shards} latent shards", r.stderr)
                got = load(os.path.join(out, "sae_52.h5"), optimizer=True)
                self.assert_close(got, want, f"{recipe} on {ranks} ranks, {shards} shards")
                self.assertEqual(int(got["attrs"]["latent_shards"]), shards)
                self.assertAlmostEqual(float(got["attrs"]["ground_truth_mmcs"]), float(want["attrs"]["ground_truth_mmcs"]),
                                       places=6)

    def test_latent_shards_resume_under_another_count(self):
        whole = self.out("reshard_whole")
        self.train(whole, "--seed", "56", "--steps", "20", "--recipe", "topk", "--k", "6")
        out = self.out("reshard")
        self.train(out, "--seed", "56", "--steps", "10", "--recipe", "topk", "--k", "6", "--latent-shards", "2",
                   ranks=2)
        # Another layout is not bit-identical: refused by name unless asked for.
        r = self.train(out, "--seed", "56", "--steps", "20", "--recipe", "topk", "--k", "6", "--resume", ranks=2,
                       check=False)
        self.assertEqual(r.returncode, 2, r.stderr)
        self.assertIn("latent_shards: trained over 2 shard(s), this run has 1", r.stderr)
        self.train(out, "--seed", "56", "--steps", "20", "--recipe", "topk", "--k", "6", "--latent-shards", "3",
                   "--resume", "--resume-anyway", ranks=3)
        got, want = load(os.path.join(out, "sae_56.h5"), optimizer=True), load(os.path.join(whole, "sae_56.h5"), optimizer=True)
        self.assert_close(got, want, "topk resumed from 2 shards on 3")
        self.assertEqual(int(got["attrs"]["latent_shards"]), 3)

    def test_resume_is_bit_identical(self):
        whole = self.out("whole")
        self.train(whole, "--seed", "55", "--steps", "30", "--checkpoint-every", "7")
        part = self.out("part")
        self.train(part, "--seed", "55", "--steps", "15", "--checkpoint-every", "7")
        first = load(os.path.join(part, "sae_55.h5"), optimizer=True)
        self.assertEqual(int(first["attrs"]["step"]), 15)
        self.train(part, "--seed", "55", "--steps", "30", "--checkpoint-every", "7", "--resume")
        a = load(os.path.join(whole, "sae_55.h5"), optimizer=True)
        b = load(os.path.join(part, "sae_55.h5"), optimizer=True)
        for k in a:
            if k != "attrs":
                self.assertEqual(a[k].tobytes(), b[k].tobytes(), k)
        self.assertEqual(int(b["attrs"]["complete"]), 1)
        # A complete run is skipped by --resume.
        r = self.train(part, "--seed", "55", "--steps", "30", "--resume")
        self.assertIn("already trained", r.stdout)

    def test_sigterm_checkpoints_and_resume_matches(self):
        whole = self.out("sig_whole")
        self.train(whole, "--seed", "7", "--steps", "3000", "--checkpoint-every", "0")
        out = self.out("sig")
        command = [COACT, "train", "--activations", self.acts, "--out", out, "--expansion", "4", "--batch-size",
                   "512", "--threads", "1", "--seed", "7", "--steps", "3000", "--checkpoint-every", "0"]
        p = subprocess.Popen(command, stderr=subprocess.PIPE, text=True)
        time.sleep(1.5)
        p.send_signal(signal.SIGTERM)
        _, err = p.communicate(timeout=120)
        if p.returncode == 0:
            self.skipTest("training finished before the signal (machine too fast for this timing)")
        self.assertEqual(p.returncode, 130, err)
        self.assertIn("interrupted", err)
        saved = load(os.path.join(out, "sae_7.h5"))
        self.assertEqual(int(saved["attrs"]["complete"]), 0)
        self.assertLess(int(saved["attrs"]["step"]), 3000)
        self.train(out, "--seed", "7", "--steps", "3000", "--checkpoint-every", "0", "--resume")
        a, b = load(os.path.join(whole, "sae_7.h5")), load(os.path.join(out, "sae_7.h5"))
        for k in PARAMS:
            self.assertEqual(a[k].tobytes(), b[k].tobytes(), k)

    def test_seed_groups_train_at_once_and_match_single_runs(self):
        out = self.out("groups")
        self.train(out, "--seeds", "52,55", "--steps", "10", ranks=2)
        for seed in (52, 55):
            single = self.out(f"single_{seed}")
            self.train(single, "--seed", str(seed), "--steps", "10")
            a = load(os.path.join(out, f"sae_{seed}.h5"))
            b = load(os.path.join(single, f"sae_{seed}.h5"))
            for k in PARAMS:
                self.assertEqual(a[k].tobytes(), b[k].tobytes(), f"seed {seed} {k}")

    def test_bad_inputs(self):
        cases = [
            (["--seed", "1", "--steps", "5", "--d-in", "32"], "d = 16", "--d-in"),
            (["--seed", "1", "--steps", "5", "--n", "40"], "not a positive multiple", "d = 16"),
            (["--seeds", "52,x", "--steps", "5"], "--seeds", "'x'"),
            (["--seed", "1", "--steps", "5", "--latent-shards", "2"], "--latent-shards 2", "does not divide"),
            (["--seed", "1", "--steps", "5", "--latent-shards", "0"], "--latent-shards", ">= 1"),
            (["--seed", "1", "--steps", "5", "--tokens", "4096"], "--steps", "--tokens"),
            (["--seed", "1", "--lr", "nan"], "--lr", "finite"),
            (["--seed", "1", "--steps", "5", "--recipe", "relu"], "recipe", "relu"),
            (["--seed", "1", "--steps", "5", "--batch-size", "20000"], "batch", "30000"),
        ]
        for extra, *fragments in cases:
            with self.subTest(extra=extra):
                out = self.out("bad")
                r = self.train(out, *extra, check=False)
                self.assertNotEqual(r.returncode, 0)
                lines = coact_lines(r.stderr)
                self.assertEqual(len(lines), 1, r.stderr)
                for fragment in fragments:
                    self.assertIn(fragment, lines[0])
                self.assertFalse(os.path.exists(os.path.join(out, "sae_1.h5")))

    def test_without_steps_or_tokens_one_pass_over_the_store(self):
        out = self.out("one_pass")
        r = self.train(out, "--seed", "2")
        self.assertIn("one pass over the store", r.stderr)
        saved = load(os.path.join(out, "sae_2.h5"))
        self.assertEqual(int(saved["attrs"]["total_steps"]), 30000 // 512)
        self.assertEqual(int(saved["attrs"]["complete"]), 1)

    def test_divergence_stops_and_keeps_the_last_good_checkpoint(self):
        out = self.out("diverge")
        self.train(out, "--seed", "3", "--steps", "6", "--checkpoint-every", "3")
        before = load(os.path.join(out, "sae_3.h5"))
        # Activations of 1e20 square past float32's range: the loss is not finite at the first step.
        huge = self.out("huge.h5")
        shutil.copy(self.acts, huge)
        with h5py.File(huge, "r+") as f:
            f["activations"][...] = f["activations"][...] * np.float32(1e20)
        r = run(["train", "--activations", huge, "--out", out, "--seed", "3", "--steps", "200", "--checkpoint-every", "3",
                 "--expansion", "4", "--batch-size", "512", "--threads", "1", "--force"], check=False)
        self.assertNotEqual(r.returncode, 0)
        lines = coact_lines(r.stderr)
        self.assertEqual(len(lines), 1, r.stderr)
        self.assertIn("diverged at step", lines[0])
        after = load(os.path.join(out, "sae_3.h5"))
        for k in PARAMS:
            self.assertTrue(np.isfinite(after[k]).all(), k)

    def test_resume_refuses_other_configs_and_bad_checkpoints(self):
        out = self.out("cfg")
        self.train(out, "--seed", "9", "--steps", "4")
        r = self.train(out, "--seed", "9", "--steps", "8", "--resume", "--l1-coeff", "1e-3", check=False)
        self.assertEqual(r.returncode, 2, r.stderr)
        self.assertIn("l1_coeff", r.stderr)
        # Without --resume or --force an existing output is refused.
        r = self.train(out, "--seed", "9", "--steps", "8", check=False)
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("--resume", r.stderr)
        # A truncated checkpoint and a foreign file are refused with their names.
        path = os.path.join(out, "sae_9.h5")
        with open(path, "r+b") as f:
            f.truncate(os.path.getsize(path) // 2)
        r = self.train(out, "--seed", "9", "--steps", "8", "--resume", check=False)
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("sae_9.h5", coact_lines(r.stderr)[0])
        with h5py.File(path, "w") as f:
            f.attrs["coact_kind"] = "graph"
        r = self.train(out, "--seed", "9", "--steps", "8", "--resume", check=False)
        self.assertIn("is a coact graph file, expected a sae file", r.stderr)


if __name__ == "__main__":
    unittest.main(argv=[sys.argv[0]], verbosity=2)
