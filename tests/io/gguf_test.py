"""coact's GGUF reader and sharded safetensors against files this test writes with its own
pure-Python/NumPy GGUF writer and block quantisers (gguf_writer.py, from the spec and ggml's
block layouts):

- every metadata value type (arrays of strings, nested arrays, uint64 beyond int64) reads back
  with its type and value; shapes come back row-major (GGUF's ne reversed); offsets honour a
  custom general.alignment;
- F32, F16, BF16, F64, I8-I64, Q8_0, Q4_0, Q4_1, Q5_0, Q5_1, Q4_K and Q6_K tensors dequantise bit-identically
  to NumPy's dequantisation of the same blocks; other types are refused naming tensor and type;
- the Hugging Face view of a small "llama" file: names, hyperparameters, and Q/K weights equal to
  the originals after llama.cpp's rotary permutation (NumPy's reshape/swapaxes) is undone;
- malformed and hostile files: exit 1 (not a signal), one line naming the file and the problem;
- model.safetensors.index.json with shards of F32/F16/BF16 tensors, and its inconsistencies.

Usage: gguf_test.py path/to/tensor_probe
"""
import json
import os
import shutil
import struct
import subprocess
import sys
import tempfile
import unittest

import numpy as np

PROBE = sys.argv[1]
HERE = os.path.dirname(os.path.abspath(__file__))
SOURCE = os.environ.get("COACT_SOURCE_DIR", os.path.join(HERE, "..", ".."))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(SOURCE, "tools"))
import gguf_writer as gw  # noqa: E402
import make_interchange_fixtures as st  # noqa: E402

QUANTISED = ["Q8_0", "Q4_0", "Q4_1", "Q5_0", "Q5_1", "Q4_K", "Q6_K"]


def probe(*args):
    return subprocess.run([PROBE, *args], capture_output=True, text=True, timeout=300)


def same_bits(a, b):
    a, b = np.asarray(a, np.float32), np.asarray(b, np.float32)
    return a.shape == b.shape and np.array_equal(a.view(np.uint32), b.view(np.uint32))


def every_metadata_type():
    return [
        ("general.architecture", gw.STRING, "test"),
        ("general.alignment", gw.U32, 64),
        ("t.u8", gw.U8, 255), ("t.i8", gw.I8, -128), ("t.u16", gw.U16, 65535), ("t.i16", gw.I16, -32768),
        ("t.u32", gw.U32, 4294967295), ("t.i32", gw.I32, -2147483648), ("t.f32", gw.F32, 0.1),
        ("t.bool", gw.BOOL, True), ("t.false", gw.BOOL, False), ("t.string", gw.STRING, "näive ☃ \"quoted\"\n"),
        ("t.empty_string", gw.STRING, ""), ("t.u64", gw.U64, 2**64 - 1), ("t.i64", gw.I64, -2**63),
        ("t.f64", gw.F64, -1.0e300),
        ("t.strings", gw.ARRAY, (gw.STRING, ["Ġthe", "", "<|endoftext|>", "▁x", "日本"])),
        ("t.i32s", gw.ARRAY, (gw.I32, [1, -2, 3])), ("t.u8s", gw.ARRAY, (gw.U8, [0, 255])),
        ("t.f32s", gw.ARRAY, (gw.F32, [0.5, -1.25, 3.0e-8])), ("t.bools", gw.ARRAY, (gw.BOOL, [True, False])),
        ("t.empty", gw.ARRAY, (gw.I64, [])),
        ("t.nested", gw.ARRAY, (gw.ARRAY, [(gw.U32, [1, 2]), (gw.STRING, ["a"]), (gw.ARRAY, [(gw.I8, [-1])])])),
    ]


def expected_json_value(value_type, value):
    """What tensor_probe prints for a metadata value."""
    names = {gw.U8: "uint8", gw.I8: "int8", gw.U16: "uint16", gw.I16: "int16", gw.U32: "uint32", gw.I32: "int32",
             gw.F32: "float32", gw.BOOL: "bool", gw.STRING: "string", gw.ARRAY: "array", gw.U64: "uint64",
             gw.I64: "int64", gw.F64: "float64"}
    out = {"type": names[value_type]}
    if value_type == gw.ARRAY:
        element_type, items = value
        out["element_type"] = names[element_type]
        if element_type == gw.ARRAY:
            out["value"] = [expected_json_value(gw.ARRAY, item) for item in items]
        elif element_type == gw.F32:
            out["value"] = [float(np.float32(x)) for x in items]
        else:
            out["value"] = list(items)
    elif value_type == gw.F32:
        out["value"] = float(np.float32(value))
    elif value_type == gw.U64 and value > 2**63 - 1:
        out["value"] = str(value)
    else:
        out["value"] = value
    return out


