"""Writes graph_<seed>.h5 files with h5py alone (docs/formats.md), as independent fixtures for
`coact stats` / `coact export` tests and benchmarks. The derived node datasets come from an
independent reference: networkx (derived_networkx) or scipy.sparse (derived_scipy).
"""
import h5py
import numpy as np


def symmetric_csr(n, edges):
    """CSR arrays (indptr, indices, count, weight) of undirected edges given once each as
    (i, j, count, weight) with i != j: both directions stored, rows ascending."""
    edges = np.asarray(edges, dtype=np.float64).reshape(-1, 4)
    i = edges[:, 0].astype(np.int64)
    j = edges[:, 1].astype(np.int64)
    count = edges[:, 2].astype(np.int64)
    weight = edges[:, 3]
    rows = np.concatenate([i, j])
    cols = np.concatenate([j, i])
    order = np.lexsort((cols, rows))
    indptr = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(np.bincount(rows, minlength=n), out=indptr[1:])
    return (indptr, cols[order].astype(np.int32), np.concatenate([count, count])[order],
            np.concatenate([weight, weight])[order])


def derived_networkx(n, edges):
    """degree, strength, clustering, component, mean_neighbor_degree by networkx."""
    import networkx as nx
    g = nx.Graph()
    g.add_nodes_from(range(n))
    for i, j, c, w in edges:
        g.add_edge(int(i), int(j), weight=float(w), count=int(c))
    degree = np.array([g.degree(u) for u in range(n)], dtype=np.int64)
    strength = np.array([sum(g[u][v]["weight"] for v in sorted(g[u])) / len(g[u]) if len(g[u]) else 0.0
                         for u in range(n)])
    clustering_by_node = nx.clustering(g)
    clustering = np.array([clustering_by_node[u] for u in range(n)], dtype=np.float64)
    component = np.zeros(n, dtype=np.int64)
    for cid, members in enumerate(sorted(nx.connected_components(g), key=min)):
        component[list(members)] = cid
    mnd_by_node = nx.average_neighbor_degree(g)
    mnd = np.array([mnd_by_node[u] for u in range(n)], dtype=np.float64)
    return dict(degree=degree, strength=strength, clustering=clustering, component=component,
                mean_neighbor_degree=mnd), g


def derived_scipy(n, edges):
    """The same node data from sparse-matrix algebra (fast enough for seed-scale graphs)."""
    import scipy.sparse as sp
    from scipy.sparse.csgraph import connected_components
    indptr, indices, _, weight = symmetric_csr(n, edges)
    ones = np.ones(len(indices), dtype=np.int64)
    adjacency = sp.csr_matrix((ones, indices, indptr), shape=(n, n))
    degree = np.diff(indptr)
    # Summed in row order, as coact sums them.
    weight_sum = np.bincount(np.repeat(np.arange(n), degree), weights=weight, minlength=n)
    safe = np.maximum(degree, 1)
    strength = np.where(degree > 0, weight_sum / safe, 0.0)
    # Triangles through u = (A^2 o A)[u, :].sum() / 2, in row blocks so A^2 is never whole.
    triangles = np.zeros(n, dtype=np.int64)
    for start in range(0, n, 1024):
        rows = adjacency[start:start + 1024]
        triangles[start:start + 1024] = np.asarray((rows @ adjacency).multiply(rows).sum(axis=1)).ravel() // 2
    possible = degree * (degree - 1)
    clustering = np.where(triangles > 0, 2 * triangles / np.maximum(possible, 1), 0.0)
    _, labels = connected_components(adjacency, directed=False)
    # Number components by their smallest node.
    first_seen = {}
    component = np.array([first_seen.setdefault(label, len(first_seen)) for label in labels], dtype=np.int64)
    neighbor_degrees = adjacency @ degree
    mnd = np.where(degree > 0, neighbor_degrees / safe, 0.0)
    return dict(degree=degree.astype(np.int64), strength=strength, clustering=clustering, component=component,
                mean_neighbor_degree=mnd)


def write_graph_h5(path, n, edges, frequency, topk_count, derived, **attribute_overrides):
    """A complete graph file; attribute_overrides replace or (with value None) drop attributes."""
    indptr, indices, count, weight = symmetric_csr(n, edges)
    attributes = dict(coact_kind="graph", producer="h5py fixture", format_version=np.int64(1),
                      n_nodes=np.int64(n), n_edges=np.int64(len(indices) // 2), k=np.int64(4),
                      batch_tokens=np.int64(16384), num_batches=np.int64(50), zero_policy="positive",
                      tokens_seen=np.int64(819200), sae_file="sae_fixture.h5", sae_hash="sha256:00")
    attributes.update(attribute_overrides)
    with h5py.File(path, "w") as f:
        f["/csr/indptr"] = indptr
        f["/csr/indices"] = indices
        f["/csr/count"] = count
        f["/csr/weight"] = weight
        f["/nodes/frequency"] = np.asarray(frequency, dtype=np.float64)
        f["/nodes/topk_count"] = np.asarray(topk_count, dtype=np.int64)
        for name in ("degree", "component"):
            f["/nodes/" + name] = np.asarray(derived[name], dtype=np.int64)
        for name in ("strength", "clustering", "mean_neighbor_degree"):
            f["/nodes/" + name] = np.asarray(derived[name], dtype=np.float64)
        for key, value in attributes.items():
            if value is not None:
                f.attrs[key] = value


def coactivation_edges(rng, n, active, tokens, k=4, skew=1.0):
    """Edges as a top-k co-activation graph makes them: each token activates k features among the
    first `active` ones, drawn (with replacement) by heavy-tailed popularity, and every pair of
    distinct features among them gets an occurrence with a random weight in [0, 1); the other
    nodes stay isolated. Returns (edges as an array of (i, j, count, mean weight) with i < j,
    frequency, topk_count)."""
    popularity = rng.lognormal(0.0, skew, size=active)
    picks = rng.choice(active, size=(tokens, k), p=popularity / popularity.sum())
    topk = np.bincount(picks.ravel(), minlength=n).astype(np.int64)
    first, second = np.triu_indices(k, 1)
    a = picks[:, first].ravel()
    b = picks[:, second].ravel()
    keep = a != b
    lo = np.minimum(a, b)[keep].astype(np.int64)
    hi = np.maximum(a, b)[keep].astype(np.int64)
    keys, inverse, counts = np.unique(lo * n + hi, return_inverse=True, return_counts=True)
    weight_sums = np.bincount(inverse, weights=rng.uniform(0.0, 1.0, size=len(lo)), minlength=len(keys))
    edges = np.stack([keys // n, keys % n, counts, weight_sums / counts], axis=1)
    frequency = np.minimum(1.0, topk / tokens + rng.uniform(0.0, 1e-3, size=n))
    return edges, frequency, topk
