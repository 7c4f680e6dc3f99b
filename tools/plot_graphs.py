#!/usr/bin/env python3
"""Draws the seed study's four figures from co-activation graph files (graph_<seed>.h5), as PNG:

  degree_dist.png       degree histogram, graphs overlaid
  log_deg_dist.png      log10-degree histogram of the non-isolated nodes, graphs overlaid
  freq_dist.png         log10 feature-frequency histogram, in percent of features
  feat_deg_vs_frq.png   degree against frequency, one point per feature

Usage: tools/plot_graphs.py --out DIR graph_52.h5 [graph_55.h5 ...]
Needs h5py, numpy and matplotlib (Debian: python3-h5py python3-matplotlib).
"""
import argparse
import os
import sys

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
    figure.savefig(path, dpi=120, bbox_inches="tight")
    plt.close(figure)
    return path


def degree_histogram(graphs, directory):
    figure, axes = plt.subplots(figsize=(6.4, 4.8))
    top = max(int(g.degree.max(initial=0)) for g in graphs)
    bins = np.linspace(0, max(top, 1), 301)
    for g in graphs:
        axes.hist(g.degree, bins=bins, alpha=0.5, label=f"degree {g.name}")
    axes.set_title("Degree distribution of nodes for SAE feature graphs")
    axes.set_xlabel("degree")
    axes.set_ylabel("nodes")
    axes.legend()
    return save(figure, directory, FIGURES[0])


def log_degree_histogram(graphs, directory):
    figure, axes = plt.subplots(figsize=(6.4, 4.8))
    logs = [np.log10(g.degree[g.degree > 0]) for g in graphs]
    values = np.concatenate(logs)
    bins = np.linspace(values.min(), values.max(), 201) if values.size and np.ptp(values) > 0 else 10
    for g, log_degree in zip(graphs, logs):
        axes.hist(log_degree, bins=bins, alpha=0.5, label=f"degree {g.name}")
    axes.set_title("Log Degree distribution of non-isolated nodes for SAE feature graphs")
    axes.set_xlabel("log10 degree")
    axes.set_ylabel("nodes")
    axes.legend()
    return save(figure, directory, FIGURES[1])


def frequency_histogram(graphs, directory):
    figure, axes = plt.subplots(figsize=(12.8, 4.8))
    logs = [np.log10(g.frequency[g.frequency > 0]) for g in graphs]
    values = np.concatenate(logs)
    bins = np.linspace(values.min(), values.max(), 121) if values.size and np.ptp(values) > 0 else 10
    for g, log_frequency in zip(graphs, logs):
        # Percent of all the graph's features; features that never fired have no logarithm.
        never = int((g.frequency <= 0).sum())
        weights = np.full(log_frequency.size, 100.0 / max(g.frequency.size, 1))
        label = g.name + (f" ({never:,} features never active)" if never else "")
        axes.hist(log_frequency, bins=bins, weights=weights, alpha=0.6, label=label)
    axes.set_title("Log Frequency of Features")
    axes.set_xlabel("log10 frequency")
    axes.set_ylabel("percent")
    axes.grid(axis="y", alpha=0.4)
    axes.legend()
    return save(figure, directory, FIGURES[2])


def degree_vs_frequency(graphs, directory):
    figure, axes = plt.subplots(figsize=(6.4, 4.8))
    for g in graphs:
        axes.scatter(g.frequency, g.degree, alpha=0.5, label=f"feature in {g.name}")
    axes.set_xlabel("frequency")
    axes.set_ylabel("degree")
    axes.legend()
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
