#!/usr/bin/env python3
"""Latent-sharded training against unsharded training on the same cores: a topk SAE (k 32)
from initialisation, by default n = 131,072 latents at d = 2,048 with a global batch of 1,024
tokens (about 13 GiB for the unsharded run).

  /usr/bin/python3 bench/sae/latent_shards.py build/coact [STEPS] [N] [D] [BATCH] [RUNS]

Runs, each on this machine's two cores:
  whole   1 rank × 2 threads (the unsharded step a user runs on one machine)
  data    2 ranks × 1 thread, data-parallel (--latent-shards 1): every rank holds the whole SAE
  shards  2 ranks × 1 thread, --latent-shards 2: every rank holds half the latents
RUNS (comma-separated, default whole,data,shards) picks among them: at n = 131,072 the
data-parallel ranks hold the whole SAE each and their checkpoint's host copies do not fit in
24 GiB beside each other, so that size runs whole,shards. For each: the median step time over the steps after the first (from the SAE file's /metrics)
and every rank's peak resident set while it steps (VmRSS sampled every 50 ms until the run
reports its steps done, so the checkpoint's host copies at the end are not counted). The three
files' parameters must agree (same global batches) or the figures are not printed.
"""
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time

import h5py
import numpy as np

COACT = os.path.abspath(sys.argv[1])
STEPS = int(sys.argv[2]) if len(sys.argv) > 2 else 5
N = int(sys.argv[3]) if len(sys.argv) > 3 else 131072
D = int(sys.argv[4]) if len(sys.argv) > 4 else 2048
BATCH = int(sys.argv[5]) if len(sys.argv) > 5 else 1024
RUNS = sys.argv[6].split(",") if len(sys.argv) > 6 else ["whole", "data", "shards"]
K = 32


def descendants(pid):
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        try:
            with open(f"/proc/{p}/task/{p}/children") as f:
                kids = [int(x) for x in f.read().split()]
        except OSError:
            kids = []
        out += kids
        todo += kids
    return out


def rss(pid):
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def run(name, work, store, ranks, threads, shards):
    out = os.path.join(work, name)
    command = [COACT, "train", "--activations", store, "--out", out, "--seed", "52", "--recipe", "topk", "--k", str(K),
               "--n", str(N), "--steps", str(STEPS), "--batch-size", str(BATCH), "--log-every", "1", "--threads",
               str(threads), "--latent-shards", str(shards), "--checkpoint-every", "0"]
    if ranks > 1:
        root = ["--allow-run-as-root"] if os.getuid() == 0 else []
        command = ["mpirun", "-n", str(ranks), "--oversubscribe", *root, *command]
    p = subprocess.Popen(command, stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True)
    peaks, stepping = {}, threading.Event()
    stepping.set()

    def sample():
        while stepping.is_set() and p.poll() is None:
            for pid in [p.pid, *descendants(p.pid)]:
                try:
                    with open(f"/proc/{pid}/comm") as f:
                        if f.read().strip() != "coact":
                            continue
                except OSError:
                    continue
                peaks[pid] = max(peaks.get(pid, 0), rss(pid))
            time.sleep(0.05)

    sampler = threading.Thread(target=sample)
    sampler.start()
    log = []
    for line in p.stderr:
        log.append(line)
        if re.search(r"steps \(100%\).*done in", line):
            stepping.clear()
    p.wait()
    stepping.clear()
    sampler.join()
    if p.returncode != 0:
        sys.exit(f"{name} failed ({p.returncode}):\n{''.join(log)}")
    path = os.path.join(out, "sae_52.h5")
    with h5py.File(path, "r") as f:
        tps = f["metrics/tokens_per_second"][1:]
        params = {k: f[k][...] for k in ("W_enc", "W_dec", "b_enc", "b_dec")}
    shutil.rmtree(out)
    return {"step": BATCH / float(np.median(tps)), "peaks": sorted(peaks.values()), "params": params}


def main():
    work = tempfile.mkdtemp(prefix="coact_shards_bench.")
    try:
        store = os.path.join(work, "acts.h5")
        subprocess.run([COACT, "synth", "--out", store, "--rows", str(BATCH * (STEPS + 2)), "--d", str(D), "--features",
                        "4096", "--max-probability", "0.05", "--truth-rows", "0"], check=True, capture_output=True)
        # Without the synthetic truth: its recovery score at the end (a scalar search over every
        # true feature and latent) would take longer than the steps measured here.
        with h5py.File(store, "r+") as f:
            del f["ground_truth"]
        layouts = {"whole": (1, 2, 1), "data": (2, 1, 1), "shards": (2, 1, 2)}  # ranks, threads, shards
        if "whole" not in RUNS:
            sys.exit("RUNS must include whole: it is the baseline")
        runs = {name: run(name, work, store, *layouts[name]) for name in layouts if name in RUNS}
        ref = runs["whole"]["params"]
        for name in [name for name in runs if name != "whole"]:
            diff = max(np.abs(runs[name]["params"][k] - ref[k]).max() / max(np.abs(ref[k]).max(), 1e-30) for k in ref)
            if diff > 1e-3:
                sys.exit(f"{name}: parameters differ from the unsharded run by {diff:.1e} relative; no figures")
            runs[name]["diff"] = diff
        gib = 2.0 ** 30
        base = runs["whole"]["step"]
        print(f"topk n {N:,} d {D:,} k {K}, batch {BATCH:,}, {STEPS} steps (median of steps 2..{STEPS})")
        print("| run | step (s) | vs 1 rank × 2 threads | peak RSS per rank while stepping (GiB) |")
        print("|---|---:|---:|---|")
        labels = {"whole": "1 rank × 2 threads, unsharded", "data": "2 ranks × 1 thread, data-parallel",
                  "shards": "2 ranks × 1 thread, --latent-shards 2"}
        for name, r in runs.items():
            peaks = ", ".join(f"{x / gib:.2f}" for x in r["peaks"])
            print(f"| {labels[name]} | {r['step']:.2f} | {r['step'] / base:.2f}× | {peaks} |")
        for name in [name for name in runs if name != "whole"]:
            print(f"parameters of {labels[name]} agree with the unsharded run to {runs[name]['diff']:.1e} relative")
        if "shards" in runs:
            for name in [name for name in ("whole", "data") if name in runs]:
                print(f"per-rank peak, sharded / {labels[name]}: "
                      f"{max(runs['shards']['peaks']) / max(runs[name]['peaks']):.2f}")
    finally:
        shutil.rmtree(work, True)


main()
