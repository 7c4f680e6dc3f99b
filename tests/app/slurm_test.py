#!/usr/bin/python3
"""The Slurm jobs on a real Slurm: a one-node cluster on this machine (tools/slurm-local.sh
installs Debian's slurm-wlm and munge, writes a loopback-only slurm.conf and starts munged,
slurmctld and slurmd), then jobs/demo.sbatch submitted with sbatch, exactly as a user would:

- A: the demo job, uninterrupted: every output is there, manifest.json says complete and names
  the Slurm job, the report answers Q1-Q3.
- B: the same job warned mid-training the way Slurm warns before a time limit or preemption
  (`scancel --signal=USR1 --batch`, what `#SBATCH --signal=B:USR1@60` sends): the batch shell
  forwards it, training checkpoints, the job requeues itself and the requeued run resumes.
- C: the same job cancelled mid-training (`scancel`: SIGTERM to every process of the job), then
  submitted again: it resumes from the checkpoint.
B and C end with SAE parameters bit-identical to A's and the same report.

Needs root (slurmd starts job steps as the submitting user) and, on a fresh machine, apt access.
Takes about 5-10 minutes on 2 cores. Label `slurm` (not in the default suite).

Usage: slurm_test.py path/to/coact path/to/source   (COACT_KEEP_TEST_OUTPUT=1 keeps the job directories)
"""
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import unittest

import h5py

from study_files import params, tables

COACT, SOURCE = (os.path.abspath(p) for p in sys.argv[1:3])
SLURM_LOCAL = os.path.join(SOURCE, "tools", "slurm-local.sh")
DEMO_SBATCH = os.path.join(SOURCE, "jobs", "demo.sbatch")
STEPS = 1500  # jobs/configs/demo.ini
TERMINAL = {"COMPLETED", "FAILED", "CANCELLED", "TIMEOUT", "NODE_FAIL", "OUT_OF_MEMORY", "BOOT_FAIL", "DEADLINE", "PREEMPTED"}


