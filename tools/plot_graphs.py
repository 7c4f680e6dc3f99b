#!/usr/bin/env python3
"""Draws the seed study's four figures from co-activation graph files (graph_<seed>.h5), as PNG:

  degree_dist.png       degree histogram (Freedman–Diaconis integer bins), graphs overlaid
  log_deg_dist.png      degree histogram of the non-isolated nodes on log-spaced bins
  freq_dist.png         feature-frequency histogram on log-spaced bins, in percent of features
  feat_deg_vs_frq.png   degree against frequency (log scales), one point per feature

Every figure has its title inside the canvas and labelled axes.

Usage: tools/plot_graphs.py --out DIR graph_52.h5 [graph_55.h5 ...]
Needs h5py, numpy and matplotlib (Debian: python3-h5py python3-matplotlib).
"""
import argparse
import os
import sys
import textwrap

import h5py
import numpy as np

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

FIGURES = ("degree_dist.png", "log_deg_dist.png", "freq_dist.png", "feat_deg_vs_frq.png")


class Graph:
    def __init__(self, path):
        self.name = os.path.splitext(os.path.basename(path))[0]
        try:
            with h5py.File(path, "r") as f:
                kind = f.attrs.get("coact_kind")
                if isinstance(kind, bytes):
                    kind = kind.decode()
                if kind != "graph":
                    raise ValueError(f"{path}: not a coact graph file (coact_kind {kind!r})")
                indptr = f["/csr/indptr"][...]
                self.frequency = f["/nodes/frequency"][...].astype(np.float64)
        except (OSError, KeyError) as error:
            raise ValueError(f"{path}: cannot read a graph file: {error}") from None
        # Degrees straight from the CSR, as `coact stats` computes them.
        self.degree = np.diff(indptr)


def save(figure, directory, name):
    path = os.path.join(directory, name)
    figure.tight_layout()
    figure.savefig(path, dpi=120, bbox_inches="tight")
    plt.close(figure)
    return path


def title(axes, text, width=50):
    """A title wrapped to the canvas, so a long one never runs off its edge."""
    axes.set_title(textwrap.fill(text, width))


def freedman_diaconis_integer_bins(values, limit=120):
    """Integer-aligned bin edges of Freedman–Diaconis width (2·IQR·n^(-1/3), at least 1), at most
    `limit` bins: one bin per degree value gives hundreds of one-pixel slivers."""
    values = np.asarray(values)
    top = int(values.max(initial=0))
    if values.size < 2:
        return np.arange(0, top + 2)
    q75, q25 = np.percentile(values, [75, 25])
    width = 2.0 * (q75 - q25) / np.cbrt(values.size)
    width = max(1, int(np.ceil(width)), int(np.ceil((top + 1) / limit)))
    return np.arange(0, top + width + 1, width)


def log_edges(low, high, bins=40):
    """Log-spaced bin edges from low to high (both > 0)."""
    if high <= low:
        low, high = low / 2, high * 2
    return np.geomspace(low, high, bins + 1)


def degree_histogram(graphs, directory):
    figure, axes = plt.subplots(figsize=(6.4, 4.8))
    bins = freedman_diaconis_integer_bins(np.concatenate([g.degree for g in graphs]))
    for g in graphs:
        axes.hist(g.degree, bins=bins, alpha=0.5, label=g.name)
    title(axes, f"Degree distribution of the SAE feature graphs (bins of {int(bins[1] - bins[0])} degrees)")
    axes.set_xlabel("degree")
    axes.set_ylabel("features")
    axes.legend()
    return save(figure, directory, FIGURES[0])


def log_degree_histogram(graphs, directory):
    figure, axes = plt.subplots(figsize=(6.4, 4.8))
    positive = [g.degree[g.degree > 0] for g in graphs]
    values = np.concatenate(positive)
    if values.size:
        bins = log_edges(1.0, float(values.max()) + 1.0)
        for g, degree in zip(graphs, positive):
            axes.hist(degree, bins=bins, alpha=0.5, label=f"{g.name} ({int((g.degree == 0).sum()):,} isolated not shown)")
        axes.set_xscale("log")
        axes.legend()
    title(axes, "Degree distribution of the non-isolated features (log-spaced bins)")
    axes.set_xlabel("degree (log scale)")
    axes.set_ylabel("features per bin")
    return save(figure, directory, FIGURES[1])


def frequency_histogram(graphs, directory):
    figure, axes = plt.subplots(figsize=(9.6, 4.8))
    positive = [g.frequency[g.frequency > 0] for g in graphs]
    values = np.concatenate(positive)
    if values.size:
        bins = log_edges(float(values.min()), float(values.max()))
        for g, frequency in zip(graphs, positive):
            # Percent of all the graph's features; features that never fired have no logarithm.
            never = int((g.frequency <= 0).sum())
            weights = np.full(frequency.size, 100.0 / max(g.frequency.size, 1))
            label = g.name + (f" ({never:,} features never active)" if never else "")
            axes.hist(frequency, bins=bins, weights=weights, alpha=0.6, label=label)
        axes.set_xscale("log")
        axes.legend()
    title(axes, "Feature frequency (fraction of tokens on which a feature is active, log-spaced bins)", 90)
    axes.set_xlabel("frequency (log scale)")
    axes.set_ylabel("percent of features")
    axes.grid(axis="y", alpha=0.4)
    return save(figure, directory, FIGURES[2])


def degree_vs_frequency(graphs, directory):
    figure, axes = plt.subplots(figsize=(6.4, 4.8))
    for g in graphs:
        active = g.frequency > 0
        axes.scatter(g.frequency[active], g.degree[active] + 1, s=4, alpha=0.4, label=g.name)
    axes.set_xscale("log")
    axes.set_yscale("log")
    title(axes, "Degree against frequency, one point per active feature")
    axes.set_xlabel("frequency (log scale)")
    axes.set_ylabel("degree + 1 (log scale)")
    axes.legend(markerscale=3)
    return save(figure, directory, FIGURES[3])


def main(argv):
    parser = argparse.ArgumentParser(description="Draw the seed study's four figures from graph files.")
    parser.add_argument("--out", required=True, metavar="DIR", help="folder for the PNG files (created)")
    parser.add_argument("graphs", nargs="+", metavar="GRAPH.h5", help="graph files, drawn overlaid")
    args = parser.parse_args(argv)
    try:
        graphs = [Graph(path) for path in args.graphs]
    except ValueError as error:
        print(f"plot_graphs.py: {error}", file=sys.stderr)
        return 1
    os.makedirs(args.out, exist_ok=True)
    for draw in (degree_histogram, log_degree_histogram, frequency_histogram, degree_vs_frequency):
        print(draw(graphs, args.out))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
