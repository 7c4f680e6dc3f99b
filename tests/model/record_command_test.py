#!/usr/bin/python3
"""coact record and coact evaluate end to end, against the NumPy reference forward pass
(gpt2_reference.py) on small random models the test writes itself:

- every hook point and the logits, with Hugging Face GPT-2 names (safetensors and PyTorch .pt)
  and TransformerLens names (LN and LNPre), agree with the reference to 1e-4 relative;
- token inputs as HDF5 [sequences, positions], .npy and llm.c .bin give the same store;
  --prepend-bos and --shuffle-seed put BOS first and reorder whole sequences;
- 1, 2 and 3 ranks write the same store (one file, or shards that concatenate to it);
- coact evaluate's clean, SAE-replaced and zero-ablated losses match the reference;
- bad inputs (missing or mis-shaped tensors, unknown hooks, ids >= vocab, sequences longer than
  the context, hostile pickles, malformed safetensors and tokenizer files) end with one line
  naming the problem, a non-zero exit and no output.

Usage: record_command_test.py path/to/coact path/to/mpiexec
"""
import json
import os
import re
import shutil
import struct
import subprocess
import sys
import tempfile
import unittest

import h5py
import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import gpt2_reference as ref  # noqa: E402

sys.path.insert(0, os.path.join(ref.SOURCE, "tools"))
import make_interchange_fixtures as fx  # noqa: E402
import sae_formats as sf  # noqa: E402
import torch_format  # noqa: E402  (torch.save's format from numpy)

COACT, MPIEXEC = sys.argv[1], sys.argv[2]
HF_CFG = dict(n_layers=2, d_model=32, n_heads=4, d_head=8, d_mlp=64, d_vocab=97, d_vocab_out=97, n_ctx=24,
              act_fn="gelu_new", model_name="tiny-gpt2")
TL_CFG = dict(n_layers=2, d_model=32, n_heads=4, d_head=6, d_mlp=48, d_vocab=97, d_vocab_out=97, n_ctx=24,
              act_fn="gelu", model_name="tiny-tl")
SEQUENCES, SEQ_LEN = 10, 16
HOOKS = ["blocks.0.hook_resid_pre", "blocks.0.hook_resid_mid", "blocks.0.mlp.hook_pre", "blocks.0.mlp.hook_post",
         "blocks.1.mlp.hook_post", "blocks.1.hook_resid_post", "logits"]


def run(args, check=True, mpi=0):
    cmd = [COACT, *args] if not mpi else [MPIEXEC, "-n", str(mpi), COACT, *args]
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
    if check and r.returncode != 0:
        raise AssertionError(f"{' '.join(cmd)} failed:\n{r.stderr}")
    return r


def read_store(path):
    with h5py.File(path, "r") as f:
        return {k: f[k][...] for k in ("activations", "tokens", "positions")}, dict(f.attrs)


def read_shards(directory):
    names = sorted(n for n in os.listdir(directory) if n.startswith("shard_"))
    parts = [read_store(os.path.join(directory, n))[0] for n in names]
    return {k: np.concatenate([p[k] for p in parts]) for k in parts[0]}


def assert_close(test, got, want, what):
    """1e-4 relative, with the scale of the whole array as the floor for elements near zero."""
    want = np.asarray(want, np.float64)
    got = np.asarray(got, np.float64)
    test.assertEqual(got.shape, want.shape, what)
    error = np.abs(got - want) / (np.abs(want) + np.abs(want).mean())
    test.assertLess(error.max(), 1e-4, f"{what}: worst relative error {error.max():.3g}")


def write_llmc_bin(path, ids):
    header = np.zeros(256, np.int32)
    header[:3] = (20240520, 1, ids.size)
    with open(path, "wb") as f:
        f.write(header.tobytes() + np.asarray(ids, np.uint16).tobytes())