class Gguf(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.mkdtemp(prefix="coact_gguf_")
        cls.rng = np.random.default_rng(20240611)

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.dir, ignore_errors=True)

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

    def dump(self, *args):
        out = tempfile.mkdtemp(dir=self.dir)
        r = probe(*args, out)
        self.assertEqual(r.returncode, 0, r.stderr)
        with open(os.path.join(out, "index.json")) as f:
            index = json.load(f)
        arrays = {}
        for t in index["tensors"]:
            arrays[t["name"]] = np.fromfile(os.path.join(out, t["file"]), np.float32).reshape(t["shape"])
        return index, arrays

    # ---- tensors and metadata ------------------------------------------------------------------

    def quantised_tensor(self, name, type_name, shape):
        values = self.rng.standard_normal(int(np.prod(shape))).astype(np.float32) * 3
        values[:7] = 0.0  # a block with zeros
        data = gw.quantize(type_name, values)
        return gw.Tensor(name, type_name, shape, data), gw.dequantize(type_name, data, values.size).reshape(shape)

    def plain_tensor(self, name, type_name, shape):
        if type_name.startswith("I"):
            values = self.rng.integers(-100, 100, size=shape)
        else:
            values = self.rng.standard_normal(shape) * 5
        data = gw.plain_bytes(type_name, values)
        return gw.Tensor(name, type_name, shape, data), gw.plain_values(type_name, data).reshape(shape)

    def test_every_type_and_metadata_value(self):
        tensors, expected = [], {}
        for name, type_name, shape in [("f32", "F32", (3, 5)), ("f16", "F16", (4, 8)), ("bf16", "BF16", (2, 16)),
                                       ("f64", "F64", (7,)), ("i8", "I8", (10,)), ("i16", "I16", (2, 2)),
                                       ("i32", "I32", (2, 3)), ("i64", "I64", (4,)), ("empty", "F32", (0, 4))]:
            t, values = self.plain_tensor(name, type_name, shape)
            tensors.append(t)
            expected[name] = values
        for name, type_name, shape in [("q8", "Q8_0", (4, 64)), ("q4_0", "Q4_0", (3, 32)), ("q4_1", "Q4_1", (2, 96)),
                                       ("q5_0", "Q5_0", (2, 64)), ("q5_1", "Q5_1", (3, 32)),
                                       ("q4k", "Q4_K", (2, 512)), ("q6k", "Q6_K", (3, 256)),
                                       ("q8_3d", "Q8_0", (2, 3, 32)), ("q4k_1d", "Q4_K", (256,))]:
            t, values = self.quantised_tensor(name, type_name, shape)
            tensors.append(t)
            expected[name] = values
        metadata = every_metadata_type()
        gw.write_gguf(self.path("every.gguf"), metadata, tensors, alignment=64)

        r = probe("gguf", self.path("every.gguf"))
        self.assertEqual(r.returncode, 0, r.stderr)
        header = json.loads(r.stdout)
        self.assertEqual((header["version"], header["alignment"]), (3, 64))
        self.assertEqual([k for k, _ in header["metadata"]], [k for k, _, _ in metadata])
        for (key, got), (_, value_type, value) in zip(header["metadata"], metadata):
            self.assertEqual(got, expected_json_value(value_type, value), key)
        infos = header["tensors"]
        self.assertEqual([(t["name"], t["type"], tuple(t["shape"])) for t in infos],
                         [(t.name, t.type_name, t.shape) for t in tensors])
        for info in infos:
            self.assertEqual(info["offset"] % 64, 0, info["name"])
            self.assertTrue(info["readable"])

        index, arrays = self.dump("dump", self.path("every.gguf"))
        self.assertEqual(index["format"], "gguf")
        dtypes = {t["name"]: t["dtype"] for t in index["tensors"]}
        self.assertEqual((dtypes["f16"], dtypes["bf16"], dtypes["q4k"], dtypes["i32"]), ("F16", "BF16", "F32", "I32"))
        for name, values in expected.items():
            self.assertTrue(same_bits(arrays[name], values), name)

        ints = probe("ints", self.path("every.gguf"), "i32")
        self.assertEqual(json.loads(ints.stdout), [int(v) for v in expected["i32"].reshape(-1)], ints.stderr)

    def test_quantised_blocks_match_numpy_on_extreme_values(self):
        # Random bytes are valid blocks too: every bit pattern of scales and quants (f16 scales
        # kept finite) must decode as NumPy's dequantisation does.
        tensors, expected = [], {}
        for type_name in QUANTISED:
            _, per_block, size = gw.TYPES[type_name]
            raw = self.rng.integers(0, 256, size=(64, size), dtype=np.uint8)
            for scale_at in {"Q8_0": [0], "Q4_0": [0], "Q4_1": [0, 2], "Q5_0": [0], "Q5_1": [0, 2], "Q4_K": [0, 2],
                             "Q6_K": [208]}[type_name]:
                halves = self.rng.standard_normal(64).astype(np.float16)
                raw[:, scale_at:scale_at + 2] = halves.view(np.uint8).reshape(-1, 2)
            data = raw.tobytes()
            tensors.append(gw.Tensor(type_name, type_name, (64, per_block), data))
            expected[type_name] = gw.dequantize(type_name, data, 64 * per_block).reshape(64, per_block)
        gw.write_gguf(self.path("random_blocks.gguf"), [], tensors)
        _, arrays = self.dump("dump", self.path("random_blocks.gguf"))
        for type_name in QUANTISED:
            self.assertTrue(same_bits(arrays[type_name], expected[type_name]), type_name)

    def test_quantisers_round_trip_closely(self):
        # The fixtures' quantisers are meaningful: dequantised values stay near the originals.
        values = self.rng.standard_normal(4096).astype(np.float32)
        for type_name, tolerance in [("Q8_0", 0.02), ("Q6_K", 0.1), ("Q5_0", 0.25), ("Q5_1", 0.2), ("Q4_K", 0.35),
                                     ("Q4_1", 0.35), ("Q4_0", 0.5)]:
            restored = gw.dequantize(type_name, gw.quantize(type_name, values), values.size)
            self.assertLess(np.abs(restored - values).max(), tolerance, type_name)

    def test_unreadable_types_are_refused_by_tensor_and_type(self):
        q5 = gw.Tensor("blk.0.q5k", "Q5_K", (2, 256), bytes(2 * 176))
        unknown = gw.Tensor("mystery", "F32", (8,), bytes(32))
        good, values = self.plain_tensor("good", "F32", (4,))
        gw.write_gguf(self.path("q5k.gguf"), [], [good, q5])
        gw.write_gguf(self.path("unknown.gguf"), [], [good, unknown], raw_type_numbers={"mystery": 99})
        header = json.loads(probe("gguf", self.path("q5k.gguf")).stdout)  # opens: metadata stays readable
        self.assertEqual([(t["type"], t["readable"]) for t in header["tensors"]], [("F32", True), ("Q5_K", False)])
        self.expect_error(probe("dump", self.path("q5k.gguf"), self.dir), "q5k.gguf", ["blk.0.q5k", "Q5_K", "not supported"])
        self.expect_error(probe("dump", self.path("unknown.gguf"), self.dir), "unknown.gguf", ["mystery", "type 99"])

    # ---- the Hugging Face view -----------------------------------------------------------------

    def llama_file(self, name, tied=True, extra_tensors=(), architecture="llama"):
        n_head, n_kv, head_dim, d, ff, vocab, layers = 4, 2, 8, 32, 64, 96, 2
        metadata = [
            ("general.architecture", gw.STRING, architecture), ("general.name", gw.STRING, "tiny"),
            (f"{architecture}.block_count", gw.U32, layers), (f"{architecture}.context_length", gw.U32, 128),
            (f"{architecture}.embedding_length", gw.U32, d), (f"{architecture}.feed_forward_length", gw.U32, ff),
            (f"{architecture}.attention.head_count", gw.U32, n_head),
            (f"{architecture}.attention.head_count_kv", gw.U32, n_kv),
            (f"{architecture}.rope.freq_base", gw.F32, 10000.0), (f"{architecture}.rope.dimension_count", gw.U32, head_dim),
            (f"{architecture}.attention.layer_norm_rms_epsilon", gw.F32, 1e-5),
            ("tokenizer.ggml.bos_token_id", gw.U32, 1), ("tokenizer.ggml.eos_token_id", gw.U32, 2),
        ]
        hf = {}  # Hugging Face name -> the values coact must give
        tensors = []

        def add(gguf_name, hf_name, shape, type_name="F32", rotary_heads=0):
            values = (self.rng.standard_normal(shape) * 0.5).astype(np.float32)
            stored = gw.permute_rotary(values, rotary_heads) if rotary_heads else values
            if type_name == "F32":
                data = gw.plain_bytes("F32", stored)
                read = stored
            else:
                data = gw.quantize(type_name, stored)
                read = gw.dequantize(type_name, data, stored.size).reshape(shape)
            if rotary_heads:  # undo the permutation independently: pairs -> halves
                read = read.reshape(rotary_heads, shape[0] // rotary_heads // 2, 2, *shape[1:]).swapaxes(1, 2).reshape(shape)
            tensors.append(gw.Tensor(gguf_name, type_name, shape, data))
            hf[hf_name] = read
            return values

        add("token_embd.weight", "model.embed_tokens.weight", (vocab, d), "Q8_0")
        for layer in range(layers):
            p, q = f"blk.{layer}.", f"model.layers.{layer}."
            add(p + "attn_norm.weight", q + "input_layernorm.weight", (d,))
            original_q = add(p + "attn_q.weight", q + "self_attn.q_proj.weight", (n_head * head_dim, d), "F32", n_head)
            self.assertTrue(same_bits(hf[q + "self_attn.q_proj.weight"], original_q))
            add(p + "attn_k.weight", q + "self_attn.k_proj.weight", (n_kv * head_dim, d), "Q4_K" if d % 256 == 0 else "Q8_0", n_kv)
            add(p + "attn_v.weight", q + "self_attn.v_proj.weight", (n_kv * head_dim, d), "Q4_1")
            add(p + "attn_output.weight", q + "self_attn.o_proj.weight", (d, n_head * head_dim), "Q4_0")
            add(p + "ffn_norm.weight", q + "post_attention_layernorm.weight", (d,))
            add(p + "ffn_gate.weight", q + "mlp.gate_proj.weight", (ff, d), "Q8_0")
            add(p + "ffn_up.weight", q + "mlp.up_proj.weight", (ff, d), "Q8_0")
            add(p + "ffn_down.weight", q + "mlp.down_proj.weight", (d, ff), "Q6_K" if ff % 256 == 0 else "Q8_0")
        add("output_norm.weight", "model.norm.weight", (d,))
        if not tied:
            add("output.weight", "lm_head.weight", (vocab, d), "Q8_0")
        for gguf_name, shape in extra_tensors:
            tensors.append(gw.Tensor(gguf_name, "F32", shape, bytes(4 * int(np.prod(shape)))))
        gw.write_gguf(self.path(name), metadata, tensors)
        return hf

    def test_huggingface_view_restores_llama_names_and_rotary_rows(self):
        for tied in (True, False):
            with self.subTest(tied=tied):
                name = f"llama_tied{int(tied)}.gguf"
                expected = self.llama_file(name, tied=tied)
                index, arrays = self.dump("gguf-hf", self.path(name))
                self.assertEqual(index["params"], {
                    "architecture": "llama", "name": "tiny", "block_count": 2, "embedding_length": 32,
                    "feed_forward_length": 64, "head_count": 4, "head_count_kv": 2, "context_length": 128,
                    "vocab_size": 96, "head_dim": 8, "tied_embeddings": tied, "rope_freq_base": 10000.0,
                    "rms_norm_epsilon": float(np.float32(1e-5)), "rope_dimension_count": 8, "bos_token_id": 1,
                    "eos_token_id": 2})
                self.assertEqual(sorted(arrays), sorted(expected))
                for hf_name, values in expected.items():
                    self.assertTrue(same_bits(arrays[hf_name], values), hf_name)

    def test_huggingface_view_refuses_what_it_cannot_map(self):
        self.llama_file("rope_freqs.gguf", extra_tensors=[("rope_freqs.weight", (4,))])
        self.expect_error(probe("gguf-hf", self.path("rope_freqs.gguf"), self.dir), "rope_freqs.gguf",
                          ["rope_freqs.weight", "no Hugging Face equivalent"])
        self.llama_file("gpt2arch.gguf", architecture="gpt2")
        self.expect_error(probe("gguf-hf", self.path("gpt2arch.gguf"), self.dir), "gpt2arch.gguf",
                          ["general.architecture", "gpt2"])
        gw.write_gguf(self.path("no_blocks.gguf"), [("general.architecture", gw.STRING, "llama")], [])
        self.expect_error(probe("gguf-hf", self.path("no_blocks.gguf"), self.dir), "no_blocks.gguf",
                          ["llama.block_count", "missing"])
        gw.write_gguf(self.path("per_layer.gguf"), [
            ("general.architecture", gw.STRING, "llama"), ("llama.block_count", gw.U32, 2),
            ("llama.embedding_length", gw.U32, 8), ("llama.feed_forward_length", gw.ARRAY, (gw.U32, [16, 32]))], [])
        self.expect_error(probe("gguf-hf", self.path("per_layer.gguf"), self.dir), "per_layer.gguf",
                          ["llama.feed_forward_length", "per-layer"])

    # ---- hostile files ---------------------------------------------------------------------------

    def test_malformed_files_are_refused_with_one_line(self):
        good_tensor = gw.Tensor("w", "Q8_0", (2, 32), gw.quantize("Q8_0", np.ones(64, np.float32)))
        base = gw.build_gguf([("general.architecture", gw.STRING, "x")], [good_tensor])
        header_end = 4 + 4 + 8 + 8
        cases = {
            "empty.gguf": (b"", ["too short"]),
            "magic.gguf": (b"GGUX" + base[4:], ["not a GGUF file"]),
            "v1.gguf": (base[:4] + struct.pack("<I", 1) + base[8:], ["version 1"]),
            "big_endian.gguf": (base[:4] + struct.pack(">I", 3) + base[8:], ["big-endian"]),
            "v4.gguf": (base[:4] + struct.pack("<I", 4) + base[8:], ["version 4"]),
            "tensor_count.gguf": (base[:8] + struct.pack("<Q", 2**62) + base[16:], ["tensor infos"]),
            "kv_count.gguf": (base[:16] + struct.pack("<Q", 2**40) + base[24:], ["metadata entries"]),
            "truncated_header.gguf": (base[:header_end + 20], ["ends inside"]),
            "key_length.gguf": (base[:header_end] + struct.pack("<Q", 2**60) + base[header_end + 8:], ["ends inside"]),
            "value_type.gguf": (gw.build_gguf([], []) [:16] + struct.pack("<Q", 1) + gw.gguf_string("k") +
                                struct.pack("<I", 13) + b"\0" * 8, ["unknown value type 13"]),
            "bool.gguf": (gw.build_gguf([], [])[:16] + struct.pack("<Q", 1) + gw.gguf_string("k") +
                          struct.pack("<IB", gw.BOOL, 2), ["bool", "0 or 1"]),
            "array_count.gguf": (gw.build_gguf([], [])[:16] + struct.pack("<Q", 1) + gw.gguf_string("k") +
                                 struct.pack("<IIQ", gw.ARRAY, gw.U32, 2**50), ["array of", "uint32"]),
            "nesting.gguf": (gw.build_gguf([("deep", gw.ARRAY, nested(12))], []), ["nested more than"]),
            "duplicate_key.gguf": (gw.build_gguf([("k", gw.U8, 1), ("k", gw.U8, 2)], []), ["appears twice"]),
            "alignment_type.gguf": (gw.build_gguf([("general.alignment", gw.U64, 32)], []), ["general.alignment", "uint32"]),
            "alignment_value.gguf": (gw.build_gguf([("general.alignment", gw.U32, 48)], []),
                                     ["general.alignment", "not a power of two"]),
            "misaligned.gguf": (gw.build_gguf([], [gw.Tensor("w", "F32", (4,), bytes(16), offset=8)]),
                                ["tensor w", "multiple of the alignment"]),
            "beyond_end.gguf": (gw.build_gguf([], [gw.Tensor("w", "F32", (64,), bytes(256))])[:-32], ["tensor w", "beyond the end"]),
            "overlap.gguf": (gw.build_gguf([], [gw.Tensor("a", "F32", (16,), bytes(64), offset=0),
                                                gw.Tensor("b", "F32", (16,), bytes(64), offset=32)]), ["a", "b", "overlap"]),
            "partial_block.gguf": (gw.build_gguf([], [gw.Tensor("w", "Q8_0", (1, 32), bytes(34))]).replace(
                struct.pack("<Q", 32), struct.pack("<Q", 30), 1), ["tensor w", "whole number of Q8_0 blocks"]),
            "dims.gguf": (gw.build_gguf([], [gw.Tensor("w", "F32", (1,) * 9, bytes(4))]), ["9 dimensions"]),
            "huge_dim.gguf": (gw.build_gguf([], [gw.Tensor("w", "F32", (4,), bytes(16))]).replace(
                struct.pack("<Q", 4), struct.pack("<Q", 2**63), 1), ["tensor w", "too large"]),
            "overflow.gguf": (gw.build_gguf([], [gw.Tensor("w", "F32", (3, 5), bytes(60))]).replace(
                struct.pack("<QQ", 5, 3), struct.pack("<QQ", 2**40, 2**40), 1), ["tensor w", "too large"]),
            "duplicate_tensor.gguf": (gw.build_gguf([], [gw.Tensor("w", "F32", (4,), bytes(16)),
                                                         gw.Tensor("w", "F32", (4,), bytes(16))]), ["w", "twice"]),
        }
        for name, (data, fragments) in cases.items():
            with self.subTest(name):
                with open(self.path(name), "wb") as f:
                    f.write(data)
                self.expect_error(probe("gguf", self.path(name)), name, fragments)

    # ---- sharded safetensors ---------------------------------------------------------------------

    def write_shards(self, folder, weight_map=None, extra=None):
        os.makedirs(self.path(folder), exist_ok=True)
        a = self.rng.standard_normal((3, 4)).astype(np.float32)
        b = self.rng.standard_normal((5,)).astype(np.float16)
        c = self.rng.standard_normal((2, 2)).astype(np.float32)
        shard1 = [st.st_tensor("model.a", a), st.st_tensor("model.b", b)]
        shard2 = [st.st_tensor("model.c", c, "BF16")] + ([st.st_tensor(extra, a)] if extra else [])
        for shard, tensors in (("model-00001-of-00002.safetensors", shard1), ("model-00002-of-00002.safetensors", shard2)):
            with open(os.path.join(self.path(folder), shard), "wb") as f:
                f.write(st.st_bytes(tensors))
        if weight_map is None:
            weight_map = {"model.c": "model-00002-of-00002.safetensors", "model.a": "model-00001-of-00002.safetensors",
                          "model.b": "model-00001-of-00002.safetensors"}
        index = os.path.join(self.path(folder), "model.safetensors.index.json")
        with open(index, "w") as f:
            json.dump({"metadata": {"total_size": 12 * 4 + 5 * 2 + 4 * 2}, "weight_map": weight_map}, f)
        return index, {"model.a": a, "model.b": b.astype(np.float32), "model.c": st.bf16_to_f32(st.bf16_bits(c))}

    def test_sharded_safetensors(self):
        index, expected = self.write_shards("sharded")
        info, arrays = self.dump("dump", index)
        self.assertEqual(info["format"], "safetensors")
        self.assertEqual([(t["name"], t["dtype"]) for t in info["tensors"]],
                         [("model.c", "BF16"), ("model.a", "F32"), ("model.b", "F16")])
        for name, values in expected.items():
            self.assertTrue(same_bits(arrays[name], values), name)

    def test_sharded_safetensors_inconsistencies(self):
        one, two = "model-00001-of-00002.safetensors", "model-00002-of-00002.safetensors"
        cases = {
            "missing": ({"model.a": one, "model.b": one, "model.c": two, "model.z": two}, None, ["model.z", "does not hold it"]),
            "unlisted": ({"model.a": one, "model.b": one, "model.c": two}, "model.extra", ["model.extra", "not in the weight_map"]),
            "escape": ({"model.a": "../x.safetensors"}, None, [".."]),
            "absolute": ({"model.a": "/etc/passwd"}, None, ["relative"]),
            "no_shard": ({"model.a": "model-00009.safetensors"}, None, ["model-00009.safetensors", "cannot open"]),
        }
        for folder, (weight_map, extra, fragments) in cases.items():
            with self.subTest(folder):
                index, _ = self.write_shards(folder, weight_map, extra)
                self.expect_error(probe("dump", index, self.dir), "model", fragments)


def nested(depth):
    value = (gw.U8, [1])
    for _ in range(depth):
        value = (gw.ARRAY, [value])
    return value


if __name__ == "__main__":
    unittest.main(argv=[sys.argv[0]], verbosity=2)
