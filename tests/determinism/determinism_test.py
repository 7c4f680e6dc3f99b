#!/usr/bin/python3
"""Determinism audit (docs/reliability.md): `coact demo` run twice on one rank, and on 2 and 3
ranks, compared dataset by dataset.

- Twice on one rank: every dataset of every HDF5 output bit-identical, report.md identical
  apart from timing figures.
- 1 vs 2 vs 3 ranks: the activation store bit-identical; SAE parameters within TOL of the
  1-rank run (max |a - b| / max |a| per tensor: gradients are summed in another order, the
  floating-point reassociation docs/method.md allows); the rest (graphs, comparison) is reported
  with its largest difference and must agree within GRAPH_TOL where the edge sets agree.

Datasets that hold timings (tokens_per_second, elapsed_seconds) and the provenance attributes
(time, host, command line) are left out: they are meant to differ.

Usage: determinism_test.py path/to/coact path/to/mpiexec [--steps S] [--rows R] [--ranks 1,2,3]
"""
import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile

import h5py
import numpy as np

TOL = 1e-4        # SAE parameters across rank counts (relative to the tensor's largest value)
GRAPH_TOL = 1e-4  # edge weights and comparison values across rank counts
# The study's headline figures, compared in absolute terms when long TopK runs on other rank
# counts have left the parameters (--summary-tol).
SUMMARY_KEYS = ("shared_fraction", "mean_matched_cosine", "truth_mmcs_second", "js_degree", "edge_jaccard")
TIMING = re.compile(r"(tokens_per_second|elapsed_seconds)$")


def demo(coact, mpiexec, out, ranks, steps, rows):
    cmd = [coact, "demo", "--out", out, "--steps", str(steps), "--rows", str(rows), "--no-plots", "--threads", "1"]
    if ranks > 1:
        cmd = [mpiexec, "-n", str(ranks), "--oversubscribe", *cmd]
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=3000)
    if r.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed ({r.returncode}):\n{r.stderr}")


def datasets(path):
    out = {}

    def visit(name, obj):
        if isinstance(obj, h5py.Dataset) and not TIMING.search(name):
            out[name] = obj[...]
    with h5py.File(path, "r") as f:
        f.visititems(visit)
    return out


def outputs(folder):
    return sorted(n for n in os.listdir(folder) if n.endswith(".h5"))


def relative_difference(a, b):
    if a.shape != b.shape:
        return float("inf")
    if a.dtype.kind not in "fc":
        return 0.0 if np.array_equal(a, b) else float("inf")
    a64, b64 = a.astype(np.float64), b.astype(np.float64)
    same_nan = np.isnan(a64) & np.isnan(b64)
    scale = max(np.nanmax(np.abs(a64)) if a64.size and not np.isnan(a64).all() else 0.0, 1e-30)
    d = np.where(same_nan, 0.0, np.abs(a64 - b64))
    return float(np.nanmax(d) / scale) if d.size else 0.0


def report_body(folder):
    with open(os.path.join(folder, "report.md")) as f:
        text = f.read()
    # The output folder, timing figures (seconds, tokens/s) and dates are allowed to differ.
    text = text.replace(folder, "OUT")
    return re.sub(r"[0-9.]+ ?(s|ms|k? ?tok/s|steps/s)\b|\d{4}-\d\d-\d\d[ T][\d:]+", "#", text)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("coact")
    ap.add_argument("mpiexec")
    ap.add_argument("--steps", type=int, default=1500)
    ap.add_argument("--rows", type=int, default=409600)
    ap.add_argument("--ranks", default="1,2,3")
    ap.add_argument("--sae-tol", type=float, default=TOL,
                    help="SAE parameters across rank counts (inf: leave them to --summary-tol)")
    ap.add_argument("--summary-tol", type=float, default=None,
                    help="largest absolute difference of compare.h5 /summary values across rank counts")
    a = ap.parse_args()
    root = tempfile.mkdtemp(prefix="coact_determinism_")
    failures = []
    runs = {}
    first = os.path.join(root, "np1_a")
    demo(a.coact, a.mpiexec, first, 1, a.steps, a.rows)
    second = os.path.join(root, "np1_b")
    demo(a.coact, a.mpiexec, second, 1, a.steps, a.rows)
    names = outputs(first)
    if outputs(second) != names:
        failures.append(f"the two 1-rank runs wrote different files: {names} vs {outputs(second)}")
    compared = 0
    for name in names:
        x, y = datasets(os.path.join(first, name)), datasets(os.path.join(second, name))
        for key in sorted(set(x) | set(y)):
            compared += 1
            if key not in x or key not in y or x[key].tobytes() != y[key].tobytes():
                failures.append(f"run twice on 1 rank: {name}:/{key} differs")
    body_a, body_b = report_body(first).splitlines(), report_body(second).splitlines()
    if body_a != body_b:
        diff = next(f"{x!r} vs {y!r}" for x, y in zip(body_a + [""], body_b + [""]) if x != y)
        failures.append(f"run twice on 1 rank: report.md differs beyond timings: {diff}")
    print(f"determinism: 1 rank twice: {compared} datasets in {len(names)} files compared, "
          f"{sum('twice' in f for f in failures)} differ")
    runs[1] = first
    for ranks in [int(r) for r in a.ranks.split(",") if int(r) > 1]:
        folder = os.path.join(root, f"np{ranks}")
        demo(a.coact, a.mpiexec, folder, ranks, a.steps, a.rows)
        runs[ranks] = folder
        worst = {}
        for name in names:
            x, y = datasets(os.path.join(first, name)), datasets(os.path.join(folder, name))
            for key in sorted(set(x) | set(y)):
                if key not in x or key not in y:
                    failures.append(f"{ranks} ranks: {name}:/{key} missing in one run")
                    continue
                diff = relative_difference(x[key], y[key])
                kind = "acts" if name.startswith("acts") else "sae" if name.startswith("sae") else "other"
                worst[kind] = max(worst.get(kind, 0.0), diff)
                exact = kind == "acts" or (kind == "sae" and key.startswith(("metrics/step", "metrics/tokens")))
                limit = 0.0 if exact else a.sae_tol if kind == "sae" and key in ("W_enc", "b_enc", "W_dec", "b_dec") \
                    else None
                if a.summary_tol is not None and name == "compare.h5" and key.startswith("summary/") and \
                        key.split("/")[1] in SUMMARY_KEYS:
                    gap = float(np.nanmax(np.abs(x[key].astype(float) - y[key].astype(float))))
                    if gap > a.summary_tol:
                        failures.append(f"{ranks} ranks vs 1: {key} differs by {gap:.3g} (limit {a.summary_tol:g})")
                    print(f"  {ranks} ranks vs 1: {key} differs by {gap:.3g} (absolute)")
                if limit is not None and diff > limit:
                    failures.append(f"{ranks} ranks vs 1: {name}:/{key} differs by {diff:.3g} (limit {limit:g})")
                elif limit is None and kind == "other" and diff > GRAPH_TOL:
                    print(f"  note: {ranks} ranks vs 1: {name}:/{key} differs by {diff:.3g}")
        print(f"determinism: {ranks} ranks vs 1: largest relative difference "
              + ", ".join(f"{k} {v:.3g}" for k, v in sorted(worst.items())))
    shutil.rmtree(root, ignore_errors=True)
    for f in failures:
        print("FAIL " + f)
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
