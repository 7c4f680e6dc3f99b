#!/usr/bin/python3
"""No command loses or silently replaces data: the cases of a hostile-input campaign, one test
(or subtest) each, numbered as docs/reliability.md ("Output safety") lists them. Each asserts
the behaviour that replaced the old one: a refusal with exit 1 or 2 (never a signal, never >=
128 unless the case is a signal) and one line naming the flag, key or file, with every
existing file byte-identical and no temporary left; or the correct result.

Usage: safety_test.py path/to/coact path/to/mpiexec path/to/source
"""
import glob
import hashlib
import json
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

COACT, MPIEXEC, SOURCE = sys.argv[1:4]
SAE_ARGS = ["--expansion", "4", "--steps", "20", "--batch-size", "256", "--checkpoint-every", "0", "--threads", "1"]


def run(*args, ranks=None, timeout=300, env=None, **kwargs):
    command = [COACT, *args]
    if ranks:
        command = [MPIEXEC, "-n", str(ranks), "--oversubscribe", *command]
    return subprocess.run(command, capture_output=True, text=True, timeout=timeout, env=env, **kwargs)


def ok(*args, **kwargs):
    r = run(*args, **kwargs)
    if r.returncode != 0:
        raise AssertionError(f"coact {' '.join(args)} failed ({r.returncode}):\n{r.stderr}")
    return r


