#!/usr/bin/env python3
"""Generates interchange fixtures: safetensors files (written by a small pure-Python writer that
follows the format spec, not by the `safetensors` package) and PyTorch .pt checkpoints (written
by tools/torch_format.py, torch.save's format without torch; the peers test
tests/io/torch_format_peers_test.py proves it against the real torch), good ones with the
float32 values coact must read, and malformed or hostile ones coact must refuse with a one-line
error. Nothing is downloaded.

    tools/make_interchange_fixtures.py OUTDIR     writes the files, OUTDIR/manifest.json and
                                                  OUTDIR/expected.npz (the expected arrays)

tests/io/interchange_test.py imports make_fixtures() and checks coact against every case; the
bad-input corpus (tests/corpus/make_corpus.py) reuses the malformed ones.

Needs numpy only (Debian: python3-numpy).
"""
import collections
import io
import json
import os
import struct
import sys
import zipfile

import numpy as np

import torch_format

MARKER = "INTERCHANGE_PAYLOAD_RAN"  # the file a hostile payload would create if it ever ran


class Case:
    """One fixture file and what reading it must give.

    kind: "good"   -> tensors: list of (name, dtype name, expected float32 array); ints: name -> int64 array
          "bad"    -> fragments: substrings of the one-line error (besides the file name)
          "either" -> a random corruption: success or a clean one-line error, never a crash
    """

    def __init__(self, name, kind, tensors=None, ints=None, fragments=(), tree=None, hostile=False):
        self.name, self.kind = name, kind
        self.tensors = tensors or []
        self.ints = ints or {}
        self.fragments = list(fragments)
        self.tree = tree
        self.hostile = hostile


# ---- safetensors: a pure-Python writer from the spec --------------------------------------

ST_DTYPES = {"F64": np.float64, "F32": np.float32, "F16": np.float16, "I64": np.int64, "I32": np.int32,
             "I16": np.int16, "I8": np.int8, "U8": np.uint8, "BOOL": np.bool_}


def bf16_bits(values):
    """float32 -> bfloat16 bit patterns, rounding to nearest even (NaN stays NaN)."""
    bits = np.asarray(values, np.float32).view(np.uint32).astype(np.uint64)
    rounded = (bits + 0x7FFF + ((bits >> 16) & 1)) >> 16
    nan = np.isnan(np.asarray(values, np.float32))
    rounded[nan] = (bits[nan] >> 16) | 0x40
    return rounded.astype(np.uint16)


def bf16_to_f32(bits):
    return (bits.astype(np.uint32) << 16).view(np.float32)


def st_bytes(tensors, metadata=None, align=True, header_override=None, order=None):
    """tensors: list of (name, dtype name, shape, raw bytes). Returns the file image."""
    header = {}
    if metadata is not None:
        header["__metadata__"] = metadata
    offsets, chunks, offset = {}, [], 0
    for index in order or range(len(tensors)):  # buffer order may differ from header order
        raw = tensors[index][3]
        offsets[index] = [offset, offset + len(raw)]
        offset += len(raw)
        chunks.append(raw)
    for index, (name, dtype, shape, raw) in enumerate(tensors):
        header[name] = {"dtype": dtype, "shape": list(shape), "data_offsets": offsets[index]}
    text = header_override if header_override is not None else json.dumps(header).encode()
    if align:
        text += b" " * ((8 - len(text) % 8) % 8)
    return struct.pack("<Q", len(text)) + text + b"".join(chunks)


def st_tensor(name, array, dtype=None):
    array = np.asarray(array)  # tobytes() is C order; keep 0-d arrays 0-d
    if dtype == "BF16":
        return (name, "BF16", array.shape, bf16_bits(array).tobytes())
    dtype = dtype or next(k for k, v in ST_DTYPES.items() if np.dtype(v) == array.dtype)
    return (name, dtype, array.shape, array.astype(ST_DTYPES[dtype]).tobytes())


