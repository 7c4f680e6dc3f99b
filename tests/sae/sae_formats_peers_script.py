"""The real packages' side of sae_formats_peers_test.py (runs in the peers virtualenv): builds
SAEs with random parameters in SAELens, dictionary_learning and EleutherAI sparsify, saves them
as each package saves them, writes OpenAI and Gemma Scope layouts with torch/numpy (no package
writes those), and stores each package's own encode of the test rows; then loads coact's
SAELens exports with SAELens and stores its encode of them.

  usage: sae_formats_peers_script.py WORK save|exports
"""
import json
import os
import sys

import numpy as np
import torch

WORK, STAGE = sys.argv[1], sys.argv[2]
x = torch.tensor(np.load(os.path.join(WORK, "x.npy")))
D = x.shape[1]
N = 4 * D
torch.manual_seed(0)
cases = {}


def randomise(module, scale=1.0):
    with torch.no_grad():
        for name, p in module.named_parameters():
            p.copy_(torch.randn_like(p) * scale / np.sqrt(D))


def record(name, codes):
    """A package's codes (dense) of the test rows."""
    np.save(os.path.join(WORK, f"codes_{name}.npy"), codes.detach().double().numpy())
    cases[name] = os.path.join(WORK, name)


def saelens_cases():
    from sae_lens import (SAE, GatedSAE, GatedSAEConfig, JumpReLUSAE, JumpReLUSAEConfig, StandardSAE,
                          StandardSAEConfig, TopKSAE, TopKSAEConfig)
    from sae_lens.saes.batchtopk_sae import BatchTopKTrainingSAE, BatchTopKTrainingSAEConfig

    def save(name, sae):
        folder = os.path.join(WORK, name)
        sae.save_model(folder)
        loaded = SAE.load_from_disk(folder, device="cpu")
        record(name, loaded.encode(x))

    for apply_b_dec, norm in ((True, "none"), (False, "none"), (True, "constant_norm_rescale"), (True, "layer_norm")):
        sae = StandardSAE(StandardSAEConfig(d_in=D, d_sae=N, apply_b_dec_to_input=apply_b_dec, normalize_activations=norm))
        randomise(sae)
        with torch.no_grad():
            sae.b_enc -= 0.2
        save(f"saelens_standard_{int(apply_b_dec)}_{norm}", sae)
    for rescale in (False, True):
        sae = TopKSAE(TopKSAEConfig(d_in=D, d_sae=N, k=6, rescale_acts_by_decoder_norm=rescale))
        randomise(sae)
        save(f"saelens_topk_{int(rescale)}", sae)
    sae = JumpReLUSAE(JumpReLUSAEConfig(d_in=D, d_sae=N))
    randomise(sae)
    with torch.no_grad():
        sae.threshold.copy_(torch.rand(N) * 0.3)
    save("saelens_jumprelu", sae)
    sae = GatedSAE(GatedSAEConfig(d_in=D, d_sae=N))
    randomise(sae)
    save("saelens_gated", sae)
    # A BatchTopK training SAE with a learned threshold, saved for inference (as a jumprelu SAE).
    sae = BatchTopKTrainingSAE(BatchTopKTrainingSAEConfig(d_in=D, d_sae=N, k=4, rescale_acts_by_decoder_norm=True))
    randomise(sae)
    sae.topk_threshold = torch.tensor(0.15, dtype=torch.double)
    folder = os.path.join(WORK, "saelens_batchtopk")
    sae.save_inference_model(folder)
    record("saelens_batchtopk", SAE.load_from_disk(folder, device="cpu").encode(x))


