"""coact's safetensors and .pt readers and its safetensors writer against files written by an
independent pure-Python safetensors writer and by tools/torch_format.py, torch.save's format
without torch (tools/make_interchange_fixtures.py; tests/io/torch_format_peers_test.py holds
that format to the real torch.save and torch.load):

- good files: coact reads every tensor (names, dtypes, shapes in file order) and its float32
  conversion is bit-identical to numpy/torch's; coact then writes them as safetensors and a
  pure-Python reader finds the identical arrays in a spec-conforming layout;
- malformed and hostile files: a non-zero exit (not a signal), one line on stderr naming the
  file and the problem, and no pickle payload ever runs (its marker file never appears).

Usage: interchange_test.py path/to/tensor_probe
"""
import json
import os
import pickletools
import shutil
import struct
import subprocess
import sys
import tempfile
import unittest

import numpy as np

PROBE = sys.argv[1]
SOURCE = os.environ.get("COACT_SOURCE_DIR", os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
sys.path.insert(0, os.path.join(SOURCE, "tools"))
import make_interchange_fixtures as fixtures  # noqa: E402


def probe(*args):
    return subprocess.run([PROBE, *args], capture_output=True, text=True, timeout=300)


def read_safetensors(path):
    """A spec reader: (header length, metadata, [(name, dtype, array)] in buffer order)."""
    with open(path, "rb") as f:
        data = f.read()
    (n,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8:8 + n])
    metadata = header.pop("__metadata__", {})
    buffer = data[8 + n:]
    out = []
    for name, spec in sorted(header.items(), key=lambda kv: kv[1]["data_offsets"]):
        begin, end = spec["data_offsets"]
        dtype = {"F32": np.float32, "F16": np.float16, "F64": np.float64}[spec["dtype"]]
        array = np.frombuffer(buffer[begin:end], dtype=dtype).reshape(spec["shape"])
        out.append((name, spec["dtype"], array, begin, end))
    return n, metadata, out, len(buffer)


def same_bits(a, b):
    a, b = np.array(a, np.float32), np.array(b, np.float32)  # copies keep 0-d arrays 0-d
    return a.shape == b.shape and np.array_equal(a.view(np.uint32), b.view(np.uint32))


