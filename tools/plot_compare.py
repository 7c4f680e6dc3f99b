#!/usr/bin/python3
"""Plots of a coact comparison (compare.h5): for every pair of SAEs, the matched-pair degree
scatter (feature i of the first graph against its match in the second; shared pairs
highlighted) and the histogram of matched decoder cosines with the sharing threshold.

Usage: plot_compare.py --out DIR compare.h5
Needs h5py and matplotlib (Debian: python3-h5py, python3-matplotlib).
"""
import argparse
import os
import sys

import h5py
import numpy as np

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", required=True, help="directory for the PNG files")
    parser.add_argument("compare", help="compare.h5 written by coact compare")
    args = parser.parse_args()
    os.makedirs(args.out, exist_ok=True)
    try:
        f = h5py.File(args.compare, "r")
    except OSError as e:
        sys.exit(f"plot_compare.py: {args.compare}: cannot open ({e})")
    with f:
        if f.attrs.get("coact_kind") != "compare":
            sys.exit(f"plot_compare.py: {args.compare}: not a coact compare file")
        threshold = float(f.attrs["threshold"])
        saes = [dict(f["saes"][str(i)].attrs) for i in range(int(f.attrs["n_saes"]))]
        base = os.path.dirname(os.path.abspath(args.compare))
        degrees = []
        for s in saes:
            path = s["graph"] if os.path.isabs(s["graph"]) or os.path.exists(s["graph"]) else os.path.join(base, s["graph"])
            with h5py.File(path, "r") as g:
                degrees.append(g["nodes/degree"][...])
        for name, pair in f["pairs"].items():
            i, j = int(pair.attrs["first"]), int(pair.attrs["second"])
            a, b = f"seed {saes[i]['seed']}", f"seed {saes[j]['seed']}"
            match = pair["matching"][...]
            cosine = pair["decoder_cosine"][...]
            shared = pair["shared"][...].astype(bool)

            fig, ax = plt.subplots(figsize=(6, 5))
            x, y = degrees[i], degrees[j][match]
            ax.scatter(x[~shared], y[~shared], s=4, alpha=0.4, color="tab:gray", label="not shared")
            ax.scatter(x[shared], y[shared], s=4, alpha=0.6, color="tab:blue", label=f"shared (cos ≥ {threshold:g})")
            top = max(1, int(max(x.max(initial=0), y.max(initial=0))))
            ax.plot([0, top], [0, top], color="black", linewidth=0.8)
            ax.set_xlabel(f"degree in {a}")
            ax.set_ylabel(f"degree of the matched feature in {b}")
            ax.set_title(f"Matched-pair degrees, {a} vs {b}")
            ax.legend(loc="upper left", markerscale=3)
            fig.tight_layout()
            fig.savefig(os.path.join(args.out, f"matched_degree_{name}.png"), dpi=110)
            plt.close(fig)

            fig, ax = plt.subplots(figsize=(6, 4))
            ax.hist(cosine, bins=np.linspace(-1, 1, 81), color="tab:blue")
            ax.axvline(threshold, color="tab:red", linestyle="--", label=f"threshold {threshold:g}")
            ax.set_xlabel("decoder cosine of matched features")
            ax.set_ylabel("matched pairs")
            ax.set_title(f"Decoder cosines, {a} vs {b}: {shared.mean():.1%} shared")
            ax.legend()
            fig.tight_layout()
            fig.savefig(os.path.join(args.out, f"decoder_cosine_{name}.png"), dpi=110)
            plt.close(fig)


if __name__ == "__main__":
    main()
