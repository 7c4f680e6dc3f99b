#!/usr/bin/env python3
"""`coact graph` for a wide SAE, whole on one rank against its latents split over two ranks
(--latent-shards 2), on this machine's two cores; by default n = 1,048,576 latents at d = 64.

  /usr/bin/python3 bench/graph/wide_graph.py build/coact [N] [D] [BATCH_TOKENS] [BATCHES]

The SAE is a topk SAE (k 32) trained for 2 steps by `coact train --latent-shards 2` on 2 ranks
(its codes are those of a nearly initial SAE: the point is the width). Runs:
  whole   1 rank × 2 threads: `coact graph` as without shards
  shards  2 ranks × 1 thread, --latent-shards 2: each rank reads and encodes with half the latents
For each: wall time (the whole command: reading the SAE, encoding, accumulating, the node
statistics and writing), the encoder GEMM's flop (2·tokens·n·d) over it, and the largest peak
RSS over the command's processes (getrusage of a wrapper, so every rank counts); the sharded run
as a ratio of the whole one. The two graph files must be the same graph (edges, counts; weights
to 1e-6) and the node degree and clustering must equal networkx's on the same edges, all n nodes
included, or no figures are printed.
"""
import os
import shutil
import subprocess
import sys
import tempfile

import h5py
import networkx as nx
import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from peak_rss import measured  # noqa: E402

COACT = os.path.abspath(sys.argv[1])
N = int(sys.argv[2]) if len(sys.argv) > 2 else 1048576
D = int(sys.argv[3]) if len(sys.argv) > 3 else 64
BATCH = int(sys.argv[4]) if len(sys.argv) > 4 else 4096
BATCHES = int(sys.argv[5]) if len(sys.argv) > 5 else 2
K = 32
ROOT = ["--allow-run-as-root"] if os.getuid() == 0 else []


def coact(args, ranks=1):
    command = [COACT, *args]
    if ranks > 1:
        command = ["mpirun", "-n", str(ranks), "--oversubscribe", *ROOT, *command]
    return command


def graph_arrays(path):
    with h5py.File(path, "r") as f:
        return {name: f[name][...] for name in ("csr/indptr", "csr/indices", "csr/count", "csr/weight", "nodes/degree",
                                                "nodes/clustering")}


def main():
    work = tempfile.mkdtemp(prefix="coact_wide_graph.")
    try:
        store = os.path.join(work, "acts.h5")
        subprocess.run(coact(["synth", "--out", store, "--rows", str(BATCH * BATCHES), "--d", str(D), "--features",
                              "4096", "--max-probability", "0.05", "--truth-rows", "0"]), check=True, capture_output=True)
        with h5py.File(store, "r+") as f:  # no recovery score at the end of training: it is not measured here
            if "ground_truth" in f:
                del f["ground_truth"]
        subprocess.run(coact(["train", "--activations", store, "--out", work, "--seed", "52", "--recipe", "topk", "--k",
                              str(K), "--n", str(N), "--steps", "2", "--batch-size", "256", "--threads", "1",
                              "--latent-shards", "2", "--checkpoint-every", "0"], ranks=2), check=True, capture_output=True)
        sae = os.path.join(work, "sae_52.h5")
        common = ["graph", "--sae", sae, "--activations", store, "--batch-tokens", str(BATCH), "--num-batches",
                  str(BATCHES), "--k", "4", "--encode-rows", "1024"]
        runs = {
            "whole": measured(coact([*common, "--out", os.path.join(work, "whole.h5"), "--threads", "2"])),
            "shards": measured(coact([*common, "--out", os.path.join(work, "shards.h5"), "--threads", "1",
                                      "--latent-shards", "2"], ranks=2)),
        }
        whole, shards = graph_arrays(os.path.join(work, "whole.h5")), graph_arrays(os.path.join(work, "shards.h5"))
        for name in ("csr/indptr", "csr/indices", "csr/count", "nodes/degree"):
            if not np.array_equal(whole[name], shards[name]):
                sys.exit(f"{name} differs between the whole and the sharded graph; no figures")
        for name in ("csr/weight", "nodes/clustering"):
            np.testing.assert_allclose(shards[name], whole[name], rtol=1e-6, atol=0, err_msg=name)
        # networkx on the same edges, every node included.
        indptr, indices = whole["csr/indptr"], whole["csr/indices"]
        g = nx.Graph()
        g.add_nodes_from(range(N))
        rows = np.repeat(np.arange(N), np.diff(indptr))
        g.add_edges_from((int(u), int(v)) for u, v in zip(rows, indices) if u < v)
        degree = np.array([g.degree(v) for v in range(N)])
        if not np.array_equal(degree, whole["nodes/degree"]):
            sys.exit("degree differs from networkx; no figures")
        clustering = nx.clustering(g)
        want = np.array([clustering[v] for v in range(N)])
        np.testing.assert_allclose(whole["nodes/clustering"], want, rtol=1e-12, atol=1e-12, err_msg="clustering")

        tokens = BATCH * BATCHES
        flop = 2.0 * tokens * N * D
        gib = 2.0 ** 30
        print(f"topk n {N:,} d {D:,} k {K}; graph top-4 over {BATCHES} batches of {BATCH:,} tokens; "
              f"{g.number_of_edges():,} edges")
        print("| run | wall | GEMM rate (encoder flop / wall) | largest peak RSS |")
        print("|---|---:|---:|---:|")
        labels = {"whole": "1 rank × 2 threads, whole SAE", "shards": "2 ranks × 1 thread, --latent-shards 2"}
        for name, (seconds, peak) in runs.items():
            print(f"| {labels[name]} | {seconds:.1f} s | {flop / seconds / 1e9:.1f} GFLOP/s | {peak / gib:.2f} GiB |")
        print(f"sharded / whole: wall {runs['shards'][0] / runs['whole'][0]:.2f}, peak RSS "
              f"{runs['shards'][1] / runs['whole'][1]:.2f}")
        print(f"same graph (weights to 1e-6); degree and clustering of all {N:,} nodes equal networkx's")
    finally:
        shutil.rmtree(work, True)


main()
