#!/usr/bin/python3
"""Seed-scale graph analytics: coact's Louvain and PageRank against NetworKit and python-igraph
in the same run, on the seed-shaped graph of stats_bench.py (16,384 nodes, ~809k edges; built
once under --workdir).

  bench/graph/analytics_bench.py --bench build/bench/graph/bench_graph_analytics \\
      [--networkit-python "$(tools/peers-venv.sh networkit)"] [--weight weight|unit]

coact is timed in-process by bench_graph_analytics (median of --repeat runs, graph in memory);
the peers in-process from an edge list already in memory (graph construction excluded), median
of --repeat runs. Louvain: coact as the peers run it (one order, no refinement) and with its
defaults; every partition's modularity is recomputed here with one formula (networkx's, on the
same edge values). PageRank: networkx semantics (damping 0.85, L1 change < n · 1e-6) for coact;
each peer's default stopping rule; every result is compared with a tight-tolerance coact run
(L1 distance). Prints a table with ratios to coact; exits 1 when a peer's PageRank differs from
coact's by more than 1e-4 in L1 or a Louvain modularity is more than 10% below coact's.
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)


def modularity(n, i, j, w, labels):
    """Newman modularity (resolution 1) of `labels` on the undirected edges (i, j, w)."""
    degree = np.bincount(i, weights=w, minlength=n) + np.bincount(j, weights=w, minlength=n)
    twice_m = degree.sum()
    inside = w[labels[i] == labels[j]].sum()
    total = np.bincount(labels, weights=degree)
    return float(2.0 * inside / twice_m - ((total / twice_m) ** 2).sum())


def timed(function, repeat):
    times, result = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        result = function()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def peer_igraph(edges_path, repeat, out_path):
    import igraph as ig
    z = np.load(edges_path)
    n, i, j, w = int(z["n"]), z["i"], z["j"], z["w"]
    g = ig.Graph(n=n, edges=np.stack([i, j], axis=1))
    g.es["weight"] = w
    louvain_s, clusters = timed(lambda: g.community_multilevel(weights="weight"), repeat)
    pagerank_s, pagerank = timed(lambda: g.pagerank(weights="weight", damping=0.85), repeat)
    np.savez(out_path, labels=np.asarray(clusters.membership), pagerank=np.asarray(pagerank),
             louvain_s=louvain_s, pagerank_s=pagerank_s)


def peer_networkit(edges_path, repeat, out_path):
    import networkit as nk
    nk.setNumberOfThreads(2)
    z = np.load(edges_path)
    n, i, j, w = int(z["n"]), z["i"], z["j"], z["w"]
    g = nk.Graph(n, weighted=True)
    g.addEdges((w, (i, j)))

    def louvain():
        plm = nk.community.PLM(g, refine=False)
        plm.run()
        return plm.getPartition()

    def pagerank():
        pr = nk.centrality.PageRank(g, damp=0.85, tol=1e-6)
        pr.run()
        return pr.scores()

    louvain_s, partition = timed(louvain, repeat)
    pagerank_s, scores = timed(pagerank, repeat)
    np.savez(out_path, labels=np.asarray(partition.getVector()), pagerank=np.asarray(scores),
             louvain_s=louvain_s, pagerank_s=pagerank_s)


PEERS = {"igraph": peer_igraph, "networkit": peer_networkit}


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--bench", default=os.path.join(os.environ.get("COACT_BUILD_DIR", "build"), "bench", "graph",
                                                        "bench_graph_analytics"))
    parser.add_argument("--workdir", default="/tmp/coact-bench-graph")
    parser.add_argument("--seed", type=int, default=52)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--weight", choices=("weight", "unit"), default="weight")
    parser.add_argument("--networkit-python", help="a python with networkit (tools/peers-venv.sh networkit)")
    parser.add_argument("--peer", choices=sorted(PEERS), help=argparse.SUPPRESS)  # internal: time one peer
    parser.add_argument("--edges", help=argparse.SUPPRESS)
    parser.add_argument("--result", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.peer:
        PEERS[args.peer](args.edges, args.repeat, args.result)
        return 0

    os.makedirs(args.workdir, exist_ok=True)
    graph = os.path.join(args.workdir, f"graph_{args.seed}.h5")
    if not os.path.exists(graph):
        import stats_bench
        print(f"building {graph} ...", flush=True)
        stats_bench.make_graph_file(graph, args.seed)
    import h5py
    with h5py.File(graph, "r") as f:
        indptr, indices, weight = f["/csr/indptr"][...], f["/csr/indices"][...], f["/csr/weight"][...]
    n = len(indptr) - 1
    rows = np.repeat(np.arange(n, dtype=np.int64), np.diff(indptr))
    upper = indices > rows
    i, j = rows[upper], indices[upper].astype(np.int64)
    w = weight[upper] if args.weight == "weight" else np.ones(int(upper.sum()))
    tmp = tempfile.mkdtemp(prefix="coact_analytics_bench_")
    edges_path = os.path.join(tmp, "edges.npz")
    np.savez(edges_path, n=n, i=i, j=j, w=w)

    pagerank_path = os.path.join(tmp, "pagerank.bin")
    r = subprocess.run([args.bench, graph, str(args.repeat), args.weight, pagerank_path], capture_output=True, text=True, check=True)
    coact = json.loads(r.stdout)
    reference = np.fromfile(pagerank_path, dtype=np.float64)
    load = os.getloadavg()[0]

    rows_out = [("coact, one order (as the peers)", coact["louvain"]["seconds"], coact["louvain"]["modularity"],
                 coact["pagerank"]["seconds"], None),
                (f"coact, defaults (best of {coact['louvain_default']['trials']}, refined)", coact["louvain_default"]["seconds"],
                 coact["louvain_default"]["modularity"], None, None)]
    failures = []
    for peer, python in (("igraph", sys.executable), ("networkit", args.networkit_python)):
        if not python:
            print(f"{peer}: skipped (no --{peer}-python)")
            continue
        result_path = os.path.join(tmp, f"{peer}.npz")
        p = subprocess.run([python, os.path.abspath(__file__), "--peer", peer, "--edges", edges_path, "--result", result_path,
                            "--repeat", str(args.repeat)], capture_output=True, text=True)
        if p.returncode != 0:
            print(f"{peer}: failed\n{p.stderr[-2000:]}")
            failures.append(peer)
            continue
        z = np.load(result_path)
        q = modularity(n, i, j, w, z["labels"].astype(np.int64))
        pagerank = z["pagerank"] / z["pagerank"].sum()
        l1 = float(np.abs(pagerank - reference).sum())
        rows_out.append((peer, float(z["louvain_s"]), q, float(z["pagerank_s"]), l1))
        if l1 > 1e-4:
            failures.append(f"{peer} PageRank differs from coact's by {l1:.2e} (L1)")
        if q < 0.9 * coact["louvain"]["modularity"]:
            failures.append(f"{peer} Louvain modularity {q:.4f} far below coact's")

    print(f"graph {graph}: {coact['nodes']:,} nodes, {coact['edges']:,} edges, edge value {args.weight}; "
          f"coact threads {coact['threads']}, load average {load:.1f}; median of {args.repeat}")
    print(f"coact PageRank: {coact['pagerank']['iterations']} iterations (tight reference sums to {reference.sum():.12f})")
    base_louvain, base_pagerank = coact["louvain"]["seconds"], coact["pagerank"]["seconds"]
    print(f"| tool | Louvain s | ratio | modularity | PageRank s | ratio | PageRank L1 vs coact |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for name, louvain_s, q, pagerank_s, l1 in rows_out:
        pr = "–" if pagerank_s is None else f"{pagerank_s:.4f}"
        pr_ratio = "–" if pagerank_s is None else f"{pagerank_s / base_pagerank:.1f}x"
        print(f"| {name} | {louvain_s:.3f} | {louvain_s / base_louvain:.1f}x | {q:.4f} | {pr} | {pr_ratio} | "
              f"{'–' if l1 is None else f'{l1:.1e}'} |")
    for key in ("label_propagation", "cores", "betweenness_256", "yen_10_weighted"):
        print(f"coact {key}: {coact[key]['seconds']:.4f} s")
    if failures:
        print("FAILED: " + "; ".join(failures))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
