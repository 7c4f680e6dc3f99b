#!/usr/bin/python3
"""coact record against TransformerLens itself (label `peers`): a HookedTransformer built from a
config (random weights, LayerNorm scales and biases perturbed so none is trivial) writes its
state dict (safetensors and torch.save .pt) and its config (cfg.to_dict() as JSON), and its
run_with_cache activations and logits for random tokens; coact records the same hooks from
those files and must agree to 1e-4 relative.

Usage: transformerlens_peers_test.py path/to/coact
       (the TransformerLens half runs in tools/peers-venv.sh's python, whose numpy cannot load
       Debian's h5py: the halves exchange .npy, .safetensors and .pt files)
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile

import numpy as np

SOURCE = os.environ.get("COACT_SOURCE_DIR", os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
HOOKS = ["blocks.0.hook_resid_pre", "blocks.0.hook_resid_mid", "blocks.1.mlp.hook_pre", "blocks.1.mlp.hook_post",
         "blocks.1.hook_resid_post"]
CONFIGS = {
    "erf": dict(n_layers=2, d_model=48, n_heads=4, d_head=12, d_mlp=96, d_vocab=101, n_ctx=32, act_fn="gelu",
                normalization_type="LN", model_name="tl-erf"),
    "tanh": dict(n_layers=2, d_model=32, n_heads=2, d_head=20, d_mlp=80, d_vocab=67, n_ctx=20, act_fn="gelu_new",
                 normalization_type="LN", model_name="tl-tanh"),
}
SEQUENCES, SEQ_LEN = 6, 20


def peer(directory):
    """In the venv: build each model, save its files, its activations and logits."""
    import torch
    from safetensors.torch import save_file
    from transformer_lens import HookedTransformer, HookedTransformerConfig

    torch.manual_seed(0)
    for name, cfg in CONFIGS.items():
        model = HookedTransformer(HookedTransformerConfig(**cfg, seed=1, device="cpu"))
        with torch.no_grad():
            for parameter in model.parameters():
                parameter.add_(0.1 * torch.randn_like(parameter))
        state = {k: v.contiguous() for k, v in model.state_dict().items()}
        save_file(state, os.path.join(directory, f"{name}.safetensors"))
        torch.save(state, os.path.join(directory, f"{name}.pt"))
        with open(os.path.join(directory, f"{name}_config.json"), "w") as f:
            json.dump(model.cfg.to_dict(), f, default=str)
        tokens = torch.from_numpy(np.load(os.path.join(directory, f"{name}_tokens.npy"))).long()
        with torch.no_grad():
            logits, cache = model.run_with_cache(tokens)
        np.save(os.path.join(directory, f"{name}_logits.npy"), logits.reshape(-1, logits.shape[-1]).detach().numpy())
        for hook in HOOKS:
            value = cache[hook]
            np.save(os.path.join(directory, f"{name}_{hook}.npy"), value.reshape(-1, value.shape[-1]).detach().numpy())


def main():
    import h5py

    coact = sys.argv[1]
    directory = tempfile.mkdtemp(prefix="coact_tl_peers_")
    rng = np.random.default_rng(11)
    for name, cfg in CONFIGS.items():
        np.save(os.path.join(directory, f"{name}_tokens.npy"),
                rng.integers(0, cfg["d_vocab"], (SEQUENCES, SEQ_LEN)).astype(np.int32))
    python = subprocess.run([os.path.join(SOURCE, "tools", "peers-venv.sh"), "transformer-lens"], check=True,
                            capture_output=True, text=True).stdout.strip()
    subprocess.run([python, os.path.abspath(__file__), "--peer", directory], check=True)

    failures = []
    for name in CONFIGS:
        for hook in HOOKS + ["logits"]:
            for weights in ("safetensors", "pt"):
                out = os.path.join(directory, "acts.h5")
                r = subprocess.run([coact, "record", "--model", os.path.join(directory, f"{name}.{weights}"),
                                    "--model-config", os.path.join(directory, f"{name}_config.json"),
                                    "--tokens", os.path.join(directory, f"{name}_tokens.npy"), "--seq-len",
                                    str(SEQ_LEN), "--hook", hook, "--out", out, "--force"],
                                   capture_output=True, text=True)
                if r.returncode != 0:
                    failures.append(f"{name} {hook} {weights}: {r.stderr.strip()}")
                    continue
                with h5py.File(out, "r") as f:
                    got = f["activations"][...].astype(np.float64)
                want = np.load(os.path.join(directory, f"{name}_{hook}.npy")).astype(np.float64)
                error = (np.abs(got - want) / (np.abs(want) + np.abs(want).mean())).max() if got.shape == want.shape \
                    else np.inf
                print(f"{name:5} {weights:11} {hook:26} worst relative error {error:.2e}")
                if not error < 1e-4:
                    failures.append(f"{name} {hook} {weights}: {error:.3g} (shapes {got.shape} {want.shape})")
    shutil.rmtree(directory, ignore_errors=True)
    if failures:
        print("FAILED:\n  " + "\n  ".join(failures))
        sys.exit(1)
    print("OK: coact matches TransformerLens on every hook and the logits")


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--peer":
        peer(sys.argv[2])
    else:
        main()
