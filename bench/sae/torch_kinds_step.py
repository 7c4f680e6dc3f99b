#!/usr/bin/env python3
"""The peer of `bench_sae_step time --recipe batchtopk|jumprelu|matryoshka`: dictionary_learning's
own trainer step (BatchTopKTrainer.update / JumpReluTrainer.update /
MatryoshkaBatchTopKTrainer.update with the same five levels: forward, loss with AuxK or the
L0 term, backward, decoder-gradient projection, gradient clipping, Adam, the scheduler, decoder
renormalisation, the threshold update) on the weights and batch bench_sae_step prepared, with
THREADS threads. Steps 1.. (step 0 would add BatchTopK's geometric-median initialisation).

  usage: torch_kinds_step.py DIR batchtopk|jumprelu|matryoshka THREADS REPEATS
"""
import pathlib
import statistics
import sys
import time

import numpy as np
import torch


def main(argv):
    root, recipe, threads, repeats = pathlib.Path(argv[1]), argv[2], int(argv[3]), int(argv[4])
    torch.set_num_threads(threads)
    meta = dict(line.split() for line in (root / "meta.txt").read_text().splitlines())
    d, n, rows = int(meta["d"]), int(meta["n"]), int(meta["batch"])
    load = lambda name, shape: torch.from_numpy(np.fromfile(root / name, dtype=np.float32).reshape(shape))
    w_enc, w_dec, b_enc = load("w_enc.bin", (d, n)), load("w_dec.bin", (n, d)), load("b_enc_trained.bin", (n,))
    x = load("x.bin", (rows, d))
    if recipe == "batchtopk":
        from dictionary_learning.trainers.batch_top_k import BatchTopKTrainer
        trainer = BatchTopKTrainer(steps=10**6, activation_dim=d, dict_size=n, k=32, layer=0, lm_name="bench",
                                   device="cpu", warmup_steps=0, threshold_start_step=0)
        with torch.no_grad():
            trainer.ae.encoder.weight.copy_(w_enc.T)
            trainer.ae.encoder.bias.copy_(b_enc)
            trainer.ae.decoder.weight.copy_(w_dec.T)
    elif recipe == "matryoshka":
        from dictionary_learning.trainers.matryoshka_batch_top_k import MatryoshkaBatchTopKTrainer
        fractions = [1 / 32, 1 / 16, 1 / 8, 1 / 4]
        trainer = MatryoshkaBatchTopKTrainer(steps=10**6, activation_dim=d, dict_size=n, k=32, layer=0, lm_name="bench",
                                             group_fractions=fractions + [1 - sum(fractions)], device="cpu",
                                             warmup_steps=0, threshold_start_step=0)
        with torch.no_grad():
            trainer.ae.W_enc.copy_(w_enc)
            trainer.ae.b_enc.copy_(b_enc)
            trainer.ae.W_dec.copy_(w_dec)
    else:
        from dictionary_learning.trainers.jumprelu import JumpReluTrainer
        trainer = JumpReluTrainer(steps=10**6, activation_dim=d, dict_size=n, layer=0, lm_name="bench", device="cpu",
                                  warmup_steps=0, sparsity_warmup_steps=None)
        with torch.no_grad():
            trainer.ae.W_enc.copy_(w_enc)
            trainer.ae.b_enc.copy_(b_enc)
            trainer.ae.W_dec.copy_(w_dec)
    seconds = []
    for step in range(1, repeats + 2):
        start = time.perf_counter()
        loss = trainer.update(step, x)
        if step > 1:
            seconds.append(time.perf_counter() - start)
    with torch.no_grad():
        start = time.perf_counter()
        x @ w_enc
        gemm = time.perf_counter() - start
    median = statistics.median(seconds)
    print(f"dictionary_learning {type(trainer).__name__} step {median:.3f} s = {rows / median:.0f} tokens/s "
          f"(loss {loss:.4g}); torch GEMM alone {gemm:.3f} s; torch {torch.__version__}, {torch.get_num_threads()} threads")


if __name__ == "__main__":
    main(sys.argv)