def digest(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        h.update(f.read())
    return h.hexdigest()


def snapshot(folder):
    """Every file under `folder` (hidden ones included) with its hash."""
    out = {}
    for root, _, files in os.walk(folder):
        for name in files:
            path = os.path.join(root, name)
            if name.endswith(".lock"):
                continue  # lock files stay beside their outputs by design (docs/formats.md)
            out[os.path.relpath(path, folder)] = digest(path)
    return out


def coact_lines(stderr):
    return [line for line in stderr.splitlines() if line.startswith("coact")]


class Safety(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.mkdtemp(prefix="coact_safety_")
        cls.addClassCleanup(shutil.rmtree, cls.dir, True)
        d = cls.dir
        cls.acts = os.path.join(d, "acts.h5")
        ok("synth", "--out", cls.acts, "--rows", "8192", "--d", "16", "--features", "48", "--seed", "3")
        cls.saes = os.path.join(d, "saes")
        ok("train", "--activations", cls.acts, "--out", cls.saes, "--seeds", "1,2", *SAE_ARGS)
        cls.graphs = {}
        for seed in (1, 2):
            cls.graphs[seed] = os.path.join(d, f"graph_{seed}.h5")
            ok("graph", "--sae", cls.sae(seed), "--activations", cls.acts, "--out", cls.graphs[seed], "--batch-tokens", "1024",
               "--num-batches", "4")
        cls.compare = os.path.join(d, "compare.h5")
        ok("compare", "--sae", cls.sae(1), cls.sae(2), "--graphs", cls.graphs[1], cls.graphs[2], "--out", cls.compare)

    @classmethod
    def sae(cls, seed):
        return os.path.join(cls.saes, f"sae_{seed}.h5")

    def work(self, name):
        path = os.path.join(self.dir, "work", name)
        os.makedirs(path, exist_ok=True)
        return path

    def refused(self, r, *fragments, code=None):
        """One coact line naming every fragment; exit 1 or 2 (or `code`)."""
        self.assertNotEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertLess(r.returncode, 128, r.stderr)
        if code is not None:
            self.assertEqual(r.returncode, code, r.stderr)
        lines = coact_lines(r.stderr)
        self.assertEqual(len(lines), 1, r.stderr)
        for fragment in fragments:
            self.assertIn(fragment, lines[0])
        # Error lines never carry coact's source locations.
        self.assertNotRegex(lines[0], r"\.(cpp|h|cu):\d+")
        return lines[0]

    # ---- 1. an output is never an input, whatever --force says -------------------------------

    def test_01_output_equal_to_input_is_refused(self):
        folder = self.work("aliases")
        copies = {}
        for name, source in [("a.h5", self.acts), ("g.h5", self.graphs[1]), ("cs.h5", self.compare), ("s.h5", self.sae(1))]:
            copies[name] = os.path.join(folder, name)
            shutil.copy(source, copies[name])
        os.symlink(copies["g.h5"], os.path.join(folder, "link.h5"))
        trained = os.path.join(folder, "trained")
        os.makedirs(trained)
        shutil.copy(self.sae(1), os.path.join(trained, "sae_9.h5"))
        before = snapshot(folder)
        cases = [
            (["graph", "--sae", copies["s.h5"], "--activations", copies["a.h5"], "--out", copies["a.h5"], "--force"],
             ["--activations", "--out"]),
            (["stats", copies["g.h5"], "--out", copies["g.h5"], "--force"], ["--out"]),
            (["stats", copies["g.h5"], "--out", os.path.join(folder, "link.h5"), "--force"], ["--out"]),
            (["export", "--graph", copies["g.h5"], "--format", "edgelist", "--out", copies["g.h5"], "--force"], ["--graph", "--out"]),
            (["compare", "--sae", copies["s.h5"], self.sae(2), "--graphs", self.graphs[1], self.graphs[2], "--out", copies["s.h5"],
              "--force"], ["--sae", "--out"]),
            (["compare", "--sae", self.sae(1), self.sae(2), "--graphs", self.graphs[1], self.graphs[2], "--out",
              os.path.join(folder, "..", "aliases", "cs.h5"), "--truth", copies["cs.h5"], "--force"], ["--truth", "--out"]),
            (["import", "--from", copies["s.h5"], "--out", copies["s.h5"], "--force"], ["--from", "--out"]),
            (["train", "--activations", os.path.join(trained, "sae_9.h5"), "--seed", "9", "--out", trained, "--force",
              *SAE_ARGS], ["--activations", "--out"]),
        ]
        for args, fragments in cases:
            with self.subTest(command=args[0], out=args[args.index("--out") + 1]):
                self.refused(run(*args), *fragments, code=2)
        self.assertEqual(snapshot(folder), before)

    # ---- 2. a second report into the same folder ---------------------------------------------

    def test_02_second_report_never_half_overwrites_the_first(self):
        folder = self.work("report")
        report = os.path.join(folder, "report.md")
        ok("report", "--compare", self.compare, "--out", report)
        self.assertTrue(os.listdir(os.path.join(folder, "plots")))
        before = snapshot(folder)
        # Another report into the same folder (its plots go to the same plots/) without --force.
        self.refused(run("report", "--compare", self.compare, "--out", os.path.join(folder, "other.md")), "--force")
        self.assertEqual(snapshot(folder), before)
        ok("report", "--compare", self.compare, "--out", report, "--force")

    # ---- 3. one writer per output ------------------------------------------------------------

    def test_03_two_writers_of_one_output(self):
        out = self.work("two_trainers")
        # Long enough to be running when the second writer starts; stopped by a signal after.
        args = [COACT, "train", "--activations", self.acts, "--out", out, "--seed", "7", "--expansion", "4", "--steps",
                "100000000", "--batch-size", "256", "--threads", "1"]
        first = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            lock = os.path.join(out, ".sae_7.h5.lock")
            deadline = time.time() + 120
            while not os.path.exists(lock) and time.time() < deadline:
                time.sleep(0.1)
            time.sleep(0.5)
            second = run(*args[1:], "--force")
            self.refused(second, "sae_7.h5", str(first.pid), "another coact process")
        finally:
            first.send_signal(signal.SIGTERM)
            first.communicate(timeout=300)
        # communities and centrality on one graph at once: one waits for nothing, the other fails.
        graph = os.path.join(self.work("two_analyses"), "g.h5")
        shutil.copy(self.graphs[1], graph)
        procs = [subprocess.Popen([COACT, *a], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
                 for a in (["communities", "--graph", graph, "--louvain-trials", "64"], ["centrality", "--graph", graph])]
        results = [p.communicate(timeout=300) + (p.returncode,) for p in procs]
        codes = sorted(r[2] for r in results)
        self.assertEqual(codes[0], 0, results)
        if codes[1] != 0:  # they overlapped: the second was refused, naming the holder
            failed = [r for r in results if r[2] != 0][0]
            self.assertIn("g.h5", coact_lines(failed[1])[0])
        with h5py.File(graph, "r") as f:  # whatever ran stored all it computed
            stored = set(f["nodes"].keys())
        for r in results:
            if r[2] == 0 and "louvain" in r[0]:
                self.assertIn("community_louvain", stored)

    def test_03_two_runs_on_one_folder(self):
        out = self.work("two_runs")
        study = os.path.join(SOURCE, "jobs", "configs", "demo.ini")
        small = ["--synth.rows", "32768", "--train.steps", "300", "--graph.num-batches", "2", "--report.plots", "false",
                 "--threads", "1"]
        first = subprocess.Popen([COACT, "run", "--config", study, "--out", out, *small], stdout=subprocess.PIPE,
                                 stderr=subprocess.PIPE, text=True)
        deadline = time.time() + 120
        while not glob.glob(os.path.join(out, ".*.lock")) and time.time() < deadline:
            time.sleep(0.1)
        second = run("run", "--config", study, "--out", out, *small)
        first.communicate(timeout=900)
        self.assertEqual(first.returncode, 0)
        self.refused(second, str(first.pid))
        # The manifest is the first run's, complete; a later plain run skips everything.
        with open(os.path.join(out, "manifest.json")) as fh:
            self.assertEqual(json.load(fh)["status"], "complete")
        again = ok("run", "--config", study, "--out", out, *small)
        self.assertIn("skipped", again.stdout)

    # ---- 4. an interrupted writer leaves nothing behind ---------------------------------------

    def test_04_interrupted_synth_leaves_no_partial(self):
        folder = self.work("interrupted_synth")
        for sig in (signal.SIGINT, signal.SIGTERM):
            with self.subTest(signal=sig.name):
                out = os.path.join(folder, f"big_{sig.name}.h5")
                p = subprocess.Popen([COACT, "synth", "--out", out, "--rows", "20000000", "--d", "64"], stderr=subprocess.PIPE,
                                     text=True)
                deadline = time.time() + 60
                while not glob.glob(os.path.join(folder, ".*partial*")) and time.time() < deadline:
                    time.sleep(0.05)
                p.send_signal(sig)
                p.communicate(timeout=120)
                self.assertNotEqual(p.returncode, 0)
                self.assertEqual(glob.glob(os.path.join(folder, ".*partial*")), [])
                self.assertFalse(os.path.exists(out))
        # The file size limit: SIGXFSZ ends the write with one line, no partial.
        out = os.path.join(folder, "limited.h5")
        r = subprocess.run(["bash", "-c", f"ulimit -f 2048; exec {COACT} synth --out {out} --rows 400000 --d 64"],
                           capture_output=True, text=True, timeout=120)
        self.assertNotEqual(r.returncode, 0)
        self.assertLess(r.returncode, 128, r.stderr)
        self.assertEqual(glob.glob(os.path.join(folder, ".*partial*")), [])
        # A partial left by a process killed outright is removed (and reported) by the next run.
        stale = os.path.join(folder, ".again.h5.partial-dead")
        with open(stale, "wb") as fh:
            fh.write(b"x" * 4096)
        r = ok("synth", "--out", os.path.join(folder, "again.h5"), "--rows", "4096", "--d", "8")
        self.assertFalse(os.path.exists(stale))
        self.assertIn("partial", r.stderr)

    def test_04_interrupted_run_records_interrupted(self):
        out = self.work("interrupted_run")
        study = os.path.join(SOURCE, "jobs", "configs", "demo.ini")
        args = [COACT, "run", "--config", study, "--out", out, "--synth.rows", "6000000", "--synth.d", "256",
                "--train.steps", "10", "--report.plots", "false"]
        p = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        deadline = time.time() + 60
        while not glob.glob(os.path.join(out, ".*partial*")) and time.time() < deadline:
            time.sleep(0.05)
        p.send_signal(signal.SIGTERM)
        _, err = p.communicate(timeout=300)
        self.assertEqual(p.returncode, 130, err)
        self.assertEqual(glob.glob(os.path.join(out, ".*partial*")), [])
        with open(os.path.join(out, "manifest.json")) as fh:
            self.assertEqual(json.load(fh)["status"], "interrupted")

    # ---- 5. --resume compares everything that decides the result -----------------------------

    def test_05_resume_refuses_other_data_settings_and_ranks(self):
        out = self.work("resume")
        ok("train", "--activations", self.acts, "--out", out, "--seed", "5", *SAE_ARGS)
        other = os.path.join(self.work("resume_data"), "other.h5")
        ok("synth", "--out", other, "--rows", "8192", "--d", "16", "--features", "48", "--seed", "4")
        before = snapshot(out)
        cases = [
            (["--activations", other, "--seed", "5", *SAE_ARGS], ["data_", "--resume-anyway"]),
            (["--activations", self.acts, "--seed", "5", *SAE_ARGS, "--recipe", "topk", "--k", "8"], ["recipe"]),
        ]
        for args, fragments in cases:
            with self.subTest(args=args):
                self.refused(run("train", "--out", out, "--resume", *args), *fragments, code=2)
        self.refused(run("train", "--activations", self.acts, "--out", out, "--resume", "--seed", "5", *SAE_ARGS, ranks=2),
                     "ranks", code=2)
        self.assertEqual(snapshot(out), before)
        # A deliberate change goes on, and the file says so.
        ok("train", "--activations", self.acts, "--out", out, "--resume", "--resume-anyway", "--seed", "5",
           *[a if a != "20" else "30" for a in SAE_ARGS], "--lr", "5e-4")
        with h5py.File(os.path.join(out, "sae_5.h5"), "r") as f:
            self.assertIn("lr", f.attrs["resume_changes"])

    # ---- 6. non-finite and absurd numbers ----------------------------------------------------

    def test_06_numbers_out_of_range_are_refused(self):
        out = self.work("numbers")
        cases = [
            (["synth", "--out", os.path.join(out, "a.h5"), "--offset-norm", "inf"], "--offset-norm"),
            (["synth", "--out", os.path.join(out, "a.h5"), "--offset-norm", "1e300"], "--offset-norm"),
            (["synth", "--out", os.path.join(out, "a.h5"), "--magnitude-max", "inf"], "--magnitude-max"),
            (["synth", "--out", os.path.join(out, "a.h5"), "--noise", "1e39"], "--noise"),
            (["train", "--activations", self.acts, "--out", out, "--seed", "1", "--lr", "nan"], "--lr"),
            (["communities", "--graph", self.graphs[1], "--truth", self.acts, "--truth-threshold", "nan", "--no-store"],
             "--truth-threshold"),
            (["inspect", "--feature", "0", "--graph", self.graphs[1], "--neighbours", "-1"], "--neighbours"),
        ]
        for args, flag in cases:
            with self.subTest(args=args):
                self.refused(run(*args), flag, code=2)
        self.assertEqual(os.listdir(out), [])

    # ---- 7. unbounded work is refused or bounded up front ------------------------------------

    def test_07_unbounded_work(self):
        out = self.work("unbounded")
        for args, flag in [
            (["path", "--graph", self.graphs[1], "--from", "0", "--to", "1", "--k", "1000000000"], "--k"),
            (["communities", "--graph", self.graphs[1], "--louvain-trials", "1000000000", "--no-store"], "--louvain-trials"),
            (["synth", "--out", os.path.join(out, "huge.h5"), "--rows", "1000000000000", "--d", "64"], "--rows"),
        ]:
            with self.subTest(args=args):
                self.refused(run(*args, timeout=60), flag, code=2)
        r = ok("train", "--activations", self.acts, "--out", out, "--seed", "3", "--expansion", "4", "--steps", "5",
               "--batch-size", "256", "--threads", "64")
        self.assertIn("--threads 64", r.stderr)
        self.assertIn("cores", r.stderr)

    # ---- 8. misleading inputs and messages ---------------------------------------------------

    def test_08_misleading_inputs(self):
        out = self.work("misleading")
        # Root attributes that contradict the file.
        # (complete = 1 while step 3 is short of total_steps 20: a checkpoint that claims to be final.)
        for attrs, named in [({"d_in": 17}, "d_in"), ({"n_features": 3}, "n_features"), ({"recipe": "evil"}, "recipe"),
                             ({"step": 3}, "complete")]:
            with self.subTest(attributes=attrs):
                bad = os.path.join(out, f"sae_{named}.h5")
                shutil.copy(self.sae(1), bad)
                with h5py.File(bad, "r+") as f:
                    for attr, value in attrs.items():
                        f.attrs[attr] = value
                r = run("graph", "--sae", bad, "--activations", self.acts, "--out", os.path.join(out, "g.h5"))
                self.refused(r, os.path.basename(bad), named)
        # A configuration file that is binary, or a folder.
        binary = os.path.join(out, "binary.ini")
        with open(binary, "wb") as fh:
            fh.write(bytes(range(256)) * 4)
        line = self.refused(run("stats", self.graphs[1], "--config", binary), "binary.ini", code=2)
        self.assertTrue(line.isprintable())
        self.refused(run("stats", self.graphs[1], "--config", out), "directory", code=2)
        # Output names that cannot work fail before any work.
        started = time.time()
        self.refused(run("synth", "--out", "", "--rows", "2000000"), "--out", code=2)
        self.refused(run("synth", "--out", os.path.join(out, "no", "such", "dir", "x.h5")), "--out", code=2)
        self.assertFalse(os.path.exists(os.path.join(out, "no")))
        self.assertLess(time.time() - started, 30)
        as_file = os.path.join(out, "plain_file")
        with open(as_file, "w") as fh:
            fh.write("not a folder")
        self.refused(run("train", "--activations", self.acts, "--out", os.path.join(as_file, "sub"), "--seed", "1",
                         *SAE_ARGS), "--out", code=2)

    # ---- 9. a signal ends a run under mpirun with 130 ----------------------------------------

    def test_09_signals_under_mpirun_end_the_step_with_130(self):
        """mpirun exits 1 when it is signalled, whatever its ranks return: the batch scripts' step
        (jobs/lib/job.sh coact_step) reads coact's own status and returns 130, the requeue cue. The
        warning signal goes to the batch shell (scancel --signal=USR1 --batch), which forwards it;
        SIGTERM goes to mpirun itself."""
        study = os.path.join(SOURCE, "jobs", "configs", "demo.ini")
        for name, deliver in [("usr1_to_batch_shell", lambda shell, launcher: os.kill(shell, signal.SIGUSR1)),
                              ("term_to_mpirun", lambda shell, launcher: os.kill(launcher, signal.SIGTERM))]:
            with self.subTest(name):
                out = self.work(f"mpirun_{name}")
                launch = (f"{MPIEXEC} -n 2 --oversubscribe {COACT} run --config {study} --out {out} --train.steps 100000 "
                          f"--synth.rows 32768 --report.plots false")
                script = f"set -u; source {SOURCE}/jobs/lib/job.sh; coact_step {launch}; echo step-returned-$?"
                p = subprocess.Popen(["bash", "-c", script], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
                log = []
                for line in p.stdout:
                    log.append(line)
                    if line.startswith("train:"):
                        time.sleep(2)
                        launcher = int(subprocess.run(["pgrep", "-P", str(p.pid), "-f", "mpirun|mpiexec|orterun"],
                                                      capture_output=True, text=True).stdout.split()[0])
                        deliver(p.pid, launcher)
                        break
                rest, _ = p.communicate(timeout=300)
                text = "".join(log) + rest
                self.assertIn("step-returned-130", text)
                self.assertIn("interrupted by a signal", text)
                with open(os.path.join(out, "manifest.json")) as fh:
                    self.assertEqual(json.load(fh)["status"], "interrupted")

    # ---- 10. describe and --check know SAE, graph and compare files --------------------------

    def test_10_describe_and_check_every_kind(self):
        for path, facts in [(self.sae(1), ["d_in 16", "n_features 64", "recipe", "20 of 20 steps", "loss"]),
                            (self.graphs[1], ["64 nodes", "edges", "node datasets"]),
                            (self.compare, ["matching", "shared"])]:
            with self.subTest(path=os.path.basename(path)):
                text = ok("describe", path).stdout
                for fact in facts:
                    self.assertIn(fact, text)
                checked = [line.split() for line in ok("describe", "--check", path).stdout.splitlines()]
                self.assertIn(["check", "ok:"], [words[:2] for words in checked])
        bad = os.path.join(self.work("check"), "nan_sae.h5")
        shutil.copy(self.sae(1), bad)
        with h5py.File(bad, "r+") as f:
            w = f["W_dec"][...]
            w[3, 2] = np.nan
            f["W_dec"][...] = w
        self.refused(run("describe", "--check", bad), "nan_sae.h5", "W_dec")
        asym = os.path.join(self.work("check"), "asym_graph.h5")
        shutil.copy(self.graphs[1], asym)
        with h5py.File(asym, "r+") as f:
            idx = f["csr/indices"][...]
            idx[0] = (idx[0] + 1) % 64
            f["csr/indices"][...] = idx
        self.refused(run("describe", "--check", asym), "asym_graph.h5")

    # ---- 11. exports lose nothing; no path is said and exits 1 --------------------------------

    def test_11_exports_and_paths(self):
        folder = self.work("exports")
        graph = os.path.join(folder, "g.h5")
        shutil.copy(self.graphs[1], graph)
        ok("communities", "--graph", graph)
        ok("centrality", "--graph", graph)
        edges = os.path.join(folder, "g.edges")
        ok("export", "--graph", graph, "--format", "edgelist", "--out", edges)
        with h5py.File(graph, "r") as f:
            degree = f["nodes/degree"][...]
        isolated = [i for i, d in enumerate(degree) if d == 0]
        with open(edges) as fh:
            text = fh.read()
        for node in isolated:
            self.assertIn(f"# node {node}\n", text)
        graphml = os.path.join(folder, "g.graphml")
        ok("export", "--graph", graph, "--format", "graphml", "--out", graphml)
        with open(graphml) as fh:
            xml = fh.read()
        for name in ("community_louvain", "community_label_propagation", "core_number", "pagerank", "betweenness"):
            self.assertIn(f'attr.name="{name}"', xml)
        if isolated:
            r = run("path", "--graph", graph, "--from", str(isolated[0]), "--to", str((isolated[0] + 1) % 64))
            self.assertEqual(r.returncode, 1, r.stderr)
            self.assertIn("no path", r.stdout)

    # ---- 12. progress under several ranks counts the whole job -------------------------------

    def test_12_progress_counts_every_rank(self):
        out = os.path.join(self.work("progress"), "g.h5")
        r = ok("graph", "--sae", self.sae(1), "--activations", self.acts, "--out", out, "--batch-tokens", "512",
               "--num-batches", "16", ranks=2)
        done = [line for line in r.stderr.splitlines() if line.startswith("graph ") and "done" in line]
        self.assertTrue(done, r.stderr)
        self.assertIn("16/16 batches", done[-1])


if __name__ == "__main__":
    unittest.main(argv=[sys.argv[0]], verbosity=2)
