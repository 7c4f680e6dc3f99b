#!/usr/bin/env python3
"""Seed-scale graph statistics: `coact stats` against networkx, python-igraph and NetworKit.

Builds (once) a graph file shaped like the seed study's graphs (16,384 nodes, ~800k edges, one
giant component of ~7,000 nodes and the rest isolated, heavy-tailed degrees, clustering ~0.15)
by simulating top-4 co-activation with feature communities; then times the whole descriptive
table (nodes, edges, average degree, density, components, largest component, component sizes,
average clustering, Pearson(degree, frequency)) from reading the file, for every tool in the
same run; checks each tool's numbers against coact's (integers exactly, reals to 1e-12) and
prints times and ratios. A tool whose numbers differ is reported as WRONG and the script exits 1.

  bench/graph/stats_bench.py --coact build/coact [--networkit-python "$(tools/peers-venv.sh networkit)"]

coact is timed twice: the whole process (MPI start-up included) and in-process (its debug log:
read + validate + statistics + node-data check). The Python peers are timed in-process from
opening the file with h5py (interpreter start and imports excluded).
"""
import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "tests", "graph"))


def seed_like_edges(rng, n=16384, active=6974, tokens=819200, k=4, communities=600, local=0.85,
                    community_sigma=1.5, feature_sigma=2.2):
    """Top-k co-activation with structure: each token picks a community (log-normal popularity)
    and fills each of its k slots from that community (probability `local`, skewed toward the
    community's first members) or from all features (log-normal popularity)."""
    popularity = rng.lognormal(0.0, feature_sigma, size=active)
    home = rng.integers(0, communities, size=active)
    members = np.argsort(home, kind="stable")
    starts = np.searchsorted(home[members], np.arange(communities + 1))
    community_popularity = rng.lognormal(0.0, community_sigma, size=communities)
    community_popularity[starts[1:] == starts[:-1]] = 0.0
    token_community = rng.choice(communities, size=tokens, p=community_popularity / community_popularity.sum())
    global_picks = rng.choice(active, size=(tokens, k), p=popularity / popularity.sum())
    size = (starts[1:] - starts[:-1])[token_community]
    position = (rng.uniform(size=(tokens, k)) ** 2 * size[:, None]).astype(np.int64)
    local_picks = members[starts[token_community][:, None] + position]
    picks = np.where(rng.uniform(size=(tokens, k)) < local, local_picks, global_picks)

    first, second = np.triu_indices(k, 1)
    a, b = picks[:, first].ravel(), picks[:, second].ravel()
    keep = a != b
    lo = np.minimum(a, b)[keep].astype(np.int64)
    hi = np.maximum(a, b)[keep].astype(np.int64)
    keys, inverse, counts = np.unique(lo * n + hi, return_inverse=True, return_counts=True)
    weight_sums = np.bincount(inverse, weights=rng.uniform(0.0, 1.0, size=len(lo)), minlength=len(keys))
    edges = np.stack([keys // n, keys % n, counts, weight_sums / counts], axis=1)
    topk = np.bincount(picks.ravel(), minlength=n).astype(np.int64)
    # Frequency (z > 0) exceeds top-k membership; dead-ish features fire rarely.
    frequency = np.minimum(1.0, topk / tokens * rng.uniform(1.0, 4.0, size=n) + 10 ** rng.normal(-4.3, 0.15, size=n))
    return edges, frequency, topk


def make_graph_file(path, seed):
    import graph_h5
    rng = np.random.default_rng(seed)
    n = 16384
    edges, frequency, topk = seed_like_edges(rng, n=n)
    graph_h5.write_graph_h5(path, n, edges, frequency, topk, graph_h5.derived_scipy(n, edges))


def read_csr(path):
    import h5py
    with h5py.File(path, "r") as f:
        indptr = f["/csr/indptr"][...]
        indices = f["/csr/indices"][...]
        frequency = f["/nodes/frequency"][...]
    n = len(indptr) - 1
    rows = np.repeat(np.arange(n, dtype=np.int64), np.diff(indptr))
    upper = indices > rows
    return n, rows[upper], indices[upper].astype(np.int64), frequency


def summary(n, m, degree, frequency, component_sizes, average_clustering):
    with np.errstate(invalid="ignore", divide="ignore"):
        pearson = float(np.corrcoef(np.asarray(degree, dtype=np.float64), frequency)[0, 1])
    # density in networkx.density's operation order, so equal numbers are bit-identical
    return dict(nodes=n, edges=m, average_degree=2 * m / n, density=m / (n * (n - 1)) * 2 if m else 0.0,
                connected_components=len(component_sizes), largest_component_size=int(max(component_sizes)),
                component_sizes=sorted({int(s) for s in component_sizes}), average_clustering=float(average_clustering),
                pearson_degree_frequency=pearson)


def table_networkx(path):
    import networkx as nx
    n, i, j, frequency = read_csr(path)
    g = nx.Graph()
    g.add_nodes_from(range(n))
    g.add_edges_from(zip(i.tolist(), j.tolist()))
    sizes = [len(c) for c in nx.connected_components(g)]
    degree = [d for _, d in sorted(g.degree())]
    out = summary(n, g.number_of_edges(), degree, frequency, sizes, nx.average_clustering(g))
    out["density"] = nx.density(g)
    return out


def table_igraph(path):
    import igraph as ig
    n, i, j, frequency = read_csr(path)
    g = ig.Graph(n=n, edges=np.stack([i, j], axis=1))
    sizes = g.connected_components().sizes()
    return summary(n, g.ecount(), g.degree(), frequency, sizes, g.transitivity_avglocal_undirected(mode="zero"))


def table_networkit(path):
    import networkit as nk
    n, i, j, frequency = read_csr(path)
    g = nk.Graph(n)
    g.addEdges((i, j))
    components = nk.components.ConnectedComponents(g)
    components.run()
    sizes = list(components.getComponentSizes().values())
    scores = nk.centrality.LocalClusteringCoefficient(g, turbo=True).run().scores()
    degree = nk.centrality.DegreeCentrality(g).run().scores()
    return summary(n, g.numberOfEdges(), degree, frequency, sizes, sum(scores) / n)


PEERS = {"networkx": table_networkx, "igraph": table_igraph, "networkit": table_networkit}


def time_in_process(function, path, repeat):
    times, result = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        result = function(path)
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def time_coact(coact, path, repeat):
    walls, inside, result = [], [], None
    pattern = re.compile(r"read and validated in ([\d.]+) ms, statistics in ([\d.]+) ms, "
                         r"node data checked in ([\d.]+) ms")
    for _ in range(repeat):
        start = time.perf_counter()
        r = subprocess.run([coact, "stats", "--json", "--log-level", "debug", path], capture_output=True, text=True)
        walls.append(time.perf_counter() - start)
        if r.returncode != 0:
            sys.exit(f"coact stats failed: {r.stderr}")
        match = pattern.search(r.stderr)
        inside.append(sum(float(x) for x in match.groups()) / 1e3)
        result = json.loads(r.stdout)["graphs"][0]
    return statistics.median(walls), statistics.median(inside), result


def differences(reference, other):
    wrong = []
    for key, value in reference.items():
        if key in ("name", "file"):
            continue
        theirs = other[key]
        if isinstance(value, float) and key in ("average_clustering", "pearson_degree_frequency"):
            if abs(value - theirs) > 1e-12 * max(1.0, abs(value)):
                wrong.append(f"{key} {theirs!r} != {value!r}")
        elif value != theirs:
            wrong.append(f"{key} {theirs!r} != {value!r}")
    return wrong


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--coact", default=os.path.join(os.environ.get("COACT_BUILD_DIR", "build"), "coact"))
    parser.add_argument("--workdir", default="/tmp/coact-bench-graph")
    parser.add_argument("--seed", type=int, default=52)
    parser.add_argument("--repeat", type=int, default=5, help="runs per fast tool (median reported)")
    parser.add_argument("--networkit-python", help="a python with networkit (tools/peers-venv.sh networkit)")
    parser.add_argument("--skip-networkx", action="store_true", help="networkx takes minutes")
    parser.add_argument("--peer", choices=sorted(PEERS), help=argparse.SUPPRESS)  # internal: time one peer
    parser.add_argument("--file", help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.peer:  # run by the main process under another python (NetworKit's venv)
        seconds, result = time_in_process(PEERS[args.peer], args.file, args.repeat)
        print(json.dumps(dict(seconds=seconds, result=result)))
        return 0

    os.makedirs(args.workdir, exist_ok=True)
    path = os.path.join(args.workdir, f"graph_{args.seed}.h5")
    if not os.path.exists(path):
        start = time.perf_counter()
        make_graph_file(path, args.seed)
        print(f"built {path} in {time.perf_counter() - start:.1f} s", flush=True)

    wall, inside, reference = time_coact(args.coact, path, args.repeat)
    print(f"graph: {reference['nodes']:,} nodes, {reference['edges']:,} edges, {reference['connected_components']:,} "
          f"components (largest {reference['largest_component_size']:,}), average clustering "
          f"{reference['average_clustering']:.4f}; load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores",
          flush=True)
    rows = [("coact (in-process)", inside, []), ("coact (whole process)", wall, [])]
    peers = [("igraph", None), ("networkit", args.networkit_python)]
    if not args.skip_networkx:
        peers.append(("networkx", None))
    for name, python in peers:
        if name == "networkit" and not python:
            print("networkit: skipped (pass --networkit-python)", flush=True)
            continue
        if python:
            r = subprocess.run([python, os.path.abspath(__file__), "--peer", name, "--file", path,
                                "--repeat", str(args.repeat)], capture_output=True, text=True)
            if r.returncode != 0:
                sys.exit(f"{name} failed: {r.stderr}")
            measured = json.loads(r.stdout.strip().splitlines()[-1])
            seconds, result = measured["seconds"], measured["result"]
        else:
            seconds, result = time_in_process(PEERS[name], path, 1 if name == "networkx" else args.repeat)
        rows.append((name, seconds, differences(reference, result)))
        print(f"{name}: {seconds:.3f} s", flush=True)

    print()
    print("| tool | seconds | time / coact in-process | time / coact process | numbers |")
    print("|---|---:|---:|---:|---|")
    wrong = 0
    for name, seconds, diffs in rows:
        verdict = "identical" if not diffs else "WRONG: " + "; ".join(diffs)
        wrong += bool(diffs)
        print(f"| {name} | {seconds:.4f} | {seconds / inside:.1f}x | {seconds / wall:.2f}x | {verdict} |")
    return 1 if wrong else 0


if __name__ == "__main__":
    sys.exit(main())