class Fixture:
    """The models and token files every test case reads (written once)."""

    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="coact_record_")
        rng = np.random.default_rng(7)
        self.hf = ref.random_model(rng, HF_CFG, tied=True)
        ref.write_huggingface(self.dir, self.hf, HF_CFG)
        self.tl = ref.random_model(rng, TL_CFG)
        ref.write_transformerlens(self.dir, self.tl, TL_CFG)
        self.lnpre = ref.random_model(rng, TL_CFG, lnpre=True)
        ref.write_transformerlens(self.dir, self.lnpre, TL_CFG, stem="lnpre", lnpre=True)
        self.ids = rng.integers(0, HF_CFG["d_vocab"], (SEQUENCES, SEQ_LEN)).astype(np.int32)
        with h5py.File(self.path("tokens.h5"), "w") as f:
            f["tokens"] = self.ids
        np.save(self.path("tokens.npy"), self.ids.astype(np.int64))
        write_llmc_bin(self.path("tokens.bin"), self.ids.reshape(-1))

    def path(self, *names):
        return os.path.join(self.dir, *names)

    def model_args(self, which="hf"):
        if which == "hf":
            return ["--model", self.path("model.safetensors"), "--model-config", self.path("config.json")]
        return ["--model", self.path(f"{which}.safetensors"), "--model-config", self.path(f"{which}_config.json")]


FIX = None


def setUpModule():
    global FIX
    FIX = Fixture()


def tearDownModule():
    shutil.rmtree(FIX.dir, ignore_errors=True)


