#!/usr/bin/python3
"""`coact run`: a study from one INI file (jobs/configs/demo.ini) under mpirun -np 2.

- It writes the same report as `coact demo` with the same settings (tables compared number for
  number) and the same SAE parameters, bit for bit.
- Run again, it skips every stage; a changed key is refused naming the key; bad
  configurations fail before any work with one line naming the key (exit 2).
- SIGTERM during training checkpoints and stops (the job, mpirun, forwards it to the ranks);
  the same command then resumes and ends with bit-identical SAE parameters.
- data.source = record (a tiny random GPT-2 written by tests/model/gpt2_reference.py) records the
  same store as `coact record` and runs the study on it.

Usage: run_test.py path/to/coact path/to/mpiexec path/to/source [--full]
  (default: the demo at reduced size, about a minute; --full: jobs/configs/demo.ini as it is,
  the acceptance run, a few minutes on 2 cores)
"""
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import unittest

import h5py

from study_files import params, tables

COACT, MPIEXEC, SOURCE = sys.argv[1:4]
FULL = "--full" in sys.argv[4:]
DEMO_INI = os.path.join(SOURCE, "jobs", "configs", "demo.ini")
# Reduced: 4 batches of 16,384 synthetic tokens and 400 steps instead of 25 and 1,500.
ROWS, STEPS = (409600, 1500) if FULL else (65536, 400)
SMALL = [] if FULL else ["--synth.rows", str(ROWS), "--train.steps", str(STEPS), "--graph.num-batches", str(ROWS // 16384)]


def mpirun(*args, **kwargs):
    return [MPIEXEC, "-n", "2", "--oversubscribe", COACT, *args]


def run(command, timeout=900):
    return subprocess.run(command, capture_output=True, text=True, timeout=timeout)


def study(out, *extra):
    return mpirun("run", "--config", DEMO_INI, "--out", out, "--report.plots", "false", *SMALL, *extra)


class Run(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="coact_run_")
        cls.out = os.path.join(cls.tmp, "study")
        started = time.time()
        cls.first = run(study(cls.out))
        cls.seconds = time.time() - started

    @classmethod
    def tearDownClass(cls):
        if not os.environ.get("COACT_KEEP_TEST_OUTPUT"):
            shutil.rmtree(cls.tmp, ignore_errors=True)

    def path(self, name):
        return os.path.join(self.tmp, name)

    def test_1_same_report_as_demo(self):
        self.assertEqual(self.first.returncode, 0, self.first.stderr)
        self.assertIn("run finished", self.first.stdout)
        demo = self.path("demo")
        r = run([COACT, "demo", "--out", demo, "--no-plots", "--rows", str(ROWS), "--steps", str(STEPS)])
        self.assertEqual(r.returncode, 0, r.stderr)
        mine, theirs = tables(os.path.join(self.out, "report.md"), self.out), tables(os.path.join(demo, "report.md"), demo)
        self.assertIn("## Q1.", mine)
        self.assertEqual(mine, theirs)
        for seed in (52, 55):
            self.assertEqual(params(os.path.join(self.out, f"sae_{seed}.h5")), params(os.path.join(demo, f"sae_{seed}.h5")))

    def test_2_manifest(self):
        self.assertEqual(self.first.returncode, 0, self.first.stderr)
        with open(os.path.join(self.out, "manifest.json")) as fh:
            m = json.load(fh)
        self.assertEqual(m["coact_kind"], "run_manifest")
        self.assertEqual(m["status"], "complete")
        self.assertEqual(m["job"]["ranks"], 2)
        stages = {(s["stage"], s.get("seed")): s for s in m["stages"]}
        for key in (("data", None), ("train", 52), ("train", 55), ("graph", 52), ("graph", 55), ("compare", None), ("report", None)):
            self.assertEqual(stages[key]["action"], "ran", key)
            self.assertRegex(stages[key]["fingerprint"], r"^sha256:[0-9a-f]{64}$")
            for f in stages[key]["outputs"]:
                self.assertRegex(f["sha256"], r"^sha256:[0-9a-f]{64}$")
        self.assertTrue(any(f["role"] == "activations" for f in stages[("train", 52)]["inputs"]))
        self.assertIn("hdf5", m["versions"])
        # Each output carries the configuration it was made with.
        with h5py.File(os.path.join(self.out, "sae_52.h5"), "r") as f:
            self.assertIn("[train]", f.attrs["config"])
            self.assertIn("coact run", f.attrs["command_line"])

    def test_3_rerun_skips_and_changed_key_is_refused(self):
        self.assertEqual(self.first.returncode, 0, self.first.stderr)
        before = os.path.getmtime(os.path.join(self.out, "sae_52.h5"))
        r = run(study(self.out))
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(len(re.findall(r"\bskipped\b", r.stdout)), 7, r.stdout)
        self.assertEqual(os.path.getmtime(os.path.join(self.out, "sae_52.h5")), before)
        r = run(study(self.out, "--graph.k", "5"))
        self.assertEqual(r.returncode, 1)
        self.assertEqual(len([line for line in r.stderr.splitlines() if line.startswith("coact")]), 1, r.stderr)
        self.assertIn("graph.k is 5 here, 4 in the file", r.stderr)
        self.assertIn("--force", r.stderr)

    def test_4_bad_configurations_fail_before_any_work(self):
        cases = [
            ("[train]\nseeds = 52,55\nsteps = 10\nbogus = 1\n", [], "train.bogus", 2),
            ("[train]\nseeds = 52,x\nsteps = 10\n", [], "train.seeds", 2),
            ("[train]\nseeds = 52,55\n", [], "train.steps", 2),
            ("[data]\nsource = store\nstore = missing.h5\n[train]\nseeds = 52,55\nsteps = 10\n", [], "data.store", 2),
            ("[data]\nsource = record\n[record]\nmodel = missing.safetensors\ntokens = t.h5\n[train]\nseeds = 52,55\nsteps = 10\n",
             [], "record.model", 2),
            ("[data]\nsource = record\n[train]\nseeds = 52,55\nsteps = 10\n", [], "record.model", 2),
            ("[train]\nseeds = 1,2,3\nparallel-seeds = 3\nsteps = 10\n", [], "train.parallel-seeds", 2),
            ("[run]\nranks = 4\n[train]\nseeds = 52,55\nsteps = 10\n", [], "run.ranks", 2),
            ("[train]\nseeds = 52,55\nsteps = 10\nrecipe = relu\n", [], "train.recipe", 2),
            ("[synth]\nrows = -5\n[train]\nseeds = 52,55\nsteps = 10\n", [], "synth.rows", 2),
            ("[train]\nseeds = 52,55\nsteps = 10\n[graph]\nk = 1\n", [], "graph.k", 2),
            ("[train]\nseeds = 52,55\nsteps = 10\n", ["--device", "cuda"], "device", 2),
        ]
        for i, (text, extra, key, code) in enumerate(cases):
            config = self.path(f"bad_{i}.ini")
            out = self.path(f"bad_out_{i}")
            with open(config, "w") as fh:
                fh.write(text)
            r = run(mpirun("run", "--config", config, "--out", out, *extra), timeout=120)
            self.assertEqual(r.returncode, code, (text, r.stderr))
            # One line from coact (mpirun adds its own notice about the exit code after it).
            lines = [line for line in r.stderr.splitlines() if line.startswith("coact")]
            self.assertEqual(len(lines), 1, r.stderr)
            # The key leads the message; an unknown key is named in the parser's words after the file.
            if key == "train.bogus":
                self.assertRegex(lines[0], r"^coact run: .*bad_0\.ini: unrecognised option 'train\.bogus'")
            else:
                self.assertIn(f"coact run: {key}", lines[0])
            self.assertFalse(os.path.exists(out), f"{key}: work started")

    def test_5_sigterm_then_resume_is_bit_identical(self):
        self.assertEqual(self.first.returncode, 0, self.first.stderr)
        out = self.path("interrupted")
        p = subprocess.Popen(study(out), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        log = []
        for line in p.stdout:
            log.append(line)
            if line.startswith("train:"):
                time.sleep(1.5 if not FULL else 5)
                p.send_signal(signal.SIGTERM)  # to mpirun, which forwards it to both ranks
                break
        rest, _ = p.communicate(timeout=600)
        log.append(rest)
        text = "".join(log)
        if p.returncode == 0:
            self.skipTest("training finished before the signal (machine too fast for this timing)")
        self.assertIn("interrupted by a signal", text)
        for seed in (52, 55):
            with h5py.File(os.path.join(out, f"sae_{seed}.h5"), "r") as f:
                self.assertEqual(int(f.attrs["complete"]), 0)
                self.assertLess(int(f.attrs["step"]), STEPS)
        with open(os.path.join(out, "manifest.json")) as fh:
            self.assertEqual(json.load(fh)["status"], "interrupted")
        r = run(study(out))
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("resumed", r.stdout)
        for seed in (52, 55):
            self.assertEqual(params(os.path.join(out, f"sae_{seed}.h5")), params(os.path.join(self.out, f"sae_{seed}.h5")))
        self.assertEqual(tables(os.path.join(out, "report.md"), out), tables(os.path.join(self.out, "report.md"), self.out))

    def test_6_recording_stage(self):
        """data.source = record: the store coact record writes, then the study on it; a rerun skips."""
        sys.path.insert(0, os.path.join(SOURCE, "tests", "model"))
        import gpt2_reference as ref
        import numpy as np
        cfg = dict(n_layers=1, d_model=16, n_heads=2, d_head=8, d_mlp=32, d_vocab=61, d_vocab_out=61, n_ctx=16,
                   act_fn="gelu_new", model_name="tiny-gpt2")
        rng = np.random.default_rng(3)
        model_dir = self.path("model")
        os.makedirs(model_dir)
        ref.write_huggingface(model_dir, ref.random_model(rng, cfg, tied=True), cfg)
        tokens = os.path.join(model_dir, "tokens.h5")
        with h5py.File(tokens, "w") as f:
            f["tokens"] = rng.integers(0, cfg["d_vocab"], (64, 16)).astype(np.int32)
        config = self.path("record.ini")
        with open(config, "w") as fh:
            fh.write(f"""[data]\nsource = record\n[record]\nmodel = {model_dir}/model.safetensors\ntokens = {tokens}
seq-len = 16\nbatch-sequences = 8\n[train]\nseeds = 1,2\nrecipe = topk\nk = 4\nn = 64\nsteps = 20\nbatch-size = 128
[graph]\nbatch-tokens = 256\nnum-batches = 4\n[report]\nplots = false\n""")
        out = self.path("recorded")
        r = run(mpirun("run", "--config", config, "--out", out))
        self.assertEqual(r.returncode, 0, r.stderr)
        alone = self.path("recorded_alone.h5")
        r = run([COACT, "record", "--model", f"{model_dir}/model.safetensors", "--tokens", tokens, "--seq-len", "16",
                 "--batch-sequences", "8", "--out", alone])
        self.assertEqual(r.returncode, 0, r.stderr)
        with h5py.File(os.path.join(out, "acts.h5"), "r") as a, h5py.File(alone, "r") as b:
            self.assertEqual(a["activations"].shape, (1024, 32))
            self.assertEqual(a["activations"][...].tobytes(), b["activations"][...].tobytes())
            self.assertEqual(a.attrs["hook"], "blocks.0.mlp.hook_post")
        with open(os.path.join(out, "manifest.json")) as fh:
            data = [s for s in json.load(fh)["stages"] if s["stage"] == "data"][0]
        self.assertEqual(data["action"], "ran")
        self.assertEqual(sorted(f["role"] for f in data["inputs"]), ["model", "tokens"])
        r = run(mpirun("run", "--config", config, "--out", out))
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(len(re.findall(r"\bskipped\b", r.stdout)), 7, r.stdout)


if __name__ == "__main__":
    unittest.main(argv=[sys.argv[0]], verbosity=2)
