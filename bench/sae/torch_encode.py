#!/usr/bin/env python3
"""The peer of bench_encode: SAELens' own encode (SAE.load_from_disk(...).encode) of the same
rows in the same blocks, torch.no_grad, THREADS threads; also the encoder GEMM alone in torch.
Prints the time and the L0, and checks the first block's codes against coact's (CODES .npz of
CSR arrays written by run_encode_bench.sh) when given.

  usage: torch_encode.py SAELENS_DIR ROWS_BIN D BLOCK THREADS [CODES_H5_AS_NPZ]

With TORCH_GEMM=0 in the environment torch's GEMM alone is not timed (it doubles the run; the
seed-scale run of run_encode_bench.sh leaves it out).
"""
import os
import sys
import time

import numpy as np
import torch


def main(argv):
    folder, rows_bin, d, block, threads = argv[1], argv[2], int(argv[3]), int(argv[4]), int(argv[5])
    torch.set_num_threads(threads)
    from sae_lens import SAE
    sae = SAE.load_from_disk(folder, device="cpu")
    x = torch.from_numpy(np.fromfile(rows_bin, dtype=np.float32).reshape(-1, d))
    rows = x.shape[0]
    time_gemm = os.environ.get("TORCH_GEMM", "1") != "0"
    with torch.no_grad():
        sae.encode(x[:block])  # warm-up
        nnz, encode, gemm = 0, 0.0, 0.0
        for first in range(0, rows, block):  # block by block: both under the same load
            start = time.perf_counter()
            nnz += int((sae.encode(x[first:first + block]) > 0).sum())
            encode += time.perf_counter() - start
            if time_gemm:
                start = time.perf_counter()
                x[first:first + block] @ sae.W_enc
                gemm += time.perf_counter() - start
        if len(argv) > 6:
            ref = np.load(argv[6])
            z = sae.encode(x[:block]).double().numpy()
            ours = np.zeros_like(z)
            indptr, indices, values = ref["indptr"], ref["indices"], ref["values"]
            for r in range(block):
                ours[r, indices[indptr[r]:indptr[r + 1]]] = values[indptr[r]:indptr[r + 1]]
            err = np.abs(z - ours).max() / max(1e-30, np.abs(z).max())
            flips = int(((z > 0) != (ours > 0)).sum())
            print(f"first block: coact's codes = SAELens' to {err:.1e} of the scale, {flips} entries in or out")
    torch_gemm = f"torch GEMM alone {gemm:.3f} s" if time_gemm else "torch GEMM alone not timed"
    print(f"SAELens {type(sae).__name__} encode {encode:.3f} s = {rows / encode:.0f} tokens/s, L0 {nnz / rows:.1f}; "
          f"{torch_gemm} (torch {torch.__version__}, {torch.get_num_threads()} threads)")


if __name__ == "__main__":
    main(sys.argv)
