#!/usr/bin/env python3
"""Forward tokens/s of a gelu-1l-shaped model (random weights: d_model 512, d_mlp 2048, 8 heads,
one layer, vocab 48,262, sequences of 128) on the CPU: coact's forward pass (bench_forward)
against a PyTorch CPU forward of the same weights and tokens, in the same run, same threads.

  - hook: the pass `coact record` runs (embedding, attention, MLP up to blocks.0.mlp.hook_post)
  - loss: the whole model, through the unembedding to the next-token losses
  - record: `coact record` end to end (tokens in, store written), with its share of time writing

coact's hook activations and losses are checked against PyTorch's before any figure is printed.

    bench/model/bench_forward.py BUILD_DIR [--sequences 128] [--batch 32] [--repeats 3] [--threads N]

Rounds alternate coact and PyTorch (one timed pass each per mode), so both see the same load;
the table gives medians over the rounds (the machine is shared).

Run with tools/peers-venv.sh's python (PyTorch 2.x); it needs numpy and torch only.
"""
import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time

import numpy as np
import torch
import torch.nn.functional as F

CFG = dict(model_name="gelu-1l-random", n_layers=1, d_model=512, n_heads=8, d_head=64, d_mlp=2048, d_vocab=48262,
           d_vocab_out=48262, n_ctx=1024, act_fn="gelu", normalization_type="LN",
           positional_embedding_type="standard", eps=1e-5)


def write_safetensors(path, tensors):
    header, offset, chunks = {}, 0, []
    for name, array in tensors.items():
        raw = np.ascontiguousarray(array, np.float32).tobytes()
        header[name] = {"dtype": "F32", "shape": list(array.shape), "data_offsets": [offset, offset + len(raw)]}
        offset += len(raw)
        chunks.append(raw)
    text = json.dumps(header).encode()
    text += b" " * ((8 - len(text) % 8) % 8)
    with open(path, "wb") as f:
        f.write(len(text).to_bytes(8, "little") + text)
        for chunk in chunks:
            f.write(chunk)


def random_weights(rng):
    d, H, dh, m, V = CFG["d_model"], CFG["n_heads"], CFG["d_head"], CFG["d_mlp"], CFG["d_vocab"]
    n = lambda *s, scale=0.02: (rng.standard_normal(s, dtype=np.float32) * scale)  # noqa: E731
    return {"embed.W_E": n(V, d, scale=0.1), "pos_embed.W_pos": n(CFG["n_ctx"], d, scale=0.1),
            "blocks.0.ln1.w": 1 + n(d, scale=0.1), "blocks.0.ln1.b": n(d), "blocks.0.ln2.w": 1 + n(d, scale=0.1),
            "blocks.0.ln2.b": n(d), "blocks.0.attn.W_Q": n(H, d, dh, scale=0.05), "blocks.0.attn.W_K": n(H, d, dh, scale=0.05),
            "blocks.0.attn.W_V": n(H, d, dh, scale=0.05), "blocks.0.attn.b_Q": n(H, dh), "blocks.0.attn.b_K": n(H, dh),
            "blocks.0.attn.b_V": n(H, dh), "blocks.0.attn.W_O": n(H, dh, d, scale=0.05), "blocks.0.attn.b_O": n(d),
            "blocks.0.mlp.W_in": n(d, m, scale=0.05), "blocks.0.mlp.b_in": n(m), "blocks.0.mlp.W_out": n(m, d),
            "blocks.0.mlp.b_out": n(d), "ln_final.w": 1 + n(d, scale=0.1), "ln_final.b": n(d),
            "unembed.W_U": n(d, V, scale=0.05), "unembed.b_U": n(V)}


class TorchModel:
    """The same forward in PyTorch: F.layer_norm, matmuls, scaled_dot_product_attention (causal),
    F.gelu, F.cross_entropy; inference mode."""

    def __init__(self, w):
        t = {k: torch.from_numpy(v) for k, v in w.items()}
        H, d, dh = CFG["n_heads"], CFG["d_model"], CFG["d_head"]
        self.t = t
        self.w_qkv = torch.cat([t[f"blocks.0.attn.W_{p}"].permute(1, 0, 2).reshape(d, H * dh) for p in "QKV"], 1)
        self.b_qkv = torch.cat([t[f"blocks.0.attn.b_{p}"].reshape(-1) for p in "QKV"])
        self.w_o = t["blocks.0.attn.W_O"].reshape(H * dh, d)

    def forward(self, ids, losses):
        t, H, dh, eps = self.t, CFG["n_heads"], CFG["d_head"], CFG["eps"]
        S, T = ids.shape
        d = CFG["d_model"]
        x = t["embed.W_E"][ids] + t["pos_embed.W_pos"][:T]
        h = F.layer_norm(x, (d,), t["blocks.0.ln1.w"], t["blocks.0.ln1.b"], eps)
        q, k, v = torch.addmm(self.b_qkv, h.reshape(S * T, d), self.w_qkv).reshape(S, T, 3, H, dh).permute(2, 0, 3, 1, 4)
        z = F.scaled_dot_product_attention(q, k, v, is_causal=True).transpose(1, 2).reshape(S * T, H * dh)
        x = x + torch.addmm(t["blocks.0.attn.b_O"], z, self.w_o).reshape(S, T, d)
        h = F.layer_norm(x, (d,), t["blocks.0.ln2.w"], t["blocks.0.ln2.b"], eps)
        post = F.gelu(torch.addmm(t["blocks.0.mlp.b_in"], h.reshape(S * T, d), t["blocks.0.mlp.W_in"]))
        if not losses:
            return post
        x = x + torch.addmm(t["blocks.0.mlp.b_out"], post, t["blocks.0.mlp.W_out"]).reshape(S, T, d)
        h = F.layer_norm(x, (d,), t["ln_final.w"], t["ln_final.b"], eps)
        logits = torch.addmm(t["unembed.b_U"], h.reshape(S * T, d), t["unembed.W_U"]).reshape(S, T, -1)
        loss = F.cross_entropy(logits[:, :-1].reshape(-1, logits.shape[-1]), ids[:, 1:].reshape(-1), reduction="none")
        return torch.cat([loss.reshape(S, T - 1), torch.zeros(S, 1)], 1).reshape(-1)


