#!/usr/bin/env python3
"""The nanda-1l training step in PyTorch, the peer of bench_sae_step.

The step as Neel Nanda's 1L-Sparse-Autoencoder writes it (forward, loss, loss.backward(), the
decoder-gradient projection, Adam step), with the recipe's renormalisation of decoder rows after
the step. Reads the problem bench_sae_step prepared and prints the median step time and the
first step's loss (run_step_bench.sh checks it against the C++ one).

PRECISION bf16 runs the forward pass and the loss under torch.autocast(dtype=torch.bfloat16) (its
GEMMs then take bf16 operands and accumulate in fp32; the backward GEMMs follow the forward's
dtypes), as mixed-precision training does; parameters and Adam stay fp32. DEVICE cuda runs on
the GPU, timing with torch.cuda.synchronize().

  usage: torch_step.py DIR trained|init THREADS REPEATS [fp32|bf16] [cpu|cuda]
"""
import contextlib
import pathlib
import statistics
import sys
import time

import numpy as np
import torch


def main(argv):
    root, sparsity, threads, repeats = pathlib.Path(argv[1]), argv[2], int(argv[3]), int(argv[4])
    precision = argv[5] if len(argv) > 5 else "fp32"
    device = argv[6] if len(argv) > 6 else "cpu"
    if precision not in ("fp32", "bf16") or device not in ("cpu", "cuda"):
        sys.exit(f"torch_step.py: precision must be fp32 or bf16 and device cpu or cuda (got {precision}, {device})")
    torch.set_num_threads(threads)
    sync = torch.cuda.synchronize if device == "cuda" else (lambda: None)

    def autocast():
        if precision == "bf16":
            return torch.autocast(device_type=device, dtype=torch.bfloat16)
        return contextlib.nullcontext()

    meta = dict(line.split() for line in (root / "meta.txt").read_text().splitlines())
    d, n, rows = int(meta["d"]), int(meta["n"]), int(meta["batch"])
    load = lambda name, shape: torch.from_numpy(np.fromfile(root / name, dtype=np.float32).reshape(shape)).to(device)
    w_enc = torch.nn.Parameter(load("w_enc.bin", (d, n)).clone())
    w_dec = torch.nn.Parameter(load("w_dec.bin", (n, d)).clone())
    b_enc = torch.nn.Parameter(load("b_enc_trained.bin", (n,)).clone() if sparsity == "trained"
                               else torch.zeros(n, device=device))
    b_dec = torch.nn.Parameter(torch.zeros(d, device=device))
    x = load("x.bin", (rows, d))
    optim = torch.optim.Adam([w_enc, w_dec, b_enc, b_dec], lr=1e-4, betas=(0.9, 0.99), eps=1e-8)
    l1_coeff = 3e-4

    def step():
        with autocast():
            x_cent = x - b_dec
            acts = torch.relu(x_cent @ w_enc + b_enc)
            x_reconstruct = acts @ w_dec + b_dec
            l2_loss = (x_reconstruct.float() - x).pow(2).sum(-1).mean(0)
            l1_loss = l1_coeff * acts.float().abs().sum()
            loss = l2_loss + l1_loss
        loss.backward()
        with torch.no_grad():
            w_dec_normed = w_dec / w_dec.norm(dim=-1, keepdim=True)
            w_dec.grad -= (w_dec.grad * w_dec_normed).sum(-1, keepdim=True) * w_dec_normed
        optim.step()
        optim.zero_grad(set_to_none=False)
        with torch.no_grad():
            w_dec.data = w_dec / w_dec.norm(dim=-1, keepdim=True)
        return loss.item(), (acts > 0).sum().item() / rows

    seconds, first_loss, l0 = [], None, None
    for r in range(repeats + 1):
        sync()
        start = time.perf_counter()
        loss, active = step()
        sync()
        elapsed = time.perf_counter() - start
        if r == 0:
            first_loss, l0 = loss, active
        else:
            seconds.append(elapsed)
    gemm = []
    for _ in range(repeats + 1):
        sync()
        start = time.perf_counter()
        with torch.no_grad(), autocast():
            x @ w_enc
        sync()
        gemm.append(time.perf_counter() - start)
    gemm = gemm[1:]  # the first one warms up
    median = statistics.median(seconds)
    print(f"torch {torch.__version__} sparsity {sparsity}: L0 {l0:.1f}, threads {torch.get_num_threads()}, "
          f"precision {precision}, device {device}")
    print(f"torch step {median:.3f} s = {rows / median:.0f} tokens/s; encoder GEMM alone {statistics.median(gemm):.3f} s")
    print(f"torch first step loss {first_loss:.9g}")


if __name__ == "__main__":
    main(sys.argv)