def header_only(entries, buffer_bytes, metadata=None):
    """A file whose header is `entries` (name -> dict) verbatim, followed by buffer_bytes zeros."""
    header = dict(entries)
    if metadata is not None:
        header = {"__metadata__": metadata, **header}
    return st_bytes([], header_override=json.dumps(header).encode()) + bytes(buffer_bytes)


def write(outdir, name, data):
    with open(os.path.join(outdir, name), "wb") as f:
        f.write(data)


def safetensors_cases(outdir, rng):
    cases = []
    specials = np.array([0.0, -0.0, np.inf, -np.inf, np.nan, 1e-45, 3.4e38, -1.5], np.float32)
    f32 = {
        "W_enc": rng.standard_normal((6, 10)).astype(np.float32),
        "W_dec": rng.standard_normal((10, 6)).astype(np.float32),
        "b_enc": rng.standard_normal(10).astype(np.float32),
        "b_dec": rng.standard_normal(6).astype(np.float32),
        "scalar": np.array(2.5, np.float32),
        "empty": np.zeros((0, 3), np.float32),
        "specials": specials,
        "blocks.0.ünïcode.weight": rng.standard_normal((2, 3, 4)).astype(np.float32),
    }
    tensors = [st_tensor(k, v) for k, v in f32.items()]
    write(outdir, "st_f32.safetensors", st_bytes(tensors, metadata={"format": "pt", "note": "ü"}))
    cases.append(Case("st_f32.safetensors", "good", [(k, "F32", v) for k, v in f32.items()]))

    # Every integer and float dtype the reader converts, in header order unlike buffer order,
    # with an unpadded (unaligned) header.
    base = rng.standard_normal((3, 5)).astype(np.float32) * 100
    ints = {"I64": np.array([-(2 ** 40), 0, 7, 2 ** 62], np.int64), "I32": np.array([-5, 2 ** 31 - 1], np.int32),
            "I16": np.array([-300, 300], np.int16), "I8": np.array([-128, 127], np.int8),
            "U8": np.array([0, 255], np.uint8), "BOOL": np.array([True, False, True])}
    dtype_tensors = [st_tensor("f64", base.astype(np.float64) / 3, "F64"), st_tensor("f16", base, "F16"),
                     st_tensor("bf16", base, "BF16")]
    expected = [("f64", "F64", (base.astype(np.float64) / 3).astype(np.float32)),
                ("f16", "F16", base.astype(np.float16).astype(np.float32)),
                ("bf16", "BF16", bf16_to_f32(bf16_bits(base)))]
    for dtype, values in ints.items():
        dtype_tensors.append(st_tensor(dtype.lower(), values, dtype))
        expected.append((dtype.lower(), dtype, values.astype(np.float32)))
    order = list(reversed(range(len(dtype_tensors))))
    write(outdir, "st_dtypes.safetensors", st_bytes(dtype_tensors, align=False, order=order))
    cases.append(Case("st_dtypes.safetensors", "good", expected,
                      ints={k.lower(): v.astype(np.int64) for k, v in ints.items()}))

    write(outdir, "st_empty_file_list.safetensors", st_bytes([]))
    cases.append(Case("st_empty_file_list.safetensors", "good", []))

    # Malformed files.
    good = st_bytes([st_tensor("a", np.arange(6, dtype=np.float32).reshape(2, 3)),
                     st_tensor("b", np.ones(4, np.float32))])
    bad = {
        "st_empty.safetensors": (b"", ["too short"]),
        "st_short.safetensors": (b"\x10\x00\x00", ["too short"]),
        "st_header_too_long.safetensors": (struct.pack("<Q", 4096) + b"{}", ["header length 4096", "larger than"]),
        "st_header_absurd.safetensors": (struct.pack("<Q", 2 ** 63) + b"{}", ["exceeds the limit"]),
        "st_truncated.safetensors": (good[:-5], ["beyond the data buffer"]),
        "st_trailing.safetensors": (good + b"\0" * 8, ["trailing data"]),
        "st_bad_json.safetensors": (st_bytes([], header_override=b'{"a": {"dtype": "F32",'), ["safetensors header", "byte"]),
        "st_not_object.safetensors": (st_bytes([], header_override=b"[1, 2]"), ["expected a JSON object"]),
        "st_bad_utf8.safetensors": (st_bytes([], header_override=b'{"\xff": 1}'), ["UTF-8"]),
        "st_deep.safetensors": (st_bytes([], header_override=b"[" * 100 + b"]" * 100), ["nesting"]),
        "st_duplicate.safetensors": (st_bytes([], header_override=(
            b'{"w": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]},'
            b' "w": {"dtype": "F32", "shape": [1], "data_offsets": [4, 8]}}')) + bytes(8), ["duplicate key", '"w"']),
        "st_unknown_dtype.safetensors": (header_only({"w": {"dtype": "F7", "shape": [2], "data_offsets": [0, 8]}}, 8),
                                         ["tensor w", "unknown dtype", "F7"]),
        "st_wrong_bytes.safetensors": (header_only({"w": {"dtype": "F32", "shape": [2, 3], "data_offsets": [0, 20]}}, 20),
                                       ["tensor w", "hold 20 bytes", "need 24"]),
        "st_overlap.safetensors": (header_only({"a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]},
                                                "b": {"dtype": "F32", "shape": [2], "data_offsets": [4, 12]}}, 12),
                                   ["overlap"]),
        "st_hole.safetensors": (header_only({"a": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]},
                                             "b": {"dtype": "F32", "shape": [1], "data_offsets": [8, 12]}}, 12),
                                ["belong to no tensor"]),
        "st_beyond.safetensors": (header_only({"a": {"dtype": "F32", "shape": [4], "data_offsets": [0, 16]}}, 8),
                                  ["tensor a", "beyond the data buffer"]),
        "st_reversed_offsets.safetensors": (header_only({"a": {"dtype": "F32", "shape": [0], "data_offsets": [8, 4]}}, 8),
                                            ["end before they begin"]),
        "st_negative_dim.safetensors": (header_only({"a": {"dtype": "F32", "shape": [-1], "data_offsets": [0, 4]}}, 4),
                                        ["non-negative"]),
        "st_overflow_shape.safetensors": (header_only({"a": {"dtype": "F32", "shape": [2 ** 62, 2 ** 62],
                                                             "data_offsets": [0, 4]}}, 4), ["too large"]),
        "st_three_offsets.safetensors": (header_only({"a": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4, 8]}}, 4),
                                         ["data_offsets"]),
        "st_missing_dtype.safetensors": (header_only({"a": {"shape": [1], "data_offsets": [0, 4]}}, 4),
                                         ["missing key", "dtype"]),
        "st_metadata_number.safetensors": (header_only({}, 0, metadata={"n": 3}), ["__metadata__", "string"]),
        # A name with control characters must not break the one-line message.
        "st_newline_name.safetensors": (header_only({"evil\nname\x1b[2J": {"dtype": "F7", "shape": [1],
                                                                           "data_offsets": [0, 4]}}, 4),
                                        ["unknown dtype", "evil\\nname"]),
    }
    for name, (data, fragments) in bad.items():
        write(outdir, name, data)
        cases.append(Case(name, "bad", fragments=fragments))

    # Random bit flips anywhere in a valid file: a clean error or a successful read.
    for i in range(12):
        data = bytearray(good)
        bit = int(rng.integers(0, 8 * len(data)))
        data[bit // 8] ^= 1 << (bit % 8)
        name = f"st_bitflip_{i}.safetensors"
        write(outdir, name, bytes(data))
        cases.append(Case(name, "either"))
    return cases


# ---- .pt: torch.save checkpoints, written by tools/torch_format.py -------------------------

def zip_records(data):
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        return [(i.filename, z.read(i.filename)) for i in z.infolist()]


def make_zip(records, compression=zipfile.ZIP_STORED, streamed=False):
    """A zip of (name, bytes) records; streamed=True writes data descriptors as a pipe would."""
    buffer = io.BytesIO()

    class Unseekable(io.RawIOBase):
        def writable(self):
            return True

        def write(self, b):
            return buffer.write(b)

    target = Unseekable() if streamed else buffer
    with zipfile.ZipFile(target, "w", compression=compression) as z:
        for name, content in records:
            z.writestr(name, content)
    return buffer.getvalue()


def replace_record(data, name_suffix, new_content=None, drop=False):
    records = []
    for name, content in zip_records(data):
        if name.endswith(name_suffix):
            if drop:
                continue
            content = new_content
        records.append((name, content))
    return make_zip(records)


class Evil:
    """A payload that would run `command` if anything unpickled it with the real unpickler."""

    def __init__(self, func, args):
        self.func, self.args = func, args

    def __reduce__(self):
        return self.func, self.args


class Plain:
    def __init__(self):
        self.value = 1


def tree_of(obj):
    """What `tensor_probe tree` prints for obj: tensors as {"tensor": dtype, "shape": [...]}."""
    if isinstance(obj, (torch_format.Tensor, torch_format.Parameter)):
        return {"tensor": torch_format.DTYPES[obj.dtype][2], "shape": list(obj.shape)}
    if isinstance(obj, dict):
        return {str(k): tree_of(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [tree_of(v) for v in obj]
    return obj


def as_float32(t):
    """A tensor's elements converted to float32 as torch's .to(torch.float32) does."""
    values = np.array(t.numpy())  # a contiguous copy, 0-d stays 0-d
    return bf16_to_f32(values) if t.dtype == "bfloat16" else values.astype(np.float32)


def expected_tensors(named):
    """(name, tensor) -> (name, dtype name, float32 array) as coact must read it."""
    return [(name, tree_of(t)["tensor"], as_float32(t)) for name, t in named]


def torch_cases(outdir, rng, marker_dir):
    values = np.random.default_rng(0)  # tensor contents; rng keeps choosing the corruptions
    cases = []

    def randn(*shape):
        return torch_format.tensor(values.standard_normal(shape).astype(np.float32))

    def good(name, obj, named, ints=None, tree=None, **save_kwargs):
        write(outdir, name, torch_format.save_bytes(obj, **save_kwargs))
        cases.append(Case(name, "good", expected_tensors(named), ints=ints, tree=tree))

    # The state_dict of nn.Sequential(Linear(4, 8), BatchNorm1d(8), Linear(8, 3)) after a
    # training step: an OrderedDict with its int64 batch counter and the _metadata attribute
    # (module versions) that torch pickles as the dict's state.
    state = collections.OrderedDict()
    for name, shape in (("0.weight", (8, 4)), ("0.bias", (8,)), ("1.weight", (8,)), ("1.bias", (8,)),
                        ("1.running_mean", (8,)), ("1.running_var", (8,))):
        state[name] = randn(*shape)
    state["1.num_batches_tracked"] = torch_format.tensor(np.array(1, np.int64))
    state["2.weight"], state["2.bias"] = randn(3, 8), randn(3)
    state._metadata = collections.OrderedDict([("", {"version": 1}), ("0", {"version": 1}), ("1", {"version": 2}),
                                               ("2", {"version": 1})])
    good("pt_module_state_dict.pt", state, list(state.items()), ints={"1.num_batches_tracked": np.array([1], np.int64)})

    base = values.standard_normal((6, 8)).astype(np.float32)
    tensor = torch_format.tensor
    dtypes = collections.OrderedDict(
        f32=tensor(base), f16=tensor(base.astype(np.float16)), bf16=tensor(bf16_bits(base), "bfloat16"),
        f64=tensor(base.astype(np.float64) / 3), i64=tensor(np.array([-(2 ** 40), 0, 2 ** 62], np.int64)),
        i32=tensor(np.array([-5, 2 ** 31 - 1], np.int32)), i16=tensor(np.array([-300, 300], np.int16)),
        i8=tensor(np.array([-128, 127], np.int8)), u8=tensor(np.array([0, 255], np.uint8)),
        flags=tensor(np.array([True, False])))
    ints = {k: v.numpy().astype(np.int64) for k, v in dtypes.items() if k in ("i64", "i32", "i16", "i8", "u8", "flags")}
    good("pt_dtypes.pt", dtypes, list(dtypes.items()), ints=ints)

    # Views share storages: slices, transposes, steps, broadcasts, offsets, scalars, empties.
    big_values = np.arange(60, dtype=np.float32).reshape(3, 4, 5)
    big = torch_format.Storage(big_values)
    halves = big_values.astype(np.float16)
    row = values.standard_normal((1, 4)).astype(np.float32)
    views = {"slice": big.view(big_values[:, 1:3, :]), "transpose": big.view(big_values[0].T),
             "step": big.view(big_values[:, :, ::2]), "permute": big.view(big_values.transpose(2, 0, 1)),
             "expand": torch_format.Storage(row).view(np.broadcast_to(row, (3, 4))),
             "offset": big.view(big_values.reshape(-1)[7:19]), "scalar": big.view(big_values[1, 2, 3, ...]),
             "empty": big.view(big_values[:, :0]), "tied_a": big.view(big_values[2]), "tied_b": big.view(big_values[2]),
             "half_view": torch_format.Storage(halves).view(halves[1, :, 1:4])}
    good("pt_views.pt", views, list(views.items()))

    nested = {"state_dict": collections.OrderedDict(W_enc=randn(4, 6), b_enc=tensor(np.zeros(6, np.float32))),
              "cfg": {"d_in": 4, "lr": 1e-3, "name": "gelu-1l", "flag": True, "none": None,
                      "list": [1, 2.5, "a"], "tuple": (1, 2)},
              "layers": [randn(2), randn(3)], "step": 10,
              7: tensor(np.ones(1, np.float32)), "param": torch_format.Parameter(randn(2, 2))}
    named = [("state_dict.W_enc", nested["state_dict"]["W_enc"]), ("state_dict.b_enc", nested["state_dict"]["b_enc"]),
             ("layers.0", nested["layers"][0]), ("layers.1", nested["layers"][1]), ("7", nested[7]),
             ("param", nested["param"])]
    good("pt_nested.pt", nested, named, tree=tree_of(nested))

    for protocol in (4, 5):
        sd = collections.OrderedDict(("blocks.%d.mlp.W_in" % i, randn(3, 5)) for i in range(3))
        good(f"pt_protocol{protocol}.pt", sd, list(sd.items()), pickle_protocol=protocol)

    # The same checkpoint re-zipped with DEFLATE, and written as a stream (data descriptors).
    sd = collections.OrderedDict(W_dec=randn(5, 3), b_dec=randn(3), unused=tensor(np.zeros((0, 3), np.float32)))
    raw = torch_format.save_bytes(sd)
    write(outdir, "pt_deflated.pt", make_zip(zip_records(raw), zipfile.ZIP_DEFLATED))
    cases.append(Case("pt_deflated.pt", "good", expected_tensors(sd.items())))
    write(outdir, "pt_streamed.pt", make_zip(zip_records(raw), streamed=True))
    cases.append(Case("pt_streamed.pt", "good", expected_tensors(sd.items())))

    # Hand-written pickle with a legal rebuild, so the hostile variants below differ only in
    # what they ask for.
    PickleBuilder, pt_archive = torch_format.PickleBuilder, torch_format.archive
    data = np.arange(6, dtype=np.float32)
    good_pickle = PickleBuilder().op(b"}").string("w").tensor_v2("FloatStorage", "0", 6, 0, [2, 3], [3, 1]).op(b"s").bytes()
    write(outdir, "pt_handwritten.pt", pt_archive(good_pickle, [("0", data.tobytes())]))
    cases.append(Case("pt_handwritten.pt", "good", [("w", "F32", data.reshape(2, 3))]))

    # ---- hostile pickles: nothing may run; each payload would create the marker file.
    marker = os.path.join(marker_dir, MARKER)
    save_bytes = torch_format.save_bytes
    hostile = {
        "pt_reduce_os_system.pt": (save_bytes({"w": tensor(np.ones(2, np.float32)),
                                               "x": Evil(os.system, (f"touch {marker}",))}),
                                   ["posix.system", "whitelist"]),
        # Protocol 2 spells Python 3 names the Python 2 way (__builtin__, commands); the
        # refusal names what the pickle asks for.
        "pt_reduce_eval.pt": (save_bytes({"x": Evil(eval, (f"open({marker!r}, 'w')",))}),
                              ["__builtin__.eval", "whitelist"]),
        "pt_reduce_exec_proto4.pt": (save_bytes({"x": Evil(exec, (f"open({marker!r}, 'w')",))}, pickle_protocol=4),
                                     ["builtins.exec", "whitelist"]),
        "pt_reduce_popen.pt": (save_bytes([Evil(__import__("subprocess").Popen, (["touch", marker],))]),
                               ["Popen", "whitelist"]),
        "pt_reduce_getattr.pt": (save_bytes(Evil(getattr, ([], "append"))), ["__builtin__.getattr", "whitelist"]),
        "pt_plain_object.pt": (save_bytes({"obj": Plain()}), ["Plain", "whitelist"]),
        "pt_global_os_system.pt": (pt_archive(PickleBuilder().glob("os", "system").string(f"touch {marker}")
                                              .op(b"\x85R").bytes()), ["os.system", "whitelist"]),
        "pt_global_subprocess_popen.pt": (pt_archive(PickleBuilder().glob("subprocess", "Popen").op(b"]")
                                                     .string("touch").op(b"a").string(marker).op(b"a\x85R").bytes()),
                                          ["subprocess.Popen", "whitelist"]),
        "pt_stack_global_eval.pt": (pt_archive(PickleBuilder().string("builtins").string("eval").op(b"\x93")
                                               .string(f"open({marker!r}, 'w')").op(b"\x85R").bytes()),
                                    ["builtins.eval", "whitelist"]),
        "pt_inst_os_system.pt": (pt_archive(b"\x80\x02(X" + struct.pack("<I", len(f"touch {marker}")) +
                                            f"touch {marker}".encode() + b"ios\nsystem\n."), ["os.system", "whitelist"]),
        "pt_call_storage_type.pt": (pt_archive(PickleBuilder().glob("torch", "FloatStorage").op(b")R").bytes()),
                                    ["torch.FloatStorage", "type marker"]),
        "pt_control_chars.pt": (pt_archive(PickleBuilder().glob("os\r\x1b[2J", "system").bytes()),
                                ["\\r\\u001b[2J.system", "whitelist"]),
        "pt_newobj.pt": (pt_archive(PickleBuilder().glob("collections", "OrderedDict").op(b")\x81").bytes()),
                         ["NEWOBJ", "not supported"]),
    }
    for name, (content, fragments) in hostile.items():
        write(outdir, name, content)
        cases.append(Case(name, "bad", fragments=fragments, hostile=True))

    # ---- malformed archives and pickles.
    f32_storage = [("0", data.tobytes())]
    flipped = bytearray(raw)
    storage_record = next(content for name, content in zip_records(raw) if name.endswith("/data/0"))
    blob_at = flipped.find(storage_record[:8])  # the first storage's bytes
    flipped[blob_at + 3] ^= 0x10
    cut_eocd = bytearray(raw)
    cd_at = cut_eocd.rfind(b"PK\x01\x02")
    cut_eocd[cd_at:cd_at + 4] = b"PK\x09\x09"
    encrypted = bytearray(pt_archive(good_pickle, f32_storage))
    first_cd = encrypted.find(b"PK\x01\x02")
    encrypted[first_cd + 8] |= 1
    bzip = bytearray(pt_archive(good_pickle, f32_storage))
    for at in (bzip.find(b"PK\x03\x04"), bzip.find(b"PK\x01\x02")):
        bzip[at + (8 if bzip[at + 2] == 3 else 10)] = 12
    bad = {
        "pt_truncated.pt": (raw[: len(raw) // 2], ["no zip end-of-central-directory"]),
        "pt_bad_central_directory.pt": (bytes(cut_eocd), ["central directory"]),
        "pt_crc_mismatch.pt": (bytes(flipped), ["CRC-32"]),
        "pt_no_data_pkl.pt": (make_zip([("archive/version", b"3\n")]), ["data.pkl"]),
        "pt_missing_storage.pt": (replace_record(raw, "/data/0", drop=True), ["storage 0", "missing"]),
        "pt_short_storage.pt": (replace_record(raw, "/data/0", b"\0" * 4), ["storage 0", "record holds 4 bytes"]),
        "pt_truncated_pickle.pt": (pt_archive(good_pickle[:40], f32_storage), ["truncated"]),
        "pt_view_outside_storage.pt": (pt_archive(PickleBuilder().op(b"}").string("w")
                                                  .tensor_v2("FloatStorage", "0", 6, 2, [2, 3], [3, 1]).op(b"s").bytes(),
                                                  f32_storage), ["reaches element 7", "holds 6"]),
        "pt_huge_long4.pt": (pt_archive(b"\x80\x02\x8b\xff\xff\xff\x7f."), ["does not fit in 64 bits"]),
        "pt_huge_string.pt": (pt_archive(b"\x80\x02X\xff\xff\xff\x7f."), ["truncated"]),
        "pt_mark_bomb.pt": (pt_archive(b"\x80\x02" + b"(" * 5000 + b"."), ["MARK"]),
        "pt_stack_bomb.pt": (pt_archive(b"\x80\x02N" + b"2" * ((1 << 20) + 5) + b"."), ["stack deeper"]),
        "pt_unknown_opcode.pt": (pt_archive(b"\x80\x02\xff."), ["unknown pickle opcode"]),
        "pt_memo_missing.pt": (pt_archive(b"\x80\x02h\x05."), ["memo entry 5"]),
        "pt_big_endian.pt": (make_zip([(n, b"big" if n.endswith("byteorder") else c)
                                       for n, c in zip_records(pt_archive(good_pickle, f32_storage))]), ["little-endian"]),
        "pt_encrypted.pt": (bytes(encrypted), ["encrypted"]),
        "pt_bzip2.pt": (bytes(bzip), ["compression method 12"]),
        "pt_legacy.pt": (torch_format.legacy_save_bytes({"w": tensor(np.ones(2, np.float32))}), ["legacy"]),
    }
    cyclic = [tensor(np.ones(2, np.float32))]
    cyclic.append(cyclic)
    bad["pt_cycle.pt"] = (save_bytes(cyclic), ["cycle"])
    for name, (content, fragments) in bad.items():
        write(outdir, name, content)
        cases.append(Case(name, "bad", fragments=fragments))

    for i in range(16):
        corrupt = bytearray(raw)
        bit = int(rng.integers(0, 8 * len(corrupt)))
        corrupt[bit // 8] ^= 1 << (bit % 8)
        name = f"pt_bitflip_{i}.pt"
        write(outdir, name, bytes(corrupt))
        cases.append(Case(name, "either"))
    return cases


def make_fixtures(outdir, marker_dir=None):
    """Writes every fixture into outdir; returns the Case list."""
    os.makedirs(outdir, exist_ok=True)
    rng = np.random.default_rng(20240607)
    cases = safetensors_cases(outdir, rng)
    cases += torch_cases(outdir, rng, marker_dir or outdir)
    return cases


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    outdir = sys.argv[1]
    cases = make_fixtures(outdir)
    arrays, manifest = {}, []
    for case in cases:
        entry = {"file": case.name, "kind": case.kind, "fragments": case.fragments, "hostile": case.hostile,
                 "tensors": []}
        for name, dtype, values in case.tensors:
            key = f"a{len(arrays)}"
            arrays[key] = values
            entry["tensors"].append({"name": name, "dtype": dtype, "shape": list(values.shape), "expected": key})
        manifest.append(entry)
    np.savez(os.path.join(outdir, "expected.npz"), **arrays)
    with open(os.path.join(outdir, "manifest.json"), "w") as f:
        json.dump(manifest, f, indent=1, ensure_ascii=False)
    print(f"{len(cases)} fixtures in {outdir}")


if __name__ == "__main__":
    main()
