"""Behaviour of the `coact` command itself: help, version, errors, config files, mpirun.

Usage: cli_test.py path/to/coact path/to/mpiexec
"""
import os
import subprocess
import sys
import tempfile
import unittest

COACT = sys.argv[1]
MPIEXEC = sys.argv[2]


def run(*args, mpi_ranks=None, **kwargs):
    command = [COACT, *args]
    if mpi_ranks:
        command = [MPIEXEC, "-n", str(mpi_ranks), "--oversubscribe", *command]
    return subprocess.run(command, capture_output=True, text=True, timeout=120, **kwargs)


class Cli(unittest.TestCase):
    def test_version(self):
        r = run("--version")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertRegex(r.stdout.strip(), r"^coact \d+\.\d+\.\d+$")

    def test_top_level_help_lists_commands(self):
        r = run("--help")
        self.assertEqual(r.returncode, 0)
        self.assertIn("Usage: coact <command>", r.stdout)
        self.assertIn("info", r.stdout)

    def test_no_arguments_is_a_usage_error(self):
        r = run()
        self.assertEqual(r.returncode, 2)
        self.assertIn("Usage:", r.stderr)

    def test_command_help(self):
        r = run("info", "--help")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("Usage: coact info", r.stdout)
        for flag in ("--device", "--threads", "--config", "--log-level", "--log-all-ranks"):
            self.assertIn(flag, r.stdout)
        self.assertEqual(r.stderr, "")

    def test_unknown_flag_is_one_line_exit_2(self):
        r = run("info", "--bogus")
        self.assertEqual(r.returncode, 2)
        lines = r.stderr.strip().splitlines()
        self.assertEqual(len(lines), 1, r.stderr)
        self.assertIn("coact info:", lines[0])
        self.assertIn("bogus", lines[0])
        self.assertEqual(r.stdout, "")

    def test_unknown_command_is_one_line_exit_2(self):
        r = run("frobnicate")
        self.assertEqual(r.returncode, 2)
        lines = r.stderr.strip().splitlines()
        self.assertEqual(len(lines), 1, r.stderr)
        self.assertIn("unknown command 'frobnicate'", lines[0])

    def test_bad_values_are_usage_errors(self):
        for args, fragment in ((("info", "--device", "tpu"), "tpu"),
                               (("info", "--threads", "zero"), "threads"),
                               (("info", "--threads", "0"), "--threads"),
                               (("info", "--log-level", "loud"), "loud")):
            r = run(*args)
            self.assertEqual(r.returncode, 2, (args, r.stderr))
            self.assertEqual(len(r.stderr.strip().splitlines()), 1, r.stderr)
            self.assertIn(fragment, r.stderr)

    def test_cuda_without_device_is_a_clear_error(self):
        r = run("info", "--device", "cuda")
        if "CUDA devices" in run("info").stdout and "none visible" not in run("info").stdout:
            self.skipTest("a CUDA device is visible")
        self.assertEqual(r.returncode, 2)
        self.assertIn("--device cuda", r.stderr)

    def test_info_single_process(self):
        r = run("info", "--threads", "2")
        self.assertEqual(r.returncode, 0, r.stderr)
        for needle in ("coact ", "MPI", "HDF5", "parallel", "BLAS", "ranks       1", "threads 2", "backend cpu"):
            self.assertIn(needle, r.stdout)

    def test_config_file_sets_flags_and_command_line_wins(self):
        with tempfile.NamedTemporaryFile("w", suffix=".ini", delete=False) as f:
            f.write("# comment\nthreads = 3\nlog-level = info\n")
            path = f.name
        try:
            r = run("info", "--config", path)
            self.assertEqual(r.returncode, 0, r.stderr)
            self.assertIn("threads 3", r.stdout)
            r = run("info", "--config", path, "--threads", "1")
            self.assertIn("threads 1", r.stdout)
            with open(path, "w") as f:
                f.write("colour = blue\n")
            r = run("info", "--config", path)
            self.assertEqual(r.returncode, 2)
            self.assertIn(path, r.stderr)
            self.assertIn("colour", r.stderr)
            r = run("info", "--config", path + ".missing")
            self.assertEqual(r.returncode, 2)
            self.assertIn("cannot read", r.stderr)
        finally:
            os.unlink(path)

    def test_mpirun_three_ranks_prints_one_report(self):
        r = run("info", "--threads", "1", mpi_ranks=3)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(r.stdout.count("coact 0"), 1, r.stdout)
        self.assertIn("ranks       3", r.stdout)
        for rank in range(3):
            self.assertIn(f"rank {rank}  host", r.stdout)

    def test_usage_error_under_mpirun_is_reported_once(self):
        r = run("info", "--bogus", mpi_ranks=2)
        self.assertNotEqual(r.returncode, 0)
        self.assertEqual(r.stderr.count("unrecognised option"), 1, r.stderr)


if __name__ == "__main__":
    unittest.main(argv=[sys.argv[0]], verbosity=2)