class Slurm(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        if os.geteuid() != 0:
            raise unittest.SkipTest("needs root: slurmd starts job steps as the submitting user")
        cls.tmp = tempfile.mkdtemp(prefix="coact_slurm_")
        cls.cluster = os.path.join(cls.tmp, "cluster")
        cls.started = time.time()
        r = subprocess.run([SLURM_LOCAL, "start", cls.cluster], capture_output=True, text=True, timeout=1200)
        if r.returncode != 0:
            subprocess.run([SLURM_LOCAL, "stop", cls.cluster], capture_output=True, timeout=300)
            raise AssertionError(f"tools/slurm-local.sh start failed:\n{r.stdout}\n{r.stderr}")
        # Every job runs this copy: a rebuild while the test runs cannot mix two binaries.
        coact = os.path.join(cls.tmp, "coact")
        shutil.copy2(COACT, coact)
        cls.env = dict(os.environ, SLURM_CONF=os.path.join(cls.cluster, "slurm.conf"), COACT=coact, COACT_HOME=SOURCE)
        # The jobs see this environment (sbatch exports it), so not the test's OMP_NUM_THREADS=1
        # alone decides: the scripts set it from --cpus-per-task.
        cls.env.pop("OMP_NUM_THREADS", None)
        cls.reference = os.path.join(cls.tmp, "A")

    @classmethod
    def tearDownClass(cls):
        subprocess.run([SLURM_LOCAL, "stop", cls.cluster], capture_output=True, timeout=300)
        print(f"slurm test: {time.time() - cls.started:.0f} s with the cluster up", file=sys.stderr)
        if not os.environ.get("COACT_KEEP_TEST_OUTPUT"):
            shutil.rmtree(cls.tmp, ignore_errors=True)

    # --- helpers -------------------------------------------------------------------------------
    def slurm(self, *command, check=True):
        r = subprocess.run(list(command), capture_output=True, text=True, env=self.env, timeout=120)
        if check:
            self.assertEqual(r.returncode, 0, f"{command}: {r.stderr}")
        return r.stdout

    def submit(self, out):
        env = dict(self.env, COACT_RUN_ARGS=f"--out {out} --report.plots false")
        r = subprocess.run(["sbatch", "--parsable", f"--chdir={self.tmp}", DEMO_SBATCH], capture_output=True, text=True,
                           env=env, timeout=120)
        self.assertEqual(r.returncode, 0, r.stderr)
        return r.stdout.strip().split(";")[0]

    def job(self, job_id):
        """scontrol's fields of a job (MinJobAge keeps finished jobs for 10 minutes)."""
        text = self.slurm("scontrol", "show", "job", "-o", job_id)
        return dict(re.findall(r"(\w+)=(\S*)", text))

    def log(self, job_id):
        path = os.path.join(self.tmp, f"coact-demo-{job_id}.log")
        if not os.path.exists(path):
            return ""
        with open(path) as fh:
            return fh.read()

    def wait(self, job_id, condition, what, seconds=900):
        deadline = time.time() + seconds
        while time.time() < deadline:
            fields = self.job(job_id)
            if condition(fields):
                return fields
            time.sleep(1)
        self.fail(f"job {job_id}: {what} not reached in {seconds} s; state {self.job(job_id).get('JobState')}\n"
                  f"{self.log(job_id)[-3000:]}")

    def wait_done(self, job_id):
        return self.wait(job_id, lambda f: f.get("JobState") in TERMINAL, "the end")

    def wait_training(self, job_id):
        """Until the job's training runs, then a few seconds more (training takes about a minute)."""
        deadline = time.time() + 600
        while time.time() < deadline and "training 2 SAE(s)" not in self.log(job_id):
            self.assertNotIn(self.job(job_id).get("JobState"), TERMINAL, self.log(job_id))
            time.sleep(0.5)
        self.assertIn("training 2 SAE(s)", self.log(job_id))
        time.sleep(5)

    def assert_interrupted(self, out):
        for seed in (52, 55):
            with h5py.File(os.path.join(out, f"sae_{seed}.h5"), "r") as f:
                self.assertEqual(int(f.attrs["complete"]), 0, "a checkpoint, not a finished SAE")
                self.assertLess(int(f.attrs["step"]), STEPS)
                self.assertGreater(int(f.attrs["step"]), 0)

    def assert_same_as_reference(self, out):
        for seed in (52, 55):
            self.assertEqual(params(os.path.join(out, f"sae_{seed}.h5")),
                             params(os.path.join(self.reference, f"sae_{seed}.h5")), f"seed {seed}")
        self.assertEqual(tables(os.path.join(out, "report.md"), out),
                         tables(os.path.join(self.reference, "report.md"), self.reference))

    def manifest(self, out):
        with open(os.path.join(out, "manifest.json")) as fh:
            return json.load(fh)

    # --- the jobs ------------------------------------------------------------------------------
    def test_1_demo_job(self):
        started = time.time()
        job_id = self.submit(self.reference)
        fields = self.wait_done(job_id)
        self.assertEqual(fields["JobState"], "COMPLETED", self.log(job_id))
        print(f"demo job: {time.time() - started:.0f} s from sbatch to COMPLETED", file=sys.stderr)
        self.assertIn("run finished", self.log(job_id))
        for name in ("acts.h5", "sae_52.h5", "sae_55.h5", "graph_52.h5", "graph_55.h5", "compare.h5", "report.md"):
            self.assertTrue(os.path.exists(os.path.join(self.reference, name)), name)
        m = self.manifest(self.reference)
        self.assertEqual(m["status"], "complete")
        self.assertEqual(m["job"]["ranks"], 2)
        self.assertEqual(m["job"]["SLURM_JOB_ID"], job_id)
        self.assertTrue(all(s["action"] == "ran" for s in m["stages"]), m["stages"])
        for seed in (52, 55):
            with h5py.File(os.path.join(self.reference, f"sae_{seed}.h5"), "r") as f:
                self.assertEqual(int(f.attrs["complete"]), 1)
                self.assertEqual(int(f.attrs["step"]), STEPS)
                self.assertGreater(float(f.attrs["ground_truth_mmcs"]), 0.9)
        with open(os.path.join(self.reference, "report.md")) as fh:
            self.assertIn("## Q1.", fh.read())

    def test_2_warning_signal_checkpoints_requeues_and_resumes(self):
        self.assertTrue(os.path.exists(os.path.join(self.reference, "report.md")), "needs job A")
        out = os.path.join(self.tmp, "B")
        job_id = self.submit(out)
        self.wait_training(job_id)
        # What `#SBATCH --signal=B:USR1@60` sends ahead of the time limit.
        self.slurm("scancel", "--signal=USR1", "--batch", job_id)
        self.wait(job_id, lambda f: f.get("JobState") == "PENDING" and int(f.get("Restarts", "0")) >= 1, "the requeue")
        self.assert_interrupted(out)
        self.assertEqual(self.manifest(out)["status"], "interrupted")
        self.assertIn("requeueing job", self.log(job_id))
        # Slurm holds a requeued job back about two minutes (starting it at once can find the
        # previous step's PMIx socket still in place), so this waits as a user's job would.
        fields = self.wait_done(job_id)
        self.assertEqual(fields["JobState"], "COMPLETED", self.log(job_id))
        self.assertEqual(fields["Restarts"], "1")
        self.assertIn("resuming", self.log(job_id))
        m = self.manifest(out)
        self.assertEqual(m["status"], "complete")
        self.assertEqual(m["attempt"], 2)
        self.assertEqual(m["job"]["SLURM_RESTART_COUNT"], "1")
        self.assertEqual({s["action"] for s in m["stages"] if s["stage"] == "train"}, {"resumed"})
        self.assert_same_as_reference(out)

    def test_3_cancel_then_resubmit_resumes(self):
        self.assertTrue(os.path.exists(os.path.join(self.reference, "report.md")), "needs job A")
        out = os.path.join(self.tmp, "C")
        job_id = self.submit(out)
        self.wait_training(job_id)
        self.slurm("scancel", job_id)
        fields = self.wait_done(job_id)
        self.assertEqual(fields["JobState"], "CANCELLED")
        # The cancelled job's processes may still be finishing their checkpoint.
        self.wait(job_id, lambda f: "Slurm is ending job" in self.log(job_id), "the checkpoint", 120)
        self.assertEqual(self.manifest(out)["status"], "interrupted")
        self.assertEqual(self.job(job_id)["JobState"], "CANCELLED", "a cancelled job is not requeued")
        self.assert_interrupted(out)
        again = self.submit(out)
        fields = self.wait_done(again)
        self.assertEqual(fields["JobState"], "COMPLETED", self.log(again))
        self.assertIn("resuming", self.log(again))
        m = self.manifest(out)
        self.assertEqual(m["status"], "complete")
        self.assertEqual(m["job"]["SLURM_JOB_ID"], again)
        self.assertEqual({s["action"] for s in m["stages"] if s["stage"] == "train"}, {"resumed"})
        self.assertEqual([s["action"] for s in m["stages"] if s["stage"] == "data"], ["skipped"])
        self.assert_same_as_reference(out)


if __name__ == "__main__":
    unittest.main(argv=[sys.argv[0]], verbosity=2)