class Interchange(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.mkdtemp(prefix="coact_interchange_")
        cls.marker_dir = tempfile.mkdtemp(prefix="coact_marker_")
        cls.cases = fixtures.make_fixtures(cls.dir, cls.marker_dir)
        cls.by_name = {c.name: c for c in cls.cases}

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.dir, ignore_errors=True)
        shutil.rmtree(cls.marker_dir, ignore_errors=True)

    def path(self, name):
        return os.path.join(self.dir, name)

    def expect_error(self, result, file_name, fragments=()):
        self.assertGreater(result.returncode, 0, f"{file_name}: killed by a signal or succeeded: {result.stdout}")
        self.assertEqual(result.returncode, 1, f"{file_name}: not a coact error: {result.stderr}")
        lines = result.stderr.strip().splitlines()
        self.assertEqual(len(lines), 1, result.stderr)
        self.assertIn(file_name, lines[0])
        for fragment in fragments:
            self.assertIn(fragment, lines[0])
        return lines[0]

    def test_case_counts(self):
        kinds = [c.kind for c in self.cases]
        self.assertGreaterEqual(kinds.count("good"), 12)
        self.assertGreaterEqual(kinds.count("bad"), 50)

    def test_good_files_read_exactly_and_round_trip_through_the_writer(self):
        for case in (c for c in self.cases if c.kind == "good"):
            with self.subTest(case.name):
                described = probe("describe", self.path(case.name))
                self.assertEqual(described.returncode, 0, described.stderr)
                listing = json.loads(described.stdout)["tensors"]
                self.assertEqual([(t["name"], t["dtype"], t["shape"]) for t in listing],
                                 [(n, d, list(v.shape)) for n, d, v in case.tensors])

                out = self.path(case.name + ".coact.safetensors")
                converted = probe("convert", self.path(case.name), out)
                self.assertEqual(converted.returncode, 0, converted.stderr)
                n, metadata, tensors, buffer_bytes = read_safetensors(out)
                # The reference layout: header padded to 8 bytes, tensors sorted by name and
                # tiling the buffer exactly.
                self.assertEqual(n % 8, 0)
                self.assertEqual(metadata, {"converted_by": "tensor_probe"})
                names = [t[0] for t in tensors]
                self.assertEqual(names, sorted(names, key=lambda s: s.encode()))
                end = 0
                for _, dtype, _, begin, stop in tensors:
                    self.assertEqual((dtype, begin), ("F32", end))
                    end = stop
                self.assertEqual(end, buffer_bytes)
                written = {t[0]: t[2] for t in tensors}
                self.assertEqual(sorted(written), sorted(n for n, _, _ in case.tensors))
                for name, _, expected in case.tensors:
                    self.assertTrue(same_bits(written[name], expected), f"{case.name}: {name}")

    def test_metadata_is_read(self):
        described = json.loads(probe("describe", self.path("st_f32.safetensors")).stdout)
        self.assertEqual(described["metadata"], {"format": "pt", "note": "ü"})
        self.assertEqual(described["format"], "safetensors")
        self.assertEqual(json.loads(probe("describe", self.path("pt_views.pt")).stdout)["format"], "pytorch")

    def test_integer_tensors_read_exactly(self):
        checked = 0
        for case in (c for c in self.cases if c.ints):
            for name, values in case.ints.items():
                with self.subTest(case=case.name, tensor=name):
                    r = probe("ints", self.path(case.name), name)
                    self.assertEqual(r.returncode, 0, r.stderr)
                    self.assertEqual(json.loads(r.stdout), [int(v) for v in values.reshape(-1)])
                    checked += 1
        self.assertGreaterEqual(checked, 12)
        self.expect_error(probe("ints", self.path("pt_dtypes.pt"), "f32"), "pt_dtypes.pt", ["f32", "integer dtype"])

    def test_nested_checkpoint_structure(self):
        r = probe("tree", self.path("pt_nested.pt"))
        self.assertEqual(r.returncode, 0, r.stderr)
        expected = json.loads(json.dumps(self.by_name["pt_nested.pt"].tree))  # tuples become lists
        self.assertEqual(json.loads(r.stdout), expected)

    def test_expected_shape_is_checked(self):
        ok = probe("require", self.path("st_f32.safetensors"), "W_enc", "6,10")
        self.assertEqual(ok.returncode, 0, ok.stderr)
        self.assertEqual(ok.stdout.strip(), "60")
        self.expect_error(probe("require", self.path("st_f32.safetensors"), "W_enc", "10,6"), "st_f32.safetensors",
                          ["W_enc", "expected shape [10, 6], found [6, 10]"])
        self.expect_error(probe("require", self.path("pt_nested.pt"), "W_enc", "4,6"), "pt_nested.pt",
                          ['no tensor "W_enc"', "state_dict.W_enc"])

    def test_bad_files_fail_with_one_line_naming_the_file(self):
        for case in (c for c in self.cases if c.kind == "bad"):
            with self.subTest(case.name):
                self.expect_error(probe("describe", self.path(case.name)), case.name, case.fragments)
        self.expect_error(probe("describe", self.path("absent.safetensors")), "absent.safetensors", ["cannot open"])
        self.expect_error(probe("describe", self.dir), os.path.basename(self.dir), ["not a regular file"])

    def test_hostile_pickles_are_refused_and_run_nothing(self):
        hostile = [c for c in self.cases if c.hostile]
        self.assertGreaterEqual(len(hostile), 10)
        dangerous = {"posix system", "os system", "builtins eval", "__builtin__ eval", "builtins exec",
                     "subprocess Popen", "commands Popen", "__builtin__ getattr"}
        armed = 0
        for case in hostile:
            with self.subTest(case.name):
                # The fixture really asks for the callable (so the refusal is what stops it).
                import zipfile
                with zipfile.ZipFile(self.path(case.name)) as z:
                    pickle = z.read(next(n for n in z.namelist() if n.endswith("/data.pkl")))
                ops = list(pickletools.genops(pickle))
                strings = [str(arg) for _, arg, _ in ops if isinstance(arg, str)]
                globals_ = [arg for op, arg, _ in ops if op.name in ("GLOBAL", "INST")]
                globals_ += [f"{a} {b}" for a, b in zip(strings, strings[1:])]
                if dangerous & set(globals_):
                    armed += 1
                for command in ("describe", "tree"):
                    self.expect_error(probe(command, self.path(case.name)), case.name, case.fragments)
                self.assertFalse(os.path.exists(os.path.join(self.marker_dir, fixtures.MARKER)), "a payload ran")
        self.assertGreaterEqual(armed, 8)

    def test_random_corruptions_never_crash(self):
        outcomes = {"ok": 0, "error": 0}
        for case in (c for c in self.cases if c.kind == "either"):
            with self.subTest(case.name):
                r = probe("describe", self.path(case.name))
                if r.returncode == 0:
                    outcomes["ok"] += 1
                else:
                    self.expect_error(r, case.name)
                    outcomes["error"] += 1
        self.assertGreater(outcomes["error"], 0)


if __name__ == "__main__":
    unittest.main(argv=[sys.argv[0]], verbosity=2)
