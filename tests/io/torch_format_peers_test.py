"""tools/torch_format.py (torch.save's format written from numpy, which the default tests use
instead of torch) against the real torch (PyPI, in the peers virtualenv), both ways:

- every kind of object the writer supports (each dtype; views with offsets and strides, several
  sharing one storage, broadcasts with stride 0, 0-d and empty tensors; the same tensor twice;
  Parameters and tensors that require grad; dict, OrderedDict with a state_dict's _metadata,
  list, tuple, int, float, str, bool, None, nested; pickle protocols 2 to 5; the legacy format)
  loads through torch.load (weights_only True and False, and mmap) as the object torch builds
  itself from the same numpy arrays (or is refused as torch's own file is): types, dtypes, shapes, strides, storage offsets,
  which tensors share a storage, requires_grad, and elements bit for bit;
- the file is torch.save's byte for byte (records, their order and contents, data alignment,
  zip headers, serialization id);
- coact reads what torch.save writes of those objects (tensor_probe describe, tree, ints,
  convert) exactly as it reads torch_format's file, and to the numpy values.

Usage: torch_format_peers_test.py path/to/tensor_probe   (re-runs itself in tools/peers-venv.sh's python)
"""
import collections
import io
import json
import os
import pickle
import shutil
import struct
import subprocess
import sys
import tempfile
import unittest
import zipfile