def dictionary_learning_cases():
    from dictionary_learning.dictionary import AutoEncoder, GatedAutoEncoder, JumpReluAutoEncoder
    from dictionary_learning.trainers.batch_top_k import BatchTopKSAE
    from dictionary_learning.trainers.matryoshka_batch_top_k import MatryoshkaBatchTopKSAE
    from dictionary_learning.trainers.top_k import AutoEncoderTopK

    def save(name, ae, dict_class, **extra):
        folder = os.path.join(WORK, name)
        os.makedirs(folder, exist_ok=True)
        torch.save({k: v.cpu() for k, v in ae.state_dict().items()}, os.path.join(folder, "ae.pt"))
        with open(os.path.join(folder, "config.json"), "w") as fh:
            json.dump({"trainer": {"dict_class": dict_class, "activation_dim": D, "dict_size": N, "seed": 5,
                                   "lm_name": "test", **extra}}, fh)
        with torch.no_grad():
            record(name, ae.encode(x))

    ae = AutoEncoder(D, N)
    randomise(ae)
    save("dl_autoencoder", ae, "AutoEncoder")
    ae = AutoEncoderTopK(D, N, 6)
    randomise(ae)
    save("dl_topk", ae, "AutoEncoderTopK", k=6)
    ae = BatchTopKSAE(D, N, 6)
    randomise(ae)
    ae.threshold = torch.tensor(0.12)
    save("dl_batchtopk", ae, "BatchTopKSAE", k=6)
    ae = MatryoshkaBatchTopKSAE(D, N, 6, [N // 4, N // 4, N // 2])
    randomise(ae)
    ae.threshold = torch.tensor(0.12)
    save("dl_matryoshka", ae, "MatryoshkaBatchTopKSAE", k=6)
    ae = JumpReluAutoEncoder(D, N)
    randomise(ae)
    with torch.no_grad():
        ae.threshold.copy_(torch.rand(N) * 0.2)
    save("dl_jumprelu", ae, "JumpReluAutoEncoder")
    ae = GatedAutoEncoder(D, N)
    randomise(ae)
    save("dl_gated", ae, "GatedAutoEncoder")


def dense_topk(n, acts, indices):
    out = torch.zeros(acts.shape[0], n)
    out.scatter_(1, indices, acts.float())
    return out


def sparsify_cases():
    from sparsify import SparseCoder, SparseCoderConfig

    def make(seed):
        torch.manual_seed(seed)
        sae = SparseCoder(D, SparseCoderConfig(num_latents=N, k=5))
        randomise(sae)
        return sae

    sae = make(1)
    folder = os.path.join(WORK, "sparsify_single")
    sae.save_to_disk(folder)
    loaded = SparseCoder.load_from_disk(folder)
    with torch.no_grad():
        out = loaded.encode(x)
    record("sparsify_single", dense_topk(N, out.top_acts, out.top_indices))
    # A run: two hookpoints, two seeds each, as the trainer lays them out (<hook>/seed<N>).
    run = os.path.join(WORK, "sparsify_run")
    for hook in ("layers.0.mlp", "layers.1.mlp"):
        for seed in (0, 7):
            sae = make(100 + seed + len(hook))
            folder = os.path.join(run, hook, f"seed{seed}")
            sae.save_to_disk(folder)
            with torch.no_grad():
                out = SparseCoder.load_from_disk(folder).encode(x)
            np.save(os.path.join(WORK, f"codes_run_{hook}_sae_{seed}.npy"),
                    dense_topk(N, out.top_acts, out.top_indices).double().numpy())


def openai_and_gemma_scope_cases():
    # openai/sparse_autoencoder's Autoencoder (model.py), written out: LN, then TopK of
    # encoder(x − pre_bias) + latent_bias with ReLU on the kept values.
    enc = torch.randn(N, D) / np.sqrt(D)
    dec = torch.randn(D, N) / np.sqrt(D)
    pre_bias, latent_bias = torch.randn(D) * 0.1, torch.randn(N) * 0.1
    path = os.path.join(WORK, "openai.pt")
    torch.save({"pre_bias": pre_bias, "latent_bias": latent_bias, "encoder.weight": enc, "decoder.weight": dec,
                "activation": "TopK", "activation_state_dict": {"k": torch.tensor(6)},
                "stats_last_nonzero": torch.zeros(N, dtype=torch.long)}, path)
    mu = x.mean(dim=-1, keepdim=True)
    xc = x - mu
    xn = xc / (xc.std(dim=-1, keepdim=True) + 1e-5)
    pre = torch.nn.functional.linear(xn - pre_bias, enc, latent_bias)
    top = torch.topk(pre, k=6, dim=-1)
    codes = torch.zeros_like(pre).scatter_(-1, top.indices, torch.relu(top.values))
    record("openai.pt", codes)
    # Gemma Scope's JumpReLUSAE (the tutorial's class): relu(pre)·[pre > θ], pre = x W_enc + b_enc.
    W_enc, W_dec = torch.randn(D, N) / np.sqrt(D), torch.randn(N, D) / np.sqrt(D)
    b_enc, b_dec, theta = torch.randn(N) * 0.1, torch.randn(D) * 0.1, torch.rand(N) * 0.3
    folder = os.path.join(WORK, "gemma_scope")
    os.makedirs(folder, exist_ok=True)
    np.savez(os.path.join(folder, "params.npz"), W_enc=W_enc.numpy(), W_dec=W_dec.numpy(), b_enc=b_enc.numpy(),
             b_dec=b_dec.numpy(), threshold=theta.numpy())
    pre = x @ W_enc + b_enc
    record("gemma_scope", torch.relu(pre) * (pre > theta))


def exports():
    from sae_lens import SAE
    names = json.load(open(os.path.join(WORK, "exports.json")))
    for name in names:
        sae = SAE.load_from_disk(os.path.join(WORK, name), device="cpu")
        np.save(os.path.join(WORK, f"saelens_{name}.npy"), sae.encode(x).detach().double().numpy())
        z = torch.tensor(np.load(os.path.join(WORK, f"coact_{name}.npy")), dtype=torch.float32)
        np.save(os.path.join(WORK, f"saelens_decode_{name}.npy"), sae.decode(z).detach().double().numpy())
        print(name, type(sae).__name__, "loaded")


if STAGE == "save":
    saelens_cases()
    dictionary_learning_cases()
    sparsify_cases()
    openai_and_gemma_scope_cases()
    with open(os.path.join(WORK, "cases.json"), "w") as fh:
        json.dump(cases, fh)
    print(len(cases), "package SAEs saved")
else:
    exports()
