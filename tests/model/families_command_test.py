#!/usr/bin/python3
"""coact record on every model family against the NumPy reference forward (family_reference.py),
on small random models the test writes with Hugging Face names:

- every hook coact lists for the family (hook_embed ... logits) agrees with the reference to
  1e-4 relative (GPT-2, Llama 3 with llama3 rope scaling and grouped-query heads, Mistral with a
  sliding window, Qwen2 with q/k/v biases and tied embeddings, GPT-NeoX with partial rotary and a
  parallel residual, Gemma, Gemma-2 with post-norms, soft-capping and alternating windows, BERT
  with padded sequences);
- 1, 2 and 3 ranks write the same store for every family;
- a config coact cannot compute is refused naming the key, and an unknown model_type names the
  families coact supports; hooks a family lacks are refused.

Usage: families_command_test.py path/to/coact path/to/mpiexec
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile
import unittest

import h5py
import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import family_reference as ref  # noqa: E402

COACT, MPIEXEC = sys.argv[1], sys.argv[2]
SEQUENCES, SEQ_LEN = 5, 16


def run(args, check=True, mpi=0):
    cmd = [COACT, *args] if not mpi else [MPIEXEC, "-n", str(mpi), COACT, *args]
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
    if check and r.returncode != 0:
        raise AssertionError(f"{' '.join(cmd)} failed:\n{r.stderr}")
    return r


def read_store(path):
    with h5py.File(path, "r") as f:
        return {k: f[k][...] for k in ("activations", "tokens", "positions")}


def assert_close(test, got, want, what):
    """1e-4 relative, with the scale of the whole array as the floor for elements near zero."""
    want = np.asarray(want, np.float64)
    got = np.asarray(got, np.float64)
    test.assertEqual(got.shape, want.shape, what)
    error = np.abs(got - want) / (np.abs(want) + np.abs(want).mean())
    test.assertLess(error.max(), 1e-4, f"{what}: worst relative error {error.max():.3g}")


class Fixture:
    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="coact_families_")
        rng = np.random.default_rng(11)
        self.params = {}
        for name, cfg in ref.CONFIGS.items():
            os.makedirs(self.path(name))
            self.params[name] = ref.random_model(rng, cfg)
            ref.write_huggingface(self.path(name), self.params[name], cfg)
        self.ids = rng.integers(1, ref.BASE["d_vocab"], (SEQUENCES, SEQ_LEN)).astype(np.int32)
        self.bert_ids = self.ids.copy()
        self.bert_ids[1, 11:] = 0  # padded sequences: BERT masks the pad token's keys
        self.bert_ids[3, 4:] = 0
        for stem, ids in (("tokens", self.ids), ("bert_tokens", self.bert_ids)):
            with h5py.File(self.path(stem + ".h5"), "w") as f:
                f["tokens"] = ids

    def path(self, *names):
        return os.path.join(self.dir, *names)

    def ids_of(self, family):
        return self.bert_ids if family == "bert" else self.ids

    def record(self, family, hook, out, mpi=0, batch=2, extra=()):
        tokens = self.path("bert_tokens.h5" if family == "bert" else "tokens.h5")
        run(["record", "--model", self.path(family, "model.safetensors"), "--tokens", tokens, "--seq-len",
             str(SEQ_LEN), "--hook", hook, "--batch-sequences", str(batch), "--out", self.path(out), "--force",
             *extra], mpi=mpi)
        return read_store(self.path(out))


FIX = None


def setUpModule():
    global FIX
    FIX = Fixture()


def tearDownModule():
    shutil.rmtree(FIX.dir, ignore_errors=True)


class Hooks(unittest.TestCase):
    def check_family(self, family):
        cfg = ref.CONFIGS[family]
        want = ref.forward(FIX.params[family], cfg, FIX.ids_of(family))
        names = ref.hook_names(cfg)
        self.assertEqual(sorted(names), sorted(want), "the reference computes every listed hook")
        for hook in names:
            with self.subTest(hook=hook):
                got = FIX.record(family, hook, f"{family}.h5")
                assert_close(self, got["activations"], want[hook], f"{family} {hook}")

    def test_gpt2(self):
        self.check_family("gpt2")

    def test_llama3_rope_scaling_grouped_query(self):
        self.check_family("llama3")

    def test_mistral_sliding_window(self):
        self.check_family("mistral")

    def test_qwen2_qkv_bias(self):
        self.check_family("qwen2")

    def test_gpt_neox_partial_rotary_parallel_residual(self):
        self.check_family("gpt_neox")

    def test_gemma(self):
        self.check_family("gemma")

    def test_gemma2_softcaps_post_norms_windows(self):
        self.check_family("gemma2")

    def test_bert_padded(self):
        self.check_family("bert")


class Gguf(unittest.TestCase):
    def test_llama_gguf_in_float32_and_float16(self):
        """A Llama written as llama.cpp writes it (GGUF names, permuted Q/K rows, F16 matrices):
        every hook of the reference on the weights as stored."""
        cfg = ref.CONFIGS["llama"]
        for kind in ("F32", "F16"):
            path = FIX.path("llama", f"model_{kind}.gguf")
            stored = ref.write_gguf(path, FIX.params["llama"], cfg, kind)
            want = ref.forward(stored, cfg, FIX.ids)
            for hook in ("blocks.0.attn.hook_z", "blocks.1.mlp.hook_post", "logits"):
                out = FIX.path(f"gguf_{kind}.h5")
                run(["record", "--model", path, "--model-config", FIX.path("llama", "config.json"), "--tokens",
                     FIX.path("tokens.h5"), "--seq-len", str(SEQ_LEN), "--hook", hook, "--out", out, "--force"])
                assert_close(self, read_store(out)["activations"], want[hook], f"GGUF {kind} {hook}")


class TransformerLens(unittest.TestCase):
    def test_llama_under_transformerlens_names(self):
        """RMS, rotary, gated MLP and grouped _W_K/_W_V from a HookedTransformerConfig."""
        cfg = ref.CONFIGS["llama"]
        ref.write_transformerlens(FIX.path("llama"), FIX.params["llama"], cfg)
        want = ref.forward(FIX.params["llama"], cfg, FIX.ids)
        for hook in ("blocks.0.attn.hook_z", "blocks.1.mlp.hook_pre_linear", "blocks.1.mlp.hook_post", "logits"):
            out = FIX.path("tl_llama.h5")
            run(["record", "--model", FIX.path("llama", "tl.safetensors"), "--model-config",
                 FIX.path("llama", "tl_config.json"), "--tokens", FIX.path("tokens.h5"), "--seq-len", str(SEQ_LEN),
                 "--hook", hook, "--out", out, "--force"])
            assert_close(self, read_store(out)["activations"], want[hook], f"TransformerLens llama {hook}")


class Ranks(unittest.TestCase):
    def test_every_family_writes_the_same_store_on_1_2_3_ranks(self):
        for family, cfg in ref.CONFIGS.items():
            hook = "logits" if cfg["causal"] else "blocks.1.hook_normalized_resid_post"
            one = FIX.record(family, hook, f"{family}_r1.h5")
            for ranks in (2, 3):
                other = FIX.record(family, hook, f"{family}_r{ranks}.h5", mpi=ranks)
                for key in ("activations", "tokens", "positions"):
                    np.testing.assert_array_equal(one[key], other[key], f"{family}, {ranks} ranks: {key}")


class Refusals(unittest.TestCase):
    def expect_error(self, config, *fragments, family="llama3", hook="blocks.0.mlp.hook_post"):
        path = FIX.path(f"bad_{family}_config.json")
        with open(path, "w") as f:
            json.dump(config, f)
        out = FIX.path("bad.h5")
        r = run(["record", "--model", FIX.path(family, "model.safetensors"), "--model-config", path, "--tokens",
                 FIX.path("tokens.h5"), "--seq-len", str(SEQ_LEN), "--hook", hook, "--out", out], check=False)
        self.assertNotEqual(r.returncode, 0, r.stdout)
        lines = r.stderr.strip().splitlines()
        self.assertEqual(len(lines), 1, r.stderr)
        for fragment in fragments:
            self.assertIn(fragment, lines[0])
        self.assertFalse(os.path.exists(out))

    def test_options_the_forward_cannot_represent_are_named(self):
        base = ref.huggingface_config(ref.CONFIGS["llama3"])
        self.expect_error(dict(base, rope_scaling=dict(rope_type="yarn", factor=4.0)), "rope_scaling", "yarn")
        self.expect_error(dict(base, hidden_act="relu"), "hidden_act", "relu")
        self.expect_error(dict(base, model_type="mamba"), "model_type", "mamba", "gpt2, llama")
        neox = ref.huggingface_config(ref.CONFIGS["bert"])
        self.expect_error(dict(neox, position_embedding_type="relative_key"), "position_embedding_type",
                          family="bert", hook="blocks.0.mlp.hook_post")

    def test_hooks_a_family_lacks(self):
        cfg = ref.huggingface_config(ref.CONFIGS["gpt_neox"])
        self.expect_error(cfg, "hook_resid_mid", "no such hook", family="gpt_neox", hook="blocks.0.hook_resid_mid")
        cfg = ref.huggingface_config(ref.CONFIGS["bert"])
        self.expect_error(cfg, "logits", family="bert", hook="logits")

    def test_missing_bias_is_named(self):
        cfg = dict(ref.huggingface_config(ref.CONFIGS["llama3"]), attention_bias=True)
        self.expect_error(cfg, "model.layers.0.self_attn.q_proj.bias", "[32]")


if __name__ == "__main__":
    unittest.main(argv=sys.argv[:1], verbosity=2)
