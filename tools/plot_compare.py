#!/usr/bin/python3
"""Plots of a coact comparison (compare.h5): for every pair of SAEs, the matched-pair degree
scatter (feature i of the first graph against its match in the second; shared pairs
highlighted) and the histogram of matched decoder cosines with the sharing threshold (and,
when the comparison stored /stability, the null model's best cosines beside it); files are
named by the pair's seeds (matched_degree_seed52_seed55.png; sae0_sae1 when two SAEs share a
seed). With /stability, two more: stability_shared_fraction.png (shared fraction against the
threshold, null dashed) and stability_counts.png (features by the number of other seeds they
are matched in, null dashed).

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
        seeds = [int(s["seed"]) for s in saes]
        distinct = len(set(seeds)) == len(seeds)

        def label(i, j):
            return f"seed{seeds[i]}_seed{seeds[j]}" if distinct else f"sae{i}_sae{j}"

        stability = f["stability"] if "stability" in f else None
        for name, pair in f["pairs"].items():
            i, j = int(pair.attrs["first"]), int(pair.attrs["second"])
            a, b = f"seed {saes[i]['seed']}", f"seed {saes[j]['seed']}"
            match = pair["matching"][...]
            cosine = pair["decoder_cosine"][...]
            shared = pair["shared"][...].astype(bool)

            fig, ax = plt.subplots(figsize=(6, 5))
            x, y = degrees[i], degrees[j][match]
            ax.scatter(x[~shared] + 1, y[~shared] + 1, s=4, alpha=0.4, color="tab:gray", label="not shared")
            ax.scatter(x[shared] + 1, y[shared] + 1, s=4, alpha=0.6, color="tab:blue", label=f"shared (cos ≥ {threshold:g})")
            top = max(1, int(max(x.max(initial=0), y.max(initial=0)))) + 1
            ax.plot([1, top], [1, top], color="black", linewidth=0.8, label="equal degree")
            ax.set_xscale("log")
            ax.set_yscale("log")
            ax.set_xlabel(f"degree + 1 in {a} (log scale)")
            ax.set_ylabel(f"degree + 1 of the matched feature in {b} (log scale)")
            ax.set_title(f"Matched-pair degrees, {a} vs {b}")
            ax.legend(loc="upper left", markerscale=3)
            fig.tight_layout()
            fig.savefig(os.path.join(args.out, f"matched_degree_{label(i, j)}.png"), dpi=110)
            plt.close(fig)

            fig, ax = plt.subplots(figsize=(6, 4))
            bins = np.linspace(-1, 1, 81)
            ax.hist(cosine, bins=bins, color="tab:blue", alpha=0.8, label="matched decoder cosine")
            if stability is not None and f"pairs/{name}" in stability:
                null = stability[f"pairs/{name}/null_max_cosine_first"][...]
                ax.hist(null, bins=bins, histtype="step", linestyle="--", color="black",
                        label="null: best cosine, rotated other SAE")
            ax.axvline(threshold, color="tab:red", linestyle=":", label=f"threshold {threshold:g}")
            ax.set_xlabel("decoder cosine")
            ax.set_ylabel(f"features of {a}")
            ax.set_title(f"Decoder cosines, {a} vs {b}: {shared.mean():.1%} shared")
            ax.legend(fontsize=8)
            fig.tight_layout()
            fig.savefig(os.path.join(args.out, f"decoder_cosine_{label(i, j)}.png"), dpi=110)
            plt.close(fig)

        if stability is not None:
            thresholds = stability["thresholds"][...]
            main_threshold = float(stability.attrs["threshold"])
            fig, ax = plt.subplots(figsize=(6.4, 4.4))
            for k, (name, group) in enumerate(stability["pairs"].items()):
                i, j = int(group.attrs["first"]), int(group.attrs["second"])
                color = f"C{k % 10}"
                ax.plot(thresholds, group["shared_fraction_at"][...], marker="o", color=color,
                        label=f"seed {seeds[i]} vs seed {seeds[j]}")
                ax.plot(thresholds, group["max_fraction_at"][...], linestyle=":", color=color,
                        label="best cosine ≥ t" if k == 0 else None)
                ax.plot(thresholds, group["null_max_fraction_at"][...], linestyle="--", color=color, alpha=0.7,
                        label="null: best cosine, rotated" if k == 0 else None)
            ax.set_xlabel("decoder cosine threshold t")
            ax.set_ylabel("fraction of features")
            ax.set_ylim(0, 1.02)
            ax.set_title("Shared fraction (matched, solid) against the threshold\n"
                         "best cosine dotted; random-rotation null dashed", fontsize=10)
            ax.legend(fontsize=8)
            fig.tight_layout()
            fig.savefig(os.path.join(args.out, "stability_shared_fraction.png"), dpi=110)
            plt.close(fig)

            t = int(np.flatnonzero(np.isclose(thresholds, main_threshold))[0])
            fig, ax = plt.subplots(figsize=(6.4, 4.4))
            count = len(saes)
            for k in range(count):
                group = stability[f"saes/{k}"]
                n = group["mean_matched_cosine"].shape[0]
                real = group["count_histogram"][t] / n
                null = group["null_count_histogram"][t] / n
                best = group["best_count_histogram"][t] / n
                ax.plot(range(count), real, marker="o", color=f"C{k % 10}", label=f"seed {seeds[k]} (matched)")
                ax.plot(range(count), best, linestyle=":", color=f"C{k % 10}", label="best cosine" if k == 0 else None)
                ax.plot(range(count), null, linestyle="--", color=f"C{k % 10}", alpha=0.7,
                        label="null (upper bound)" if k == 0 else None)
            ax.set_xticks(range(count))
            ax.set_xlabel("number of other seeds a feature is matched in")
            ax.set_ylabel("fraction of features")
            ax.set_title(f"Feature stability across seeds (cos ≥ {main_threshold:g})\n"
                         "matched solid, best cosine dotted, random-rotation null dashed", fontsize=10)
            ax.legend(fontsize=8)
            fig.tight_layout()
            fig.savefig(os.path.join(args.out, "stability_counts.png"), dpi=110)
            plt.close(fig)


if __name__ == "__main__":
    main()
