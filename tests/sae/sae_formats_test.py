"""Every encoder kind and every SAE format through the commands, against NumPy references:

  - SAEs coact trains with each recipe (and with a center-scale normalisation) give, through
    `coact encode` on 1 and 3 ranks, the codes tools/sae_formats.reference_encode computes from
    the file's own tensors, encoder kind and normalisation; token ids and positions come along;
  - each format coact imports, written here with numpy (and tools/torch_format.py for .pt),
    encodes as that package's own encode defines it (the formulas in each case below, from the
    package's source), including SAELens' apply_b_dec_to_input false, constant_norm_rescale,
    layer_norm, expected_average_only_in with its factor, rescale_acts_by_decoder_norm and a
    finetuning scaling_factor, a sparsify run folder of hookpoints and seeds, and a missing cfg
    (assumed defaults in the log and in import_assumptions);
  - the SAELens export of every kind imports back to the same codes;
  - bad input (unknown architecture, a cfg that contradicts the tensors, k > n, a negative
    threshold, a missing tensor, NaN, an unknown tensor, a sparsify run of mixed widths, a
    normalisation without its factor) gives one line naming the file and key, exit != 0 and no
    output.

Usage: sae_formats_test.py path/to/coact path/to/mpiexec
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

SOURCE = os.environ.get("COACT_SOURCE_DIR", os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
sys.path.insert(0, os.path.join(SOURCE, "tools"))
import sae_formats as sf  # noqa: E402
import torch_format  # noqa: E402

COACT, MPIEXEC = sys.argv[1], sys.argv[2]
D, N = 16, 48


def run(args, ranks=None, check=True):
    command = [COACT, *args]
    if ranks:
        command = [MPIEXEC, "-n", str(ranks), "--oversubscribe", *command]
    r = subprocess.run(command, capture_output=True, text=True, timeout=600)
    if check and r.returncode != 0:
        raise AssertionError(f"{' '.join(command)} failed ({r.returncode}):\n{r.stderr}")
    return r


class Formats(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.mkdtemp(prefix="coact_formats_")
        cls.addClassCleanup(shutil.rmtree, cls.dir, True)
        cls.acts = os.path.join(cls.dir, "acts.h5")
        run(["synth", "--out", cls.acts, "--rows", "6000", "--d", str(D), "--features", "40", "--seed", "4"])
        with h5py.File(cls.acts, "a") as f:  # token ids and positions, so encode carries them
            rows = f["activations"].shape[0]
            f["tokens"] = (np.arange(rows) * 7 % 50257).astype(np.int32)
            f["positions"] = (np.arange(rows) % 128).astype(np.int32)
            cls.x = f["activations"][...].astype(np.float64)
        cls.rng = np.random.default_rng(11)

    def path(self, name):
        return os.path.join(self.dir, name)

    def encode(self, sae, name, rows=1200, ranks=None, shards=1):
        out = self.path(name + ".codes.h5")
        run(["encode", "--sae", sae, "--activations", self.acts, "--out", out, "--rows", str(rows),
             "--block-rows", "256", "--latent-shards", str(shards), "--force"], ranks=ranks)
        return sf.read_codes(out), out

    def check_coact_file(self, sae, name, ranks=None):
        """coact's codes of `sae` equal the NumPy reference of the file's own encoder."""
        enc = sf.read_coact_sae(sae)
        got, _ = self.encode(sae, name, ranks=ranks)
        want, near = sf.reference_encode(self.x[:got.shape[0]], enc)
        sf.compare_codes(got, want, near, name)
        self.assertGreater((want > 0).sum(), 0, name)
        return enc, got

    def import_sae(self, source, name, *extra):
        out = self.path(name + ".h5")
        r = run(["import", "--from", source, "--out", out, "--force", *extra])
        return out, r

    def expect_package_codes(self, source, name, reference, *extra):
        """coact import + encode of a file equals the package's own encode (`reference`)."""
        sae, r = self.import_sae(source, name, *extra)
        got, _ = self.encode(sae, name)
        want, near = reference(self.x[:got.shape[0]])
        sf.compare_codes(got, want, near, name)
        self.assertGreater((want > 0).sum(), 0, name)
        return sae, r

    # ---- trained SAEs of every recipe ----------------------------------------------------------

    def test_trained_recipes_encode_as_their_kind(self):
        recipes = {"nanda-1l": [], "topk": ["--k", "5"], "batchtopk": ["--k", "5", "--threshold-start-step", "2"],
                   "jumprelu": ["--l0-warmup-steps", "5"],
                   "matryoshka": ["--k", "5", "--threshold-start-step", "2", "--matryoshka-widths", f"{N // 8},{N // 2},{N}"]}
        for recipe, extra in recipes.items():
            out = self.path("train_" + recipe)
            run(["train", "--activations", self.acts, "--out", out, "--seed", "3", "--steps", "40", "--n", str(N),
                 "--batch-size", "256", "--recipe", recipe, "--threads", "1", *extra])
            sae = os.path.join(out, "sae_3.h5")
            enc, got = self.check_coact_file(sae, "trained_" + recipe)
            want_kind = {"nanda-1l": "relu"}.get(recipe, recipe)
            self.assertEqual(enc["kind"], want_kind)
            if recipe == "matryoshka":  # the levels stored as the groups' sizes
                self.assertEqual(enc["groups"], f"{N // 8},{N // 2 - N // 8},{N - N // 2}")
            if recipe in ("batchtopk", "matryoshka"):  # a learned global threshold, the same for every feature
                self.assertGreater(enc["threshold"].min(), 0)
                self.assertEqual(enc["threshold"].min(), enc["threshold"].max())
            if recipe == "jumprelu":
                self.assertFalse(enc["subtract_b_dec"])
                self.assertTrue((enc["threshold"] >= 0).all())
            # The same codes on 3 ranks (blocks round-robin, appended in row order), bit for bit.
            got3, path3 = self.encode(sae, "trained3_" + recipe, ranks=3)
            np.testing.assert_array_equal(got3, got)
            with h5py.File(path3, "r") as f:
                np.testing.assert_array_equal(f["tokens"][...], (np.arange(1200) * 7 % 50257).astype(np.int32))
                np.testing.assert_array_equal(f["positions"][...], (np.arange(1200) % 128).astype(np.int32))
                self.assertEqual(f.attrs["coact_kind"], "codes")
                self.assertEqual(int(f.attrs["nnz"]), int((got > 0).sum()))
            # The latents split over ranks (2, 3, and 4 ranks as 2 data ranks × 2 shards): the same
            # entries, values to the partial GEMMs' rounding.
            for ranks, shards in ((2, 2), (3, 3), (4, 2)):
                sharded, _ = self.encode(sae, f"sharded_{ranks}x{shards}_{recipe}", ranks=ranks, shards=shards)
                np.testing.assert_array_equal(sharded > 0, got > 0, err_msg=f"{recipe} {ranks}x{shards}")
                np.testing.assert_allclose(sharded, got, rtol=1e-6, atol=1e-7, err_msg=f"{recipe} {ranks}x{shards}")

    def test_trained_normalisation_is_stored_and_applied(self):
        out = self.path("train_norm")
        run(["train", "--activations", self.acts, "--out", out, "--seed", "5", "--steps", "20", "--n", str(N),
             "--batch-size", "256", "--normalise", "center-scale", "--threads", "1"])
        sae = os.path.join(out, "sae_5.h5")
        enc, _ = self.check_coact_file(sae, "trained_center_scale")
        self.assertEqual(enc["input_norm"], "center-scale")
        with h5py.File(self.acts, "r") as f:
            mean = f.attrs["norm_mean"] if "norm_mean" in f.attrs else None
        if mean is not None:
            np.testing.assert_allclose(enc["input_mean"], mean, rtol=1e-6)
        self.assertGreater(enc["input_scale"], 0)
        # Exported to SAELens, the factor and mean are folded into the weights: same codes from raw x.
        exported = self.path("exp_norm")
        run(["export", "--sae", sae, "--format", "saelens", "--out", exported, "--force"])
        with open(os.path.join(exported, "cfg.json")) as fh:
            self.assertEqual(json.load(fh)["normalize_activations"], "none")
        self.expect_package_codes(exported, "exp_norm_back", lambda x: sf.reference_encode(x, enc))

    # ---- SAELens -----------------------------------------------------------------------------

    def test_saelens_architectures_and_settings(self):
        t = sf.random_sae(self.rng, D, N)
        base = {k: t[k] for k in ("W_enc", "W_dec", "b_enc", "b_dec")}

        def ref(kind, **extra):
            return lambda x: sf.reference_encode(x, {**base, "kind": kind, **extra})

        folder = self.path("sl_standard")
        sf.write_saelens(folder, "standard", base)
        _, r = self.expect_package_codes(folder, "sl_standard", ref("relu"))
        assumed = [line for line in r.stderr.splitlines() if "assumed" in line]
        self.assertEqual(len(assumed), 1, r.stderr)  # the seed, which SAELens does not record
        self.assertIn("seed 0", assumed[0])

        folder = self.path("sl_no_bdec")
        sf.write_saelens(folder, "standard", base, apply_b_dec_to_input=False)
        self.expect_package_codes(folder, "sl_no_bdec", ref("relu", subtract_b_dec=False))

        folder = self.path("sl_topk")
        sf.write_saelens(folder, "topk", base, k=6)
        self.expect_package_codes(folder, "sl_topk", ref("topk", k=6))

        # rescale_acts_by_decoder_norm: TopK of pre·‖W_dec row‖; codes in that scaled space.
        folder = self.path("sl_topk_rescale")
        sf.write_saelens(folder, "topk", base, k=6, rescale_acts_by_decoder_norm=True)
        norms = np.linalg.norm(base["W_dec"].astype(np.float64), axis=1)
        scaled = {**base, "W_enc": base["W_enc"] * norms, "b_enc": base["b_enc"] * norms}
        sae, r = self.expect_package_codes(folder, "sl_topk_rescale",
                                           lambda x: sf.reference_encode(x, {**scaled, "kind": "topk", "k": 6}))
        self.assertIn("folded", r.stderr)

        theta = f32_abs(self.rng, N, 0.05, 0.3)
        folder = self.path("sl_jumprelu")
        sf.write_saelens(folder, "jumprelu", {**base, "threshold": theta})
        self.expect_package_codes(folder, "sl_jumprelu", ref("jumprelu", threshold=theta))

        gated = {"W_enc": base["W_enc"], "W_dec": base["W_dec"], "b_dec": base["b_dec"], "b_gate": base["b_enc"],
                 "r_mag": sf.f32(self.rng.normal(size=N) * 0.3), "b_mag": sf.f32(self.rng.normal(size=N) * 0.2)}
        folder = self.path("sl_gated")
        sf.write_saelens(folder, "gated", gated)
        self.expect_package_codes(folder, "sl_gated", ref("gated", r_mag=gated["r_mag"], b_mag=gated["b_mag"]))

        for mode, kind in (("constant_norm_rescale", "constant-norm"), ("layer_norm", "layer-norm")):
            folder = self.path("sl_" + mode)
            sf.write_saelens(folder, "standard", base, normalize_activations=mode)
            self.expect_package_codes(folder, "sl_" + mode, ref("relu", input_norm=kind))

        folder = self.path("sl_expected_average")
        sf.write_saelens(folder, "standard", base, normalize_activations="expected_average_only_in")
        self.expect_package_codes(folder, "sl_expected_average", ref("relu", input_norm="scale", input_scale=1.7),
                                  "--scaling-factor", "1.7")

        # A finetuning scaling factor scales the codes before the decoder: same codes, x̂ scaled.
        folder = self.path("sl_scaling_factor")
        scale = sf.f32(self.rng.uniform(0.5, 2.0, size=N))
        sf.write_saelens(folder, "standard", {**base, "scaling_factor": scale}, finetuning_scaling_factor=True)
        sae, _ = self.expect_package_codes(folder, "sl_scaling_factor", ref("relu"))
        with h5py.File(sae, "r") as f:
            np.testing.assert_allclose(f["W_dec"][...], base["W_dec"] * scale[:, None], rtol=1e-6)

        # BatchTopK and Matryoshka training saves: the global threshold of topk_threshold.
        folder = self.path("sl_batchtopk")
        sf.write_saelens(folder, "batchtopk", {**base, "topk_threshold": np.float32(0.2)}, k=4)
        self.expect_package_codes(folder, "sl_batchtopk", ref("batchtopk", threshold=np.full(N, 0.2, np.float32)))
        folder = self.path("sl_matryoshka")
        sf.write_saelens(folder, "matryoshka_batchtopk", {**base, "topk_threshold": np.float32(0.2)}, k=4,
                         matryoshka_widths=[8, 24, N])
        sae, _ = self.expect_package_codes(folder, "sl_matryoshka", ref("matryoshka", threshold=np.full(N, 0.2, np.float32)))
        self.assertEqual(sf.read_coact_sae(sae)["groups"], "8,16,24")

    def test_state_dict_without_cfg_records_its_assumptions(self):
        t = sf.random_sae(self.rng, D, N)
        pt = self.path("bare.pt")
        torch_format.save({k: torch_format.tensor(v) for k, v in t.items()}, pt)
        sae, r = self.expect_package_codes(pt, "bare", lambda x: sf.reference_encode(x, {**t, "kind": "relu"}))
        self.assertIn("assumed", r.stderr)
        with h5py.File(sae, "r") as f:
            self.assertIn("no config", f.attrs["import_assumptions"])
        # The weights file of a SAELens folder reads its cfg.json beside it.
        folder = self.path("sl_file")
        sf.write_saelens(folder, "topk", t, k=3)
        self.expect_package_codes(os.path.join(folder, "sae_weights.safetensors"), "sl_file",
                                  lambda x: sf.reference_encode(x, {**t, "kind": "topk", "k": 3}))

    # ---- sparsify --------------------------------------------------------------------------------

    def test_sparsify_folder_and_run(self):
        def sparsify_sae(folder, n=N, k=5):
            enc_w = sf.f32(self.rng.normal(size=(n, D)) / np.sqrt(D))
            enc_b = sf.f32(self.rng.normal(size=n) * 0.1)
            W_dec = sf.f32(self.rng.normal(size=(n, D)))
            b_dec = sf.f32(self.rng.normal(size=D) * 0.1)
            sf.write_sparsify(folder, enc_w, enc_b, W_dec, b_dec, k)
            # sparsify's SparseCoder.encode: topk(relu(F.linear(x − b_dec, encoder.weight, encoder.bias))).
            return lambda x: sf.reference_encode(x, {"kind": "topk", "k": k, "W_enc": enc_w.T, "b_enc": enc_b,
                                                      "W_dec": W_dec, "b_dec": b_dec})

        single = self.path("sp_single")
        ref = sparsify_sae(single)
        self.expect_package_codes(single, "sp_single", ref)

        run_root = self.path("sp_run")
        refs = {}
        for hook in ("layers.0.mlp", "layers.1.mlp"):
            for seed in (3, 9):
                refs[f"{hook}_sae_{seed}.h5"] = sparsify_sae(os.path.join(run_root, hook, f"seed{seed}"))
        out = self.path("sp_run_out")
        r = run(["import", "--from", run_root, "--out", out, "--force"])
        self.assertEqual(sorted(os.listdir(out)), sorted(refs))
        for name, reference in refs.items():
            sae = os.path.join(out, name)
            self.assertEqual(int(h5py.File(sae, "r").attrs["seed"]), int(name.split("_")[-1][:-3]))
            got, _ = self.encode(sae, "sp_" + name)
            want, near = reference(self.x[:got.shape[0]])
            sf.compare_codes(got, want, near, name)
        self.assertEqual(r.stdout.count("topk SAE"), 4)

    # ---- dictionary_learning ---------------------------------------------------------------------

    def test_dictionary_learning_classes(self):
        t = sf.random_sae(self.rng, D, N)
        W_enc, W_dec, b_enc, b_dec = (t[k].astype(np.float64) for k in ("W_enc", "W_dec", "b_enc", "b_dec"))
        dims = {"activation_dim": D, "dict_size": N}
        cases = {
            # AutoEncoder.encode: relu(encoder(x − bias)); decode: decoder(f) + bias.
            "AutoEncoder": ({"bias": b_dec, "encoder.weight": W_enc.T, "encoder.bias": b_enc, "decoder.weight": W_dec.T},
                            {"kind": "relu"}),
            # AutoEncoderNew: relu(encoder(x)), decoder with bias.
            "AutoEncoderNew": ({"encoder.weight": W_enc.T, "encoder.bias": b_enc, "decoder.weight": W_dec.T,
                                "decoder.bias": b_dec}, {"kind": "relu", "subtract_b_dec": False}),
            "AutoEncoderTopK": ({"encoder.weight": W_enc.T, "encoder.bias": b_enc, "decoder.weight": W_dec.T,
                                 "b_dec": b_dec, "k": np.array(5, np.int32), "threshold": np.array(0.1, np.float32)},
                                {"kind": "topk", "k": 5}),
            # BatchTopKSAE.encode(use_threshold=True): relu(pre)·[relu(pre) > θ].
            "BatchTopKSAE": ({"encoder.weight": W_enc.T, "encoder.bias": b_enc, "decoder.weight": W_dec.T,
                              "b_dec": b_dec, "k": np.array(5, np.int32), "threshold": np.array(0.15, np.float32)},
                             {"kind": "batchtopk", "threshold": np.full(N, 0.15)}),
            "MatryoshkaBatchTopKSAE": ({"W_enc": W_enc, "b_enc": b_enc, "W_dec": W_dec, "b_dec": b_dec,
                                        "k": np.array(5, np.int32), "threshold": np.array(0.15, np.float32),
                                        "group_sizes": np.array([16, 32], np.int64)},
                                       {"kind": "matryoshka", "threshold": np.full(N, 0.15)}),
            # JumpReluAutoEncoder: relu(pre·[pre > θ]), pre = x W_enc + b_enc (no b_dec).
            "JumpReluAutoEncoder": ({"W_enc": W_enc, "b_enc": b_enc, "W_dec": W_dec, "b_dec": b_dec,
                                     "threshold": np.linspace(0.0, 0.3, N)},
                                    {"kind": "jumprelu", "subtract_b_dec": False, "threshold": np.linspace(0.0, 0.3, N)}),
            # GatedAutoEncoder: [x_enc + gate_bias > 0]·relu(exp(r_mag)·x_enc + mag_bias).
            "GatedAutoEncoder": ({"decoder_bias": b_dec, "encoder.weight": W_enc.T, "r_mag": np.linspace(-0.3, 0.3, N),
                                  "gate_bias": b_enc, "mag_bias": np.linspace(-0.2, 0.1, N), "decoder.weight": W_dec.T},
                                 {"kind": "gated", "r_mag": np.linspace(-0.3, 0.3, N), "b_mag": np.linspace(-0.2, 0.1, N)}),
        }
        for dict_class, (state, enc) in cases.items():
            folder = self.path("dl_" + dict_class)
            sf.write_dictionary_learning(folder, dict_class, state, k=5, **dims) if "k" in state else \
                sf.write_dictionary_learning(folder, dict_class, state, **dims)
            want = {"W_enc": W_enc, "W_dec": W_dec, "b_enc": b_enc, "b_dec": b_dec, **enc}
            sae, _ = self.expect_package_codes(folder, "dl_" + dict_class, lambda x, w=want: sf.reference_encode(x, w))
            self.assertEqual(sf.read_coact_sae(sae)["kind"], enc["kind"], dict_class)
        # The "not learned yet" threshold −1 keeps every positive activation, as θ = 0 does.
        state, _ = cases["BatchTopKSAE"]
        folder = self.path("dl_unlearned")
        sf.write_dictionary_learning(folder, "BatchTopKSAE", {**state, "threshold": np.array(-1.0, np.float32)}, k=5, **dims)
        self.expect_package_codes(folder, "dl_unlearned",
                                  lambda x: sf.reference_encode(x, {"W_enc": W_enc, "W_dec": W_dec, "b_enc": b_enc,
                                                                    "b_dec": b_dec, "kind": "relu"}))

    # ---- OpenAI, Gemma Scope, Goodfire ----------------------------------------------------------

    def test_openai_gemma_scope_goodfire(self):
        t = sf.random_sae(self.rng, D, N)
        W_enc, W_dec, b_enc, b_dec = (t[k] for k in ("W_enc", "W_dec", "b_enc", "b_dec"))
        tensor = torch_format.tensor
        # openai/sparse_autoencoder: TopK with LN preprocessing (from_state_dict), k in activation_state_dict.
        pt = self.path("openai_topk.pt")
        torch_format.save({"pre_bias": tensor(b_dec), "latent_bias": tensor(b_enc), "encoder.weight": tensor(W_enc.T.copy()),
                           "decoder.weight": tensor(W_dec.T.copy()), "stats_last_nonzero": tensor(np.zeros(N, np.int64)),
                           "activation": "TopK", "activation_state_dict": {"k": tensor(np.array(6, np.int64))}}, pt)
        self.expect_package_codes(pt, "openai_topk",
                                  lambda x: sf.reference_encode(x, {**t, "kind": "topk", "k": 6, "input_norm": "layer-norm"}))
        pt = self.path("openai_relu.pt")
        torch_format.save({"pre_bias": tensor(b_dec), "latent_bias": tensor(b_enc), "encoder.weight": tensor(W_enc.T.copy()),
                           "decoder.weight": tensor(W_dec.T.copy()), "activation": "ReLU"}, pt)
        self.expect_package_codes(pt, "openai_relu", lambda x: sf.reference_encode(x, {**t, "kind": "relu"}))

        # Gemma Scope: params.npz (W_enc, ..., threshold), pre = x W_enc + b_enc, relu(pre)·[pre > θ].
        theta = f32_abs(self.rng, N, 0.0, 0.3)
        folder = self.path("gemma_scope")
        os.makedirs(folder, exist_ok=True)
        np.savez(os.path.join(folder, "params.npz"), W_enc=W_enc, W_dec=W_dec, b_enc=b_enc, b_dec=b_dec, threshold=theta)
        ref = lambda x: sf.reference_encode(x, {**t, "kind": "jumprelu", "subtract_b_dec": False, "threshold": theta})
        self.expect_package_codes(folder, "gemma_scope_npz", ref)
        compressed = self.path("gemma_compressed.npz")
        np.savez_compressed(compressed, W_enc=W_enc, W_dec=W_dec, b_enc=b_enc, b_dec=b_dec, threshold=theta)
        self.expect_package_codes(compressed, "gemma_scope_deflate", ref)
        folder2 = self.path("gemma_scope_2")
        os.makedirs(folder2, exist_ok=True)
        sf.save_safetensors(os.path.join(folder2, "params.safetensors"),
                            {"w_enc": W_enc, "w_dec": W_dec, "b_enc": b_enc, "b_dec": b_dec, "threshold": theta})
        sf.write_json(os.path.join(folder2, "config.json"), {"architecture": "jump_relu", "model_name": "gemma-3-1b-pt"})
        self.expect_package_codes(folder2, "gemma_scope_2", ref)

        # Goodfire: relu(encoder_linear(x)), decoder_linear with bias.
        pt = self.path("goodfire.pth")
        torch_format.save({"encoder_linear.weight": tensor(W_enc.T.copy()), "encoder_linear.bias": tensor(b_enc),
                           "decoder_linear.weight": tensor(W_dec.T.copy()), "decoder_linear.bias": tensor(b_dec)}, pt)
        self.expect_package_codes(pt, "goodfire", lambda x: sf.reference_encode(x, {**t, "kind": "relu", "subtract_b_dec": False}))

    # ---- the other commands that encode ------------------------------------------------------

    def test_graph_compare_and_inspect_encode_with_the_kind(self):
        """graph's feature frequencies and compare --match activations' correlations come from each
        SAE's own kind and normalisation (gated with layer-normalised inputs, jumprelu without
        b_dec subtraction); inspect runs on both."""
        t = sf.random_sae(self.rng, D, N, bias=0.0)
        gated = {"W_enc": t["W_enc"], "W_dec": t["W_dec"], "b_dec": t["b_dec"], "b_gate": t["b_enc"],
                 "r_mag": sf.f32(self.rng.normal(size=N) * 0.2), "b_mag": sf.f32(self.rng.normal(size=N) * 0.1 - 0.05)}
        folder = self.path("cmd_gated")
        sf.write_saelens(folder, "gated", gated, normalize_activations="layer_norm")
        folder2 = self.path("cmd_jumprelu")
        os.makedirs(folder2, exist_ok=True)
        u = sf.random_sae(self.rng, D, N, bias=0.0)
        np.savez(os.path.join(folder2, "params.npz"), threshold=f32_abs(self.rng, N, 0.0, 0.2), **u)
        saes, graphs, codes = [], [], []
        for name, source in (("cmd_gated", folder), ("cmd_jumprelu", folder2)):
            sae, _ = self.import_sae(source, name)
            graph = self.path(name + ".graph.h5")
            run(["graph", "--sae", sae, "--activations", self.acts, "--out", graph, "--batch-tokens", "1000",
                 "--num-batches", "4", "--force"])
            z, _ = sf.reference_encode(self.x[:4000], sf.read_coact_sae(sae))
            with h5py.File(graph, "r") as f:
                np.testing.assert_allclose(f["nodes/frequency"][...], (z > 0).mean(axis=0), atol=1e-12, err_msg=name)
            saes.append(sae)
            graphs.append(graph)
            codes.append(z)
        out = self.path("cmd_compare.h5")
        run(["compare", "--sae", *saes, "--graphs", *graphs, "--match", "activations", "--activations", self.acts,
             self.acts, "--correlation-batch-tokens", "1000", "--correlation-batches", "4", "--out", out, "--force"])
        with h5py.File(out, "r") as f:
            pair = f["pairs/0_1"]
            matching, corr = pair["matching"][...], pair["activation_correlation"][...]
        for i in range(0, N, 7):
            a, b = codes[0][:, i], codes[1][:, matching[i]]
            if a.std() > 0 and b.std() > 0:
                self.assertAlmostEqual(float(corr[i]), float(np.corrcoef(a, b)[0, 1]), places=4)
        for sae, graph in zip(saes, graphs):
            r = run(["inspect", "--feature", "3", "--graph", graph, "--sae", sae, "--activations", self.acts])
            self.assertIn("3", r.stdout)

    # ---- export round trips ----------------------------------------------------------------------

    def test_export_round_trip_for_every_kind(self):
        t = sf.random_sae(self.rng, D, N)
        sources = {"relu": ("standard", t, {}), "topk": ("topk", t, {"k": 5}),
                   "jumprelu": ("jumprelu", {**t, "threshold": f32_abs(self.rng, N, 0.0, 0.2)}, {}),
                   "gated": ("gated", {"W_enc": t["W_enc"], "W_dec": t["W_dec"], "b_dec": t["b_dec"], "b_gate": t["b_enc"],
                                       "r_mag": sf.f32(np.linspace(-0.2, 0.2, N)), "b_mag": sf.f32(np.linspace(-0.1, 0.2, N))}, {})}
        for kind, (arch, tensors, cfg) in sources.items():
            folder = self.path("rt_src_" + kind)
            sf.write_saelens(folder, arch, tensors, apply_b_dec_to_input=kind != "gated", **cfg)
            first, _ = self.import_sae(folder, "rt_first_" + kind)
            exported = self.path("rt_exp_" + kind)
            run(["export", "--sae", first, "--format", "saelens", "--out", exported, "--force"])
            second, _ = self.import_sae(exported, "rt_second_" + kind)
            a, b = sf.read_coact_sae(first), sf.read_coact_sae(second)
            for key in ("W_enc", "W_dec", "b_enc", "b_dec", "threshold", "r_mag", "b_mag"):
                if key in a:
                    np.testing.assert_array_equal(a[key], b[key], err_msg=f"{kind}: {key}")
            self.assertEqual((a["kind"], a["subtract_b_dec"], a["k"]), (b["kind"], b["subtract_b_dec"], b["k"]))

    # ---- bad input -------------------------------------------------------------------------------

    def expect_refusal(self, source, *fragments, extra=(), out=None):
        out = out or self.path("refused.h5")
        r = run(["import", "--from", source, "--out", out, *extra], check=False)
        self.assertNotEqual(r.returncode, 0, r.stdout)
        lines = [line for line in r.stderr.splitlines() if line.startswith("coact")]
        self.assertEqual(len(lines), 1, r.stderr)
        for fragment in fragments:
            self.assertIn(fragment, lines[0])
        self.assertFalse(os.path.exists(out), "no output on bad input")

    def test_bad_inputs_are_refused_by_file_and_key(self):
        t = sf.random_sae(self.rng, D, N)

        def saelens(name, arch, tensors, **cfg):
            folder = self.path("bad_" + name)
            sf.write_saelens(folder, arch, tensors, **cfg)
            return folder

        self.expect_refusal(saelens("arch", "abstopk", t), "cfg.json", "architecture", "abstopk")
        self.expect_refusal(saelens("d_sae", "standard", t, d_sae=N + 1), "cfg.json", "d_sae")
        self.expect_refusal(saelens("k", "topk", t, k=N + 1), "cfg.json", "k", str(N + 1))
        self.expect_refusal(saelens("negative", "jumprelu", {**t, "threshold": sf.f32(np.full(N, -0.1))}),
                            "bad_negative", "threshold", "negative")
        self.expect_refusal(saelens("missing", "jumprelu", t), "sae_weights.safetensors", "threshold")
        nan = dict(t)
        nan["W_dec"] = t["W_dec"].copy()
        nan["W_dec"][3, 4] = np.nan
        self.expect_refusal(saelens("nan", "standard", nan), "sae_weights.safetensors", "W_dec", "nan")
        self.expect_refusal(saelens("extra", "standard", {**t, "W_skip": sf.f32(np.zeros((D, D)))}),
                            "sae_weights.safetensors", "W_skip")
        self.expect_refusal(saelens("scaling", "standard", {**t, "scaling_factor": sf.f32(np.full(N, 2.0))}),
                            "scaling_factor", "finetuning_scaling_factor")
        self.expect_refusal(saelens("average", "standard", t, normalize_activations="expected_average_only_in"),
                            "cfg.json", "normalize_activations", "--scaling-factor")
        self.expect_refusal(saelens("whitening", "standard", t, normalize_activations="covariance_whitening"),
                            "cfg.json", "normalize_activations", "covariance_whitening")
        self.expect_refusal(saelens("reshape", "standard", t, reshape_activations="hook_q"), "reshape_activations")
        # sparsify: groupmax, a skip connection, and a run folder of mixed widths.
        folder = self.path("bad_groupmax")
        sf.write_sparsify(folder, t["W_enc"].T, t["b_enc"], t["W_dec"], t["b_dec"], 4, activation="groupmax")
        self.expect_refusal(folder, "cfg.json", "activation", "groupmax")
        run_root = self.path("bad_mixed_run")
        sf.write_sparsify(os.path.join(run_root, "layers.0"), t["W_enc"].T, t["b_enc"], t["W_dec"], t["b_dec"], 4)
        wide = sf.random_sae(self.rng, D, 2 * N)
        sf.write_sparsify(os.path.join(run_root, "layers.1"), wide["W_enc"].T, wide["b_enc"], wide["W_dec"], wide["b_dec"], 4)
        out_dir = self.path("bad_mixed_out")
        self.expect_refusal(run_root, "layers.1", "cfg.json", "num_latents", out=out_dir)
        # dictionary_learning: a class this reader does not know; an ambiguous ae.pt without config.
        folder = self.path("bad_dl")
        sf.write_dictionary_learning(folder, "CrossCoder", {"W_enc": t["W_enc"]})
        self.expect_refusal(folder, "config.json", "dict_class", "CrossCoder")


def f32_abs(rng, n, lo, hi):
    return sf.f32(rng.uniform(lo, hi, size=n))


if __name__ == "__main__":
    unittest.main(argv=[sys.argv[0]], verbosity=2)