def time_torch(model, ids, batch, losses):
    """Tokens/s of one pass over every sequence."""
    with torch.inference_mode():
        start = time.perf_counter()
        for i in range(0, len(ids), batch):
            model.forward(ids[i:i + batch], losses)
        return ids.numel() / (time.perf_counter() - start)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("build")
    ap.add_argument("--sequences", type=int, default=128)
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--repeats", type=int, default=3, help="rounds")
    ap.add_argument("--threads", type=int, default=os.cpu_count())
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    env = dict(os.environ, OMP_NUM_THREADS=str(a.threads), OPENBLAS_NUM_THREADS=str(a.threads))
    rng = np.random.default_rng(0)
    w = random_weights(rng)
    T = 128
    ids = rng.integers(0, CFG["d_vocab"], (a.sequences, T)).astype(np.int32)
    with tempfile.TemporaryDirectory(prefix="coact_bench_forward_") as tmp:
        weights, config, tokens = (os.path.join(tmp, n) for n in ("w.safetensors", "cfg.json", "tokens.npy"))
        write_safetensors(weights, w)
        with open(config, "w") as f:
            json.dump(CFG, f)
        np.save(tokens, ids)

        # Rounds alternate coact and PyTorch (one timed pass over all sequences per mode each), so
        # both see the same machine load; the figures are the medians over the rounds.
        model = TorchModel(w)
        tids = torch.from_numpy(ids).long()
        with torch.inference_mode():  # warm-up, and the outputs to verify
            hook_ref = model.forward(tids[:a.batch], False).numpy().copy()
            loss_ref = model.forward(tids[:a.batch], True).numpy().copy()
        rounds = {"coact hook": [], "coact loss": [], "torch hook": [], "torch loss": []}
        for _ in range(a.repeats):
            r = subprocess.run([os.path.join(a.build, "bench", "model", "bench_forward"), config, weights, tokens, tmp,
                                "--batch", str(a.batch), "--repeats", "1"],
                               capture_output=True, text=True, env=env, check=True)
            for m, v in re.findall(r"(\w+) tokens/s ([\d.]+)", r.stdout):
                rounds["coact " + m].append(float(v))
            for mode, losses in (("hook", False), ("loss", True)):
                rounds["torch " + mode].append(time_torch(model, tids, a.batch, losses))
        print(r.stderr.strip())
        med = {k: float(np.median(v)) for k, v in rounds.items()}
        ratios = {m: float(np.median(np.array(rounds["coact " + m]) / np.array(rounds["torch " + m])))
                  for m in ("hook", "loss")}

        # Verify before reporting.
        got_hook = np.fromfile(os.path.join(tmp, "coact_hook.f32"), np.float32).reshape(hook_ref.shape)
        got_loss = np.fromfile(os.path.join(tmp, "coact_losses.f32"), np.float32)
        err_hook = np.abs(got_hook - hook_ref).max() / np.abs(hook_ref).max()
        err_loss = np.abs(got_loss - loss_ref).max() / np.abs(loss_ref).max()
        ok = err_hook < 1e-4 and err_loss < 1e-4
        print(f"verify: hook_post max error {err_hook:.2e}, losses max error {err_loss:.2e} (relative to max): "
              f"{'OK' if ok else 'MISMATCH'}")
        if not ok:
            sys.exit(1)

        out = os.path.join(tmp, "acts.h5")
        r = subprocess.run([os.path.join(a.build, "coact"), "record", "--model", weights, "--model-config", config,
                            "--tokens", tokens, "--seq-len", str(T), "--batch-sequences", str(a.batch), "--out", out,
                            "--threads", str(a.threads)], capture_output=True, text=True, env=env, check=True)
        line = r.stdout.strip().splitlines()[-1]
        rec = re.search(r"([\d,]+) tokens/s; forward ([\d.]+)%, writing ([\d.]+)%", line)
        size = os.path.getsize(out)

    print(f"\n{a.sequences} sequences × {T} tokens, batches of {a.batch}, {a.threads} threads "
          f"(torch {torch.__version__}, {torch.get_num_threads()} threads)")
    print(f"{'mode':8} {'coact tokens/s':>15} {'PyTorch tokens/s':>17} {'ratio':>7}   (medians of {a.repeats} rounds)")
    for mode in ("hook", "loss"):
        print(f"{mode:8} {med['coact ' + mode]:15,.0f} {med['torch ' + mode]:17,.0f} {ratios[mode]:6.2f}x")
    print("per round: " + "; ".join(f"{k} " + " ".join(f"{v:,.0f}" for v in vs) for k, vs in rounds.items()))
    print(f"load average after: {os.getloadavg()[0]:.1f}")
    if rec:
        print(f"record   {rec.group(1):>15} tokens/s end to end ({size / 2**20:.0f} MiB written); "
              f"forward {rec.group(2)}%, writing {rec.group(3)}% of the time")
    else:
        print("record: " + line)


if __name__ == "__main__":
    main()