SOURCE = os.environ.get("COACT_SOURCE_DIR", os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
if os.environ.get("COACT_PEERS_PYTHON") is None:
    python = subprocess.run([os.path.join(SOURCE, "tools", "peers-venv.sh"), "torch"], cwd=SOURCE,
                            check=True, capture_output=True, text=True).stdout.strip()
    os.environ["COACT_PEERS_PYTHON"] = python
    os.execv(python, [python, os.path.abspath(__file__), *sys.argv[1:]])

import warnings  # noqa: E402

import numpy as np  # noqa: E402
import torch  # noqa: E402

# torch.load warns on every protocol above 2; the test loads those on purpose.
warnings.filterwarnings("ignore", message="Detected pickle protocol")

sys.path.insert(0, os.path.join(SOURCE, "tools"))
import make_interchange_fixtures as fixtures  # noqa: E402
import torch_format  # noqa: E402

PROBE = sys.argv[1]
TORCH_DTYPES = {"float32": torch.float32, "float16": torch.float16, "bfloat16": torch.bfloat16,
                "float64": torch.float64, "int64": torch.int64, "int32": torch.int32, "int16": torch.int16,
                "int8": torch.int8, "uint8": torch.uint8, "bool": torch.bool}


# ---- the same objects built two ways --------------------------------------------------------

class FormatMaker:
    """Builds objects of tools/torch_format.py."""

    def storage(self, array, dtype=None):
        return torch_format.Storage(array, dtype)

    def view(self, storage, array, requires_grad=False):
        return storage.view(array, requires_grad)

    def tensor(self, array, dtype=None, requires_grad=False):
        return torch_format.tensor(array, dtype, requires_grad)

    def parameter(self, t, requires_grad=True):
        return torch_format.Parameter(t, requires_grad)


class TorchMaker:
    """Builds the same objects in torch: a storage is a tensor over a copy of the array, a view
    is that tensor's as_strided with torch_format's offset and strides."""

    def storage(self, array, dtype=None):
        layout = torch_format.Storage(array, dtype)
        flat = torch.from_numpy(layout.elements.copy().view(np.int16) if layout.dtype == "bfloat16"
                                else layout.elements.copy())
        return layout, flat.view(torch.bfloat16) if layout.dtype == "bfloat16" else flat

    def view(self, storage, array, requires_grad=False):
        layout, flat = storage
        t = layout.view(array)
        out = flat.as_strided(t.shape, t.stride, t.offset)
        return out.requires_grad_() if requires_grad else out

    def tensor(self, array, dtype=None, requires_grad=False):
        storage = self.storage(np.array(array, order="C"), dtype)  # a copy, 0-d stays 0-d
        return self.view(storage, storage[0].base, requires_grad)

    def parameter(self, t, requires_grad=True):
        return torch.nn.Parameter(t, requires_grad=requires_grad)


def specials(dtype):
    """Values that test the bits: signed zeros, infinities, NaN, extremes, subnormals (those
    coact can convert to float32; the float64 extremes are in the torch-only case)."""
    if dtype in ("float32", "float16"):
        info = np.finfo(dtype)
        return np.array([0.0, -0.0, np.inf, -np.inf, np.nan, info.max, info.min, info.tiny, info.smallest_subnormal,
                         1.0 / 3.0, -2.5], dtype)
    if dtype == "float64":
        return np.array([0.0, -0.0, np.inf, -np.inf, np.nan, 1e38, -1e38, 1e-40, 1.0 / 3.0, -2.5], dtype)
    if dtype == "bfloat16":  # bit patterns: +-0, +-inf, NaN, max, min normal, a subnormal, 1/3, -2.5
        return np.array([0x0000, 0x8000, 0x7F80, 0xFF80, 0x7FC0, 0x7F7F, 0x0080, 0x0001, 0x3EAB, 0xC020], np.uint16)
    if dtype == "bool":
        return np.array([True, False, True])
    info = np.iinfo(dtype)
    return np.array([info.min, -1 if info.min < 0 else 1, 0, info.max], dtype)


# Cases whose values coact does not give back, by design: it refuses integers beyond 64 bits
# (the float64 extremes beyond float32 ride along), and a bare tensor has no name to convert to
# safetensors under. coact must still treat torch's file and torch_format's alike.
TORCH_ONLY = ("exotic", "lone_tensor")


def cases(make):
    """{name: (object, pickle protocol)} built by `make`; the same values either way."""
    rng = np.random.default_rng(5)
    out = {}
    out["dtypes"] = (collections.OrderedDict(
        (dtype, make.tensor(specials(dtype), dtype if dtype == "bfloat16" else None)) for dtype in torch_format.DTYPES), 2)

    big_values = np.arange(60, dtype=np.float32).reshape(3, 4, 5)
    big = make.storage(big_values)
    halves = (big_values / 7).astype(np.float16)
    half = make.storage(halves)
    row = rng.standard_normal((1, 4)).astype(np.float32)
    col = make.storage(row)
    empty_values = np.zeros((0, 3), np.int64)
    tied = make.view(big, big_values[2])
    bf16_bits = specials("bfloat16")
    out["views"] = ({
        "whole": make.view(big, big_values), "slice": make.view(big, big_values[:, 1:3, :]),
        "transpose": make.view(big, big_values[0].T), "step": make.view(big, big_values[:, :, ::2]),
        "permute": make.view(big, big_values.transpose(2, 0, 1)), "offset": make.view(big, big_values.reshape(-1)[7:19]),
        "scalar": make.view(big, big_values[1, 2, 3, ...]), "empty_view": make.view(big, big_values[:, :0]),
        "expand": make.view(col, np.broadcast_to(row, (3, 4))), "expand_0d": make.view(col, np.broadcast_to(row[0, 2, ...],
                                                                                                           (2, 3))),
        "half_a": make.view(half, halves[1, :, 1:4]), "half_b": make.view(half, halves[2:, ::2, 1:]),
        "empty_storage": make.tensor(empty_values), "scalar_own": make.tensor(np.array(-3.5, np.float64)),
        "tied": [tied, tied], "bf16_view": make.view(make.storage(bf16_bits, "bfloat16"), bf16_bits[1::3]),
    }, 2)

    params = collections.OrderedDict()
    params["weight"] = make.parameter(make.tensor(rng.standard_normal((3, 2)).astype(np.float32)))
    params["frozen"] = make.parameter(make.tensor(rng.standard_normal(4).astype(np.float32)), requires_grad=False)
    params["leaf"] = make.tensor(rng.standard_normal(5), requires_grad=True)
    params["buffer"] = make.tensor(np.arange(3, dtype=np.int64))
    params._metadata = collections.OrderedDict([("", {"version": 1}), ("layer", {"version": 2})])
    out["state_dict"] = (params, 2)

    shared = make.tensor(rng.standard_normal((2, 3)).astype(np.float32))
    out["containers"] = ({
        "ints": [0, 1, -1, 255, 256, 65535, 65536, 2 ** 31 - 1, -(2 ** 31), 2 ** 40, -(2 ** 63), 2 ** 63 - 1],
        "floats": (0.0, -0.0, 1e-300, 3.25), "strings": ["", "a", "ünïcode ✓", "x" * 300],
        "flags": (True, False, None), 7: shared, "nested": {"a": [shared, (shared, {"b": collections.OrderedDict(
            c=make.tensor(np.ones(2, np.float16)))})], "empty": {}, "empty_list": [], "empty_tuple": ()},
    }, 2)
    info = np.finfo(np.float64)
    out["exotic"] = ({"big_ints": [2 ** 64, -(2 ** 64) - 1, 10 ** 30], "floats": [float("inf"), float("-inf")],
                      "f64": make.tensor(np.array([info.max, info.min, info.tiny, info.smallest_subnormal]))}, 2)
    out["top_list"] = ([make.tensor(np.arange(4, dtype=np.int32)), 3, "s"], 2)
    out["top_tuple"] = ((make.tensor(np.arange(4, dtype=np.uint8)), None), 2)
    out["lone_tensor"] = (make.tensor(rng.standard_normal((2, 2)).astype(np.float32)), 2)
    # More storages than one batch of pickled dict items (1000) and than several of the
    # writer's hash-table sizes (for the serialization id).
    out["many"] = ({f"layer.{i}": make.view(big, big_values.reshape(-1)[i % 60:]) if i % 3 else
                    make.tensor(np.array([i, -i], np.int16)) for i in range(1501)}, 2)
    for protocol in (3, 4, 5):
        out[f"protocol{protocol}"] = (collections.OrderedDict(
            (f"blocks.{i}.W", make.view(big, big_values[i])) for i in range(3)), protocol)
    return out


# ---- comparing loaded objects --------------------------------------------------------------

def element_bytes(t):
    t = t.detach()
    if t.dtype == torch.bfloat16:
        t = t.view(torch.int16)
    return t.numpy().tobytes()


def assert_same(test, got, want, where="object", seen=None):
    """got and want are the same object: structure, tensors bit for bit, and the same pattern of
    shared storages and repeated objects."""
    seen = {} if seen is None else seen
    test.assertIs(type(got), type(want), where)
    if isinstance(want, torch.Tensor):
        test.assertEqual((got.dtype, tuple(got.shape), got.stride(), got.storage_offset(), got.requires_grad),
                         (want.dtype, tuple(want.shape), want.stride(), want.storage_offset(), want.requires_grad), where)
        test.assertEqual(got.untyped_storage().nbytes(), want.untyped_storage().nbytes(), f"{where}: storage size")
        test.assertEqual(element_bytes(got), element_bytes(want), where)
        got_storage, want_storage = got.untyped_storage().data_ptr(), want.untyped_storage().data_ptr()
        if want.untyped_storage().nbytes() == 0:  # empty storages have no address to tell apart
            got_storage, want_storage = ("empty", id(got)), ("empty", id(want))
        test.assertEqual(seen.setdefault(("storage", got_storage), want_storage), want_storage,
                         f"{where}: shares a storage it should not")
        test.assertEqual(seen.setdefault(("storage'", want_storage), got_storage), got_storage,
                         f"{where}: does not share the storage it should")
    if isinstance(want, (torch.Tensor, list, dict, tuple)) and (not isinstance(want, tuple) or want):
        test.assertEqual(seen.setdefault(("object", id(got)), id(want)), id(want), f"{where}: one object twice")
        test.assertEqual(seen.setdefault(("object'", id(want)), id(got)), id(got), f"{where}: two objects")
    if isinstance(want, dict):
        test.assertEqual(list(got), list(want), where)
        test.assertEqual(getattr(got, "_metadata", None), getattr(want, "_metadata", None), f"{where}: _metadata")
        for key in want:
            assert_same(test, got[key], want[key], f"{where}[{key!r}]", seen)
    elif isinstance(want, (list, tuple)):
        test.assertEqual(len(got), len(want), where)
        for i, (g, w) in enumerate(zip(got, want)):
            assert_same(test, g, w, f"{where}[{i}]", seen)
    elif not isinstance(want, torch.Tensor):
        test.assertEqual(repr(got), repr(want), where)  # repr tells -0.0 from 0.0


def probe(*args):
    return subprocess.run([PROBE, *args], capture_output=True, text=True, timeout=300)


class TorchFormatPeers(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.mkdtemp(prefix="coact_torch_format_")
        cls.addClassCleanup(shutil.rmtree, cls.dir, True)
        cls.ours, cls.theirs = cases(FormatMaker()), cases(TorchMaker())
        print(f"torch {torch.__version__}", file=sys.stderr)

    def path(self, name):
        return os.path.join(self.dir, name)

    def write_both(self, name):
        """The case saved by torch_format and by torch.save, to files of the same name in two
        folders (the archive prefix is the file name)."""
        obj, protocol = self.ours[name]
        ours, theirs = self.path(f"ours/{name}.pt"), self.path(f"theirs/{name}.pt")
        os.makedirs(os.path.dirname(ours), exist_ok=True)
        os.makedirs(os.path.dirname(theirs), exist_ok=True)
        torch_format.save(obj, ours, pickle_protocol=protocol)
        torch.save(self.theirs[name][0], theirs, pickle_protocol=protocol)
        return ours, theirs

    def test_torch_loads_our_files_as_its_own_objects(self):
        for name in self.ours:
            with self.subTest(name):
                ours, theirs = self.write_both(name)
                want = self.theirs[name][0]
                for kwargs in ({"weights_only": True}, {"weights_only": False}, {"weights_only": True, "mmap": True}):
                    try:
                        own = torch.load(theirs, **kwargs)
                    except pickle.UnpicklingError as refusal:
                        # torch's weights-only unpickler takes no FRAME (protocol >= 4): it must
                        # refuse our file as it refuses its own.
                        with self.assertRaises(pickle.UnpicklingError) as ours_refused:
                            torch.load(ours, **kwargs)
                        self.assertEqual(str(ours_refused.exception), str(refusal))
                        continue
                    assert_same(self, own, want, f"{name} torch's own {kwargs}")
                    assert_same(self, torch.load(ours, **kwargs), want, f"{name} {kwargs}")

    def test_our_files_are_torch_saves_byte_for_byte(self):
        for name in self.ours:
            with self.subTest(name):
                ours, theirs = self.write_both(name)
                with open(ours, "rb") as f, open(theirs, "rb") as g:
                    a, b = f.read(), g.read()
                if a != b:  # name the first record that differs
                    with zipfile.ZipFile(io.BytesIO(a)) as za, zipfile.ZipFile(io.BytesIO(b)) as zb:
                        self.assertEqual(za.namelist(), zb.namelist())
                        for record in zb.namelist():
                            self.assertEqual(za.read(record), zb.read(record), record)
                self.assertEqual(a, b, "the zip layout differs")

    def test_legacy_format(self):
        for name in ("dtypes", "views", "state_dict"):
            with self.subTest(name):
                obj, _ = self.ours[name]
                data = torch_format.legacy_save_bytes(obj)
                buffer = io.BytesIO()
                torch.save(self.theirs[name][0], buffer, _use_new_zipfile_serialization=False)
                self.assertEqual(data[:2], buffer.getvalue()[:2])
                for weights_only in (True, False):
                    assert_same(self, torch.load(io.BytesIO(data), weights_only=weights_only), self.theirs[name][0],
                                f"legacy {name}")
                ours, theirs = self.path(f"legacy_ours_{name}.pt"), self.path(f"legacy_theirs_{name}.pt")
                for path, content in ((ours, data), (theirs, buffer.getvalue())):
                    with open(path, "wb") as f:
                        f.write(content)
                    r = probe("describe", path)
                    self.assertEqual(r.returncode, 1, r.stderr)
                    self.assertIn("legacy", r.stderr)

    def coact_reads(self, path):
        """{command: (exit status, output with the file's folder blanked)} of describe, tree and
        convert, and the converted safetensors bytes."""
        folder = os.path.dirname(path)
        converted = path + ".safetensors"
        out = {}
        for command, args in (("describe", [path]), ("tree", [path]), ("convert", [path, converted])):
            r = probe(command, *args)
            out[command] = (r.returncode, (r.stdout + r.stderr).replace(folder, "DIR"))
        if out["convert"][0] == 0:
            with open(converted, "rb") as f:
                out["converted"] = f.read()
        return out

    def check_values(self, name, path, read):
        """coact's reading of the case is torch_format's numpy values; returns the tensor count."""
        listing = json.loads(read["describe"][1])["tensors"]
        self.assertGreater(len(listing), 0)
        converted = read_safetensors(read["converted"])
        for entry in listing:
            expected = expected_value(self.ours[name][0], entry["name"])
            self.assertIsNotNone(expected, entry["name"])
            self.assertEqual(entry["dtype"], torch_format.DTYPES[expected.dtype][2], entry["name"])
            want = fixtures.as_float32(expected)
            self.assertEqual(list(want.shape), entry["shape"])
            self.assertEqual(converted[entry["name"]].tobytes(), want.tobytes(), f"{name}: {entry['name']}")
            if expected.dtype not in ("float32", "float16", "bfloat16", "float64"):
                r = probe("ints", path, entry["name"])
                self.assertEqual(r.returncode, 0, r.stderr)
                self.assertEqual(json.loads(r.stdout), [int(v) for v in np.array(expected.numpy()).reshape(-1)])
        return len(listing)

    def test_coact_reads_torch_save_as_it_reads_torch_format(self):
        read = 0
        for name in self.ours:
            with self.subTest(name):
                ours, theirs = self.write_both(name)
                got = self.coact_reads(theirs)
                self.assertEqual(got, self.coact_reads(ours))
                if name in TORCH_ONLY:
                    continue
                for command in ("describe", "tree", "convert"):
                    self.assertEqual(got[command][0], 0, got[command][1])
                read += self.check_values(name, theirs, got)
        self.assertGreater(read, 40)


def expected_value(obj, dotted):
    """The torch_format tensor coact names `dotted` (keys and list indices joined by dots)."""
    if isinstance(obj, (torch_format.Tensor, torch_format.Parameter)):
        return None if dotted else obj
    if not isinstance(obj, (dict, list, tuple)):
        return None
    for key in (obj.keys() if isinstance(obj, dict) else range(len(obj))):
        name = str(key)
        if dotted == name or dotted.startswith(name + "."):
            found = expected_value(obj[key], dotted[len(name) + 1:])
            if found is not None:
                return found
    return None


def read_safetensors(data):
    (n,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8:8 + n])
    header.pop("__metadata__", None)
    out = {}
    for name, spec in header.items():
        begin, end = spec["data_offsets"]
        out[name] = np.frombuffer(data[8 + n + begin:8 + n + end], np.float32).reshape(spec["shape"])
    return out


if __name__ == "__main__":
    unittest.main(argv=[sys.argv[0]], verbosity=2)