class Record(unittest.TestCase):
    def record(self, out, *extra, which="hf", tokens="tokens.h5", mpi=0, model=None, batch=4):
        path = FIX.path(out)
        model_args = FIX.model_args(which) if model is None else ["--model", model, "--model-config",
                                                                  FIX.path("config.json")]
        run(["record", *model_args, "--tokens", FIX.path(tokens), "--seq-len", str(SEQ_LEN),
             "--batch-sequences", str(batch), "--out", path, "--force", *extra], mpi=mpi)
        return path

    def test_hooks_match_the_reference_huggingface(self):
        hooks, _ = ref.forward(FIX.hf, HF_CFG, FIX.ids)
        for hook in HOOKS:
            data, attrs = read_store(self.record("hf.h5", "--hook", hook))
            assert_close(self, data["activations"], hooks[hook], hook)
            np.testing.assert_array_equal(data["tokens"], FIX.ids.reshape(-1))
            np.testing.assert_array_equal(data["positions"], np.tile(np.arange(SEQ_LEN), SEQUENCES))
            self.assertEqual(attrs["hook"], hook)
            self.assertEqual(int(attrs["sequence_length"]), SEQ_LEN)

    def test_hooks_match_the_reference_transformerlens(self):
        for which, params in (("tl", FIX.tl), ("lnpre", FIX.lnpre)):
            hooks, _ = ref.forward(params, TL_CFG, FIX.ids)
            for hook in ("blocks.1.hook_resid_mid", "blocks.1.mlp.hook_post", "logits"):
                data, _ = read_store(self.record("tl.h5", "--hook", hook, which=which))
                assert_close(self, data["activations"], hooks[hook], f"{which} {hook}")

    def test_pytorch_state_dict_reads_like_safetensors(self):
        tensors = {k: torch_format.tensor(v) for k, v in ref.huggingface_tensors(FIX.hf, HF_CFG).items()}
        n_ctx = HF_CFG["n_ctx"]
        tensors["h.0.attn.bias"] = torch_format.tensor(np.tril(np.ones((1, 1, n_ctx, n_ctx), np.float32)))  # a buffer, ignored
        torch_format.save(tensors, FIX.path("model.pt"))
        a = read_store(self.record("st.h5", "--hook", "blocks.1.mlp.hook_post"))[0]
        b = read_store(self.record("pt.h5", "--hook", "blocks.1.mlp.hook_post", model=FIX.path("model.pt")))[0]
        np.testing.assert_array_equal(a["activations"], b["activations"])

    def test_token_formats_give_the_same_store(self):
        stores = [read_store(self.record(f"fmt{i}.h5", tokens=t))[0]
                  for i, t in enumerate(("tokens.h5", "tokens.npy", "tokens.bin"))]
        for other in stores[1:]:
            for key in ("activations", "tokens", "positions"):
                np.testing.assert_array_equal(stores[0][key], other[key], key)

    def test_bos_and_shuffle(self):
        data, attrs = read_store(self.record("bos.h5", "--prepend-bos", "--shuffle-seed", "3", tokens="tokens.bin"))
        tokens = data["tokens"].reshape(-1, SEQ_LEN)
        stream = FIX.ids.reshape(-1)
        self.assertEqual(tokens.shape[0], len(stream) // (SEQ_LEN - 1))
        self.assertTrue((tokens[:, 0] == 0).all())  # the config's bos_token_id
        starts = sorted(int(np.flatnonzero((np.lib.stride_tricks.sliding_window_view(stream, SEQ_LEN - 1)
                                            == row[1:]).all(1))[0]) for row in tokens)
        self.assertEqual(starts, [i * (SEQ_LEN - 1) for i in range(len(starts))])  # a permutation of the cuts
        self.assertNotEqual(starts, [int(np.flatnonzero((np.lib.stride_tricks.sliding_window_view(
            stream, SEQ_LEN - 1) == row[1:]).all(1))[0]) for row in tokens])  # ... not the identity
        hooks, _ = ref.forward(FIX.hf, HF_CFG, tokens)
        assert_close(self, data["activations"], hooks["blocks.0.mlp.hook_post"], "shuffled")
        self.assertEqual(int(attrs["prepend_bos"]), 1)

    def test_ranks_write_the_same_store(self):
        one = read_store(self.record("r1.h5", batch=3))[0]
        for ranks in (2, 3):
            other = read_store(self.record(f"r{ranks}.h5", batch=3, mpi=ranks))[0]
            shards = FIX.path(f"shards{ranks}")
            self.record(f"shards{ranks}", "--shards", batch=3, mpi=ranks)
            sharded = read_shards(shards)
            for key in ("activations", "tokens", "positions"):
                np.testing.assert_array_equal(one[key], other[key], f"{ranks} ranks: {key}")
                np.testing.assert_array_equal(one[key], sharded[key], f"{ranks} shards: {key}")


class Evaluate(unittest.TestCase):
    def test_every_encoder_kind_replaces_the_hook(self):
        """The SAE's own kind and input normalisation, applied and inverted around the hook."""
        hook = "blocks.0.mlp.hook_post"
        acts = FIX.path("kinds_acts.h5")
        run(["record", *FIX.model_args(), "--tokens", FIX.path("tokens.h5"), "--seq-len", str(SEQ_LEN), "--hook", hook,
             "--out", acts, "--force"])
        saes = []
        run(["train", "--activations", acts, "--out", FIX.path("kinds"), "--seed", "3", "--steps", "15", "--expansion",
             "2", "--batch-size", "32", "--recipe", "jumprelu", "--normalise", "center-scale", "--force"])
        saes.append(FIX.path("kinds", "sae_3.h5"))
        with h5py.File(acts, "r") as f:
            width = f["activations"].shape[1]
        rng = np.random.default_rng(3)
        t = sf.random_sae(rng, width, 2 * width, bias=0.0)
        gated = {"W_enc": t["W_enc"], "W_dec": t["W_dec"], "b_dec": t["b_dec"], "b_gate": t["b_enc"],
                 "r_mag": sf.f32(rng.normal(size=2 * width) * 0.2), "b_mag": sf.f32(rng.normal(size=2 * width) * 0.1)}
        sf.write_saelens(FIX.path("kinds_gated"), "gated", gated, normalize_activations="layer_norm")
        run(["import", "--from", FIX.path("kinds_gated"), "--out", FIX.path("kinds_gated.h5"), "--force"])
        saes.append(FIX.path("kinds_gated.h5"))
        for sae in saes:
            enc = sf.read_coact_sae(sae)

            def reconstruct(x, enc=enc):
                z, _ = sf.reference_encode(x, enc)
                xhat = sf.reconstruct(z, enc)
                if enc["input_norm"] == "center-scale":
                    return xhat / enc["input_scale"] + enc["input_mean"]
                if enc["input_norm"] == "layer-norm":
                    centred = x - x.mean(axis=1, keepdims=True)
                    return xhat * centred.std(axis=1, ddof=1, keepdims=True) + x.mean(axis=1, keepdims=True)
                return xhat

            _, logits = ref.forward(FIX.hf, HF_CFG, FIX.ids, edits={hook: reconstruct})
            want = ref.mean_next_token_loss(logits, FIX.ids)
            out = run(["evaluate", *FIX.model_args(), "--sae", sae, "--tokens", FIX.path("tokens.h5"), "--seq-len",
                       str(SEQ_LEN), "--hook", hook, "--batch-sequences", "3"]).stdout
            m = re.search(r"with the SAE ([\d.e+-]+)", out)
            self.assertIsNotNone(m, out)
            self.assertLess(abs(float(m.group(1)) - want) / want, 1e-4, f"{enc['kind']} ({enc['input_norm']}): "
                                                                        f"{m.group(1)} vs {want}")

    def test_losses_match_the_reference(self):
        hook = "blocks.1.mlp.hook_post"
        acts = FIX.path("eval_acts.h5")
        run(["record", *FIX.model_args(), "--tokens", FIX.path("tokens.h5"), "--seq-len", str(SEQ_LEN), "--hook", hook,
             "--out", acts, "--force"])
        # With --model, train measures CE-loss recovered on the store's own tokens and hook.
        trained = run(["train", "--activations", acts, "--out", FIX.path("sae"), "--seeds", "52,55", "--steps", "20",
                       "--expansion", "2", "--batch-size", "32", "--force", *FIX.model_args()])
        sae = FIX.path("sae", "sae_52.h5")
        with h5py.File(sae, "r") as f:
            w = {k: f[k][...].astype(np.float64) for k in ("W_enc", "b_enc", "W_dec", "b_dec")}

        def reconstruct(x):
            z = np.maximum((x - w["b_dec"]) @ w["W_enc"] + w["b_enc"], 0.0)
            return z @ w["W_dec"] + w["b_dec"]

        want = {}
        for name, edit in (("clean", None), ("sae", reconstruct), ("zero", np.zeros_like)):
            _, logits = ref.forward(FIX.hf, HF_CFG, FIX.ids, edits={hook: edit} if edit else None)
            want[name] = ref.mean_next_token_loss(logits, FIX.ids)
        outputs = [trained.stdout]
        for ranks in (0, 2):
            outputs.append(run(["evaluate", *FIX.model_args(), "--sae", sae, "--tokens", FIX.path("tokens.h5"),
                                "--seq-len", str(SEQ_LEN), "--hook", hook, "--batch-sequences", "3"], mpi=ranks).stdout)
        for output in outputs:
            m = re.search(re.escape(sae) + r" at .*?CE clean ([\d.e+-]+), with the SAE ([\d.e+-]+), zero-ablated ([\d.e+-]+); "
                          r"CE-loss recovered ([\d.e+-]+)%", output)
            self.assertIsNotNone(m, output)
            clean, replaced, zero, percent = map(float, m.groups())
            for got, name in ((clean, "clean"), (replaced, "sae"), (zero, "zero")):
                self.assertLess(abs(got - want[name]) / want[name], 1e-4, f"{name}: {got} vs {want[name]}")
            expected = 100 * (want["zero"] - want["sae"]) / (want["zero"] - want["clean"])
            self.assertAlmostEqual(percent, expected, delta=0.05)

        # coact report --model: a CE-loss recovered table with the same figures for both SAEs.
        graphs = []
        for seed in (52, 55):
            graphs.append(FIX.path(f"graph_{seed}.h5"))
            run(["graph", "--sae", FIX.path("sae", f"sae_{seed}.h5"), "--activations", acts, "--out", graphs[-1],
                 "--batch-tokens", "32", "--num-batches", "4", "--force"])
        compare = FIX.path("compare.h5")
        run(["compare", "--sae", sae, FIX.path("sae", "sae_55.h5"), "--graphs", *graphs, "--out", compare, "--force"])
        report = FIX.path("report.md")
        run(["report", "--compare", compare, "--out", report, "--no-plots", "--force", *FIX.model_args()])
        with open(report) as f:
            text = f.read()
        self.assertIn("## CE-loss recovered", text)
        row = next(line for line in text.splitlines() if line.startswith(f"| {sae} |"))
        cells = [c.strip() for c in row.strip("|").split("|")]
        self.assertAlmostEqual(float(cells[1]), want["clean"], places=3)
        self.assertAlmostEqual(float(cells[2]), want["sae"], places=3)
        self.assertAlmostEqual(float(cells[3]), want["zero"], places=3)

        # coact inspect --model: the feature's direct logit effects, (W_dec[f]·W_out − mean) ⊙ ln_f.w · W_U.
        graph = graphs[0]
        feature = 5
        r = run(["inspect", "--feature", str(feature), "--graph", graph, "--model", FIX.path("model.safetensors"),
                 "--model-config", FIX.path("config.json"), "--top", "4", "--json"])
        effects = json.loads(r.stdout)["logit_effects"]
        self.assertEqual(effects["hook"], hook)
        direction = w["W_dec"][feature] @ np.asarray(FIX.hf["blocks"][1]["w_out"], np.float64)
        direction = (direction - direction.mean()) * FIX.hf["ln_f_w"]
        want_effects = direction @ np.asarray(FIX.hf["wte"], np.float64).T
        order = np.argsort(-want_effects)
        self.assertEqual([e["token"] for e in effects["positive"]], list(order[:4]))
        self.assertEqual([e["token"] for e in effects["negative"]], list(order[::-1][:4]))
        for e in effects["positive"] + effects["negative"]:
            self.assertAlmostEqual(e["effect"], want_effects[e["token"]], delta=1e-4 * np.abs(want_effects).max())

        # coact report --html --model: every feature's page carries the same effects (top 10).
        html = FIX.path("report_html")
        run(["report", "--compare", compare, "--out", report, "--no-plots", "--force", "--html", "--html-dir", html,
             "--html-tokens", "0", *FIX.model_args()])
        with open(os.path.join(html, "sae0_b0.js"), encoding="utf-8") as f:
            block = f.read()
        records = json.loads(block[block.index(",") + 1:block.rindex(")")])
        page = next(rec for rec in records if rec["f"] == feature)
        promoted, suppressed = page["le"]
        self.assertEqual([t[0] for t in promoted], list(order[:10]))
        self.assertEqual([t[0] for t in suppressed], list(order[::-1][:10]))
        for token, text, effect in promoted + suppressed:
            self.assertEqual(text, f"#{token}")
            self.assertAlmostEqual(effect, want_effects[token], delta=1e-4 * np.abs(want_effects).max())


class BadInputs(unittest.TestCase):
    """One line on stderr naming the problem, a non-zero exit, and no output file."""

    def expect_error(self, args, *fragments, tokens="tokens.h5", out="bad.h5"):
        out = FIX.path(out)
        if os.path.exists(out):
            os.remove(out)
        r = run(["record", *args, "--tokens", FIX.path(tokens), "--seq-len", str(SEQ_LEN), "--out", out], check=False)
        self.assertNotEqual(r.returncode, 0, r.stdout)
        lines = r.stderr.strip().splitlines()
        self.assertEqual(len(lines), 1, r.stderr)
        for fragment in fragments:
            self.assertIn(fragment, lines[0])
        self.assertFalse(os.path.exists(out), "an output was left behind")
        return lines[0]

    def hf_variant(self, name, change):
        tensors = ref.huggingface_tensors(FIX.hf, HF_CFG)
        change(tensors)
        path = FIX.path(name)
        ref.write_safetensors(path, tensors)
        return ["--model", path, "--model-config", FIX.path("config.json")]

    def test_missing_tensor(self):
        args = self.hf_variant("missing.safetensors", lambda t: t.pop("h.1.mlp.c_fc.bias"))
        self.expect_error(args, "missing.safetensors", "h.1.mlp.c_fc.bias", "[64]")

    def test_misshaped_tensor(self):
        def change(t):
            t["h.0.attn.c_attn.weight"] = t["h.0.attn.c_attn.weight"][:, :90]
        self.expect_error(self.hf_variant("shape.safetensors", change), "h.0.attn.c_attn.weight", "96", "90")

    def test_unknown_hook(self):
        line = self.expect_error([*FIX.model_args(), "--hook", "blocks.0.mlp.hook_mid"], "blocks.0.mlp.hook_mid")
        self.assertIn("blocks.L.mlp.hook_post", line)
        self.expect_error([*FIX.model_args(), "--hook", "blocks.2.mlp.hook_post"], "2 layers")

    def test_token_id_not_below_vocab(self):
        ids = FIX.ids.copy()
        ids[3, 5] = HF_CFG["d_vocab"]
        with h5py.File(FIX.path("big_ids.h5"), "w") as f:
            f["tokens"] = ids
        self.expect_error(FIX.model_args(), "big_ids.h5", str(HF_CFG["d_vocab"]), tokens="big_ids.h5")

    def test_sequence_longer_than_context(self):
        out = FIX.path("long.h5")
        r = run(["record", *FIX.model_args(), "--tokens", FIX.path("tokens.bin"), "--seq-len", "30", "--out", out],
                check=False)
        self.assertNotEqual(r.returncode, 0)
        self.assertEqual(len(r.stderr.strip().splitlines()), 1, r.stderr)
        self.assertIn("n_ctx 24", r.stderr)
        self.assertFalse(os.path.exists(out))

    def test_hostile_pickle(self):
        marker = FIX.path("PAYLOAD_RAN")
        tensors = {k: torch_format.tensor(v) for k, v in ref.huggingface_tensors(FIX.hf, HF_CFG).items()}
        tensors["evil"] = fx.Evil(os.system, (f"touch {marker}",))
        with open(FIX.path("evil.pt"), "wb") as f:
            f.write(torch_format.save_bytes(tensors))
        self.expect_error(["--model", FIX.path("evil.pt"), "--model-config", FIX.path("config.json")], "evil.pt",
                          "system", "whitelist")
        self.assertFalse(os.path.exists(marker))

    def test_malformed_safetensors(self):
        with open(FIX.path("model.safetensors"), "rb") as f:
            good = f.read()
        (size,) = struct.unpack("<Q", good[:8])
        header = json.loads(good[8:8 + size])
        cases = {
            "too_big.safetensors": struct.pack("<Q", len(good) * 2) + good[8:],
            "bad_json.safetensors": struct.pack("<Q", 12) + b'{"wte.weight' + good[20:],
        }
        overlapping = dict(header)
        first, second = "wte.weight", "wpe.weight"
        overlapping[second] = dict(overlapping[second])
        begin = overlapping[first]["data_offsets"][0]
        length = overlapping[second]["data_offsets"][1] - overlapping[second]["data_offsets"][0]
        overlapping[second]["data_offsets"] = [begin, begin + length]
        text = json.dumps(overlapping).encode()
        text += b" " * ((8 - len(text) % 8) % 8)
        cases["overlap.safetensors"] = struct.pack("<Q", len(text)) + text + good[8 + size:]
        for name, data in cases.items():
            with open(FIX.path(name), "wb") as f:
                f.write(data)
            self.expect_error(["--model", FIX.path(name), "--model-config", FIX.path("config.json")], name)

    def test_malformed_tokenizer(self):
        with open(FIX.path("text.txt"), "w") as f:
            f.write("hello world " * 50)
        with open(FIX.path("tokenizer.json"), "w") as f:
            f.write('{"model": {"type": "BPE", "vocab": {"a": 0}, "merges": ["a b c"')
        self.expect_error([*FIX.model_args(), "--tokenizer", FIX.path("tokenizer.json")], "tokenizer.json",
                          tokens="text.txt")

    def test_bad_config(self):
        cfg = dict(ref.huggingface_config(HF_CFG), n_head=5)
        ref.write_json(FIX.path("bad_config.json"), cfg)
        self.expect_error(["--model", FIX.path("model.safetensors"), "--model-config", FIX.path("bad_config.json")],
                          "bad_config.json", "n_head")


if __name__ == "__main__":
    unittest.main(argv=sys.argv[:1], verbosity=2)
