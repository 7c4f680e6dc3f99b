"""`coact path`, `coact communities` and `coact centrality` against networkx 2.8 on random graph
files written with h5py:

- shortest path lengths (hops, and Dijkstra on length = 1 - weight) and the first k shortest
  simple paths' lengths (networkx.shortest_simple_paths);
- label propagation: the same partition as networkx.community.label_propagation_communities;
- Louvain: modularity at least networkx.community.louvain_communities' (same seed, weights,
  resolution) minus 1%, and the stored modularity equal to networkx.community.modularity of the
  stored partition;
- core numbers equal to networkx.core_number; PageRank within 1e-9 of networkx.pagerank (same
  damping, tolerance and weights); exact betweenness (hops and weighted) within 1e-9 relative
  of networkx.betweenness_centrality;
- the graph file keeps its other datasets and still passes `coact stats`; bad input fails with
  one line.

Usage: analytics_vs_networkx.py path/to/coact
"""
import json
import os
import subprocess
import sys
import tempfile
import unittest

import h5py
import networkx as nx
import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import graph_h5  # noqa: E402

COACT = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.environ["COACT_BUILD_DIR"], "coact")


def run(*args, check=True):
    r = subprocess.run([COACT, *args], capture_output=True, text=True, timeout=600)
    if check and r.returncode != 0:
        raise AssertionError(f"coact {' '.join(args)} failed ({r.returncode}):\n{r.stderr}")
    return r


def block_edges(rng, sizes, p_in, p_out):
    """A planted partition: denser inside blocks than across; weights in [0, 1)."""
    edges, starts = [], np.cumsum([0, *sizes])
    n = int(starts[-1])
    block = np.repeat(np.arange(len(sizes)), sizes)
    for i in range(n):
        for j in range(i + 1, n):
            if rng.uniform() < (p_in if block[i] == block[j] else p_out):
                edges.append((i, j, int(rng.integers(1, 6)), rng.uniform(0.0, 1.0)))
    return n, edges


class Fixture:
    def __init__(self, directory, name, n, edges, rng):
        self.name, self.n = name, n
        self.path = os.path.join(directory, name + ".h5")
        derived, self.graph = graph_h5.derived_networkx(n, edges)
        for u, v, data in self.graph.edges(data=True):
            data["length"] = 1.0 - data["weight"]
        frequency = rng.uniform(0.0, 0.1, size=n)
        topk = rng.integers(0, 50, size=n)
        graph_h5.write_graph_h5(self.path, n, edges, frequency, topk, derived)


def make_fixtures(directory):
    rng = np.random.default_rng(20240612)
    fixtures = []
    for name, n, active, tokens in (("coact_a", 300, 160, 700), ("coact_b", 250, 200, 500)):
        edges, _, _ = graph_h5.coactivation_edges(rng, n, active, tokens, skew=1.2)
        fixtures.append(Fixture(directory, name, n, edges.tolist(), rng))
    for name, sizes, p_in, p_out in (("blocks", (30, 25, 40, 20, 35), 0.3, 0.02), ("sparse", (120,), 0.03, 0.0),
                                     ("dense", (50,), 0.6, 0.0)):
        n, edges = block_edges(rng, sizes, p_in, p_out)
        fixtures.append(Fixture(directory, name, n + 4, edges, rng))  # four isolated nodes at the end
    return fixtures


def partition_of(labels):
    groups = {}
    for node, label in enumerate(labels):
        groups.setdefault(int(label), set()).add(node)
    return {frozenset(s) for s in groups.values()}


class AnalyticsAgainstNetworkx(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory(prefix="coact_graph_analytics_")
        cls.dir = cls.tmp.name
        cls.fixtures = make_fixtures(cls.dir)

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def read(self, fixture, name):
        with h5py.File(fixture.path, "r") as f:
            return f["/nodes/" + name][...], dict(f["/nodes/" + name].attrs)

    def test_shortest_paths(self):
        for fixture in self.fixtures:
            g = fixture.graph
            component = max(nx.connected_components(g), key=len)
            nodes = sorted(component)
            rng = np.random.default_rng(len(nodes))
            for _ in range(4):
                s, t = (int(x) for x in rng.choice(nodes, size=2, replace=False))
                with self.subTest(graph=fixture.name, source=s, target=t):
                    hops = json.loads(run("path", "--graph", fixture.path, "--from", str(s), "--to", str(t), "--json").stdout)
                    self.assertEqual(hops["paths"][0]["length"], nx.shortest_path_length(g, s, t))
                    weighted = json.loads(run("path", "--graph", fixture.path, "--from", str(s), "--to", str(t),
                                              "--weighted", "--k", "5", "--json").stdout)
                    expected = []
                    for path in nx.shortest_simple_paths(g, s, t, weight="length"):
                        expected.append(nx.path_weight(g, path, "length"))
                        if len(expected) == 5:
                            break
                    got = [p["length"] for p in weighted["paths"]]
                    self.assertEqual(len(got), len(expected))
                    np.testing.assert_allclose(got, expected, rtol=0, atol=1e-12)
                    self.assertAlmostEqual(got[0], nx.dijkstra_path_length(g, s, t, weight="length"), delta=1e-12)
                    for p in weighted["paths"]:
                        features = [x["feature"] for x in p["features"]]
                        self.assertTrue(nx.is_simple_path(g, features))
                        self.assertEqual([x["degree"] for x in p["features"]], [g.degree(v) for v in features])
                    k_hops = json.loads(run("path", "--graph", fixture.path, "--from", str(s), "--to", str(t), "--k", "4",
                                            "--json").stdout)
                    expected_hops = [len(p) - 1 for _, p in zip(range(4), nx.shortest_simple_paths(g, s, t))]
                    self.assertEqual([p["length"] for p in k_hops["paths"]], expected_hops)
        # Unreachable: says so, and exits 1 (a script can tell "no path" from a path).
        fixture = self.fixtures[2]
        r = run("path", "--graph", fixture.path, "--from", "0", "--to", str(fixture.n - 1), check=False)
        self.assertEqual(r.returncode, 1, r.stderr)
        self.assertIn("no path", r.stdout)

    def test_label_propagation_equals_networkx(self):
        for fixture in self.fixtures:
            run("communities", "--graph", fixture.path, "--method", "label-propagation")
            labels, attributes = self.read(fixture, "community_label_propagation")
            expected = {frozenset(c) for c in nx.community.label_propagation_communities(fixture.graph)}
            with self.subTest(graph=fixture.name):
                self.assertEqual(partition_of(labels), expected)
                self.assertAlmostEqual(attributes["modularity"],
                                       nx.community.modularity(fixture.graph, partition_of(labels), weight="weight"),
                                       delta=1e-12)

    def test_louvain_modularity_within_one_percent_of_networkx(self):
        for fixture in self.fixtures:
            for seed in (0, 1, 2):
                for weight, nx_weight in (("weight", "weight"), ("unit", None), ("count", "count")):
                    run("communities", "--graph", fixture.path, "--method", "louvain", "--seed", str(seed),
                        "--weight", weight)
                    labels, attributes = self.read(fixture, "community_louvain")
                    ours = nx.community.modularity(fixture.graph, partition_of(labels), weight=nx_weight)
                    theirs_partition = nx.community.louvain_communities(fixture.graph, weight=nx_weight, seed=seed)
                    theirs = nx.community.modularity(fixture.graph, theirs_partition, weight=nx_weight)
                    with self.subTest(graph=fixture.name, seed=seed, weight=weight):
                        self.assertAlmostEqual(attributes["modularity"], ours, delta=1e-12)
                        self.assertGreaterEqual(ours, theirs - 0.01 * abs(theirs))
                        self.assertEqual(attributes["weighting"], weight)
        # Resolution is honoured the same way.
        fixture = self.fixtures[2]
        run("communities", "--graph", fixture.path, "--method", "louvain", "--resolution", "2.5")
        labels, _ = self.read(fixture, "community_louvain")
        ours = nx.community.modularity(fixture.graph, partition_of(labels), resolution=2.5)
        theirs = nx.community.modularity(fixture.graph,
                                         nx.community.louvain_communities(fixture.graph, resolution=2.5, seed=0),
                                         resolution=2.5)
        self.assertGreaterEqual(ours, theirs - 0.01 * abs(theirs))

    def test_cores_pagerank_betweenness(self):
        for fixture in self.fixtures:
            g = fixture.graph
            with self.subTest(graph=fixture.name):
                run("centrality", "--graph", fixture.path, "--samples", "0")
                cores, _ = self.read(fixture, "core_number")
                expected_cores = nx.core_number(g)
                self.assertEqual(cores.tolist(), [expected_cores[u] for u in range(fixture.n)])
                pagerank, attributes = self.read(fixture, "pagerank")
                expected = nx.pagerank(g, alpha=0.85, tol=1e-6, weight="weight")
                np.testing.assert_allclose(pagerank, [expected[u] for u in range(fixture.n)], rtol=0, atol=1e-9)
                self.assertEqual(attributes["damping"], 0.85)
                betweenness, attributes = self.read(fixture, "betweenness")
                expected = nx.betweenness_centrality(g)
                np.testing.assert_allclose(betweenness, [expected[u] for u in range(fixture.n)], rtol=1e-9, atol=1e-15)
                self.assertEqual(attributes["exact"], 1.0)

                run("centrality", "--graph", fixture.path, "--measures", "pagerank,betweenness", "--weight", "unit",
                    "--damping", "0.7", "--tolerance", "1e-8", "--weighted-betweenness", "--samples", "0")
                pagerank, _ = self.read(fixture, "pagerank")
                expected = nx.pagerank(g, alpha=0.7, tol=1e-8, weight=None)
                np.testing.assert_allclose(pagerank, [expected[u] for u in range(fixture.n)], rtol=0, atol=1e-9)
                betweenness, _ = self.read(fixture, "betweenness")
                expected = nx.betweenness_centrality(g, weight="length")
                np.testing.assert_allclose(betweenness, [expected[u] for u in range(fixture.n)], rtol=1e-9, atol=1e-15)

    def test_sampled_betweenness_estimates_exact(self):
        fixture = self.fixtures[0]
        exact = nx.betweenness_centrality(fixture.graph)
        exact = np.array([exact[u] for u in range(fixture.n)])
        estimates = []
        for seed in range(8):
            run("centrality", "--graph", fixture.path, "--measures", "betweenness", "--samples", "60", "--seed", str(seed))
            values, attributes = self.read(fixture, "betweenness")
            self.assertEqual(attributes["exact"], 0.0)
            self.assertEqual(attributes["sources"], 60.0)
            estimates.append(values)
        mean = np.mean(estimates, axis=0)
        self.assertLess(np.abs(mean - exact).sum() / exact.sum(), 0.1)
        self.assertGreater(np.corrcoef(mean, exact)[0, 1], 0.95)

    def test_file_keeps_everything_else(self):
        fixture = self.fixtures[1]
        with h5py.File(fixture.path, "r") as f:
            before = {k: f[k][...] for k in ("/csr/indptr", "/csr/indices", "/csr/weight", "/nodes/frequency",
                                              "/nodes/clustering")}
            attrs_before = dict(f.attrs)
        run("communities", "--graph", fixture.path)
        run("centrality", "--graph", fixture.path)
        with h5py.File(fixture.path, "r") as f:
            for key, value in before.items():
                np.testing.assert_array_equal(f[key][...], value, key)
            for key in ("coact_kind", "n_nodes", "n_edges", "sae_hash", "command_line"):
                if key in attrs_before:  # command_line exists once an earlier analysis stored provenance
                    self.assertEqual(f.attrs[key], attrs_before[key], key)
            for name in ("community_label_propagation", "community_louvain", "core_number", "pagerank", "betweenness"):
                self.assertEqual(f["/nodes/" + name].shape, (fixture.n,), name)
        self.assertEqual(run("stats", fixture.path).returncode, 0)
        # `coact describe` lists the analytics datasets with their attributes.
        described = json.loads(run("describe", fixture.path, "--json").stdout)
        with h5py.File(fixture.path, "r") as f:
            for name in ("community_label_propagation", "community_louvain", "core_number", "pagerank", "betweenness"):
                for key, value in f["/nodes/" + name].attrs.items():
                    if key != "command_line":
                        got = described["analytics"][name][key]
                        self.assertEqual(got, value.decode() if isinstance(value, bytes) else value, f"{name}.{key}")
        # --no-store leaves the file as it is.
        mtime = os.path.getmtime(fixture.path)
        run("centrality", "--graph", fixture.path, "--measures", "cores", "--no-store")
        self.assertEqual(os.path.getmtime(fixture.path), mtime)
        self.assertEqual([p for p in os.listdir(self.dir) if "partial" in p], [])

    def assert_one_line_failure(self, r, *needles):
        self.assertNotEqual(r.returncode, 0)
        lines = r.stderr.strip().splitlines()
        self.assertEqual(len(lines), 1, r.stderr)
        for needle in needles:
            self.assertIn(needle, lines[0])

    def test_bad_input(self):
        fixture = self.fixtures[0]
        self.assert_one_line_failure(run("path", "--graph", fixture.path, "--from", "0", "--to", str(fixture.n), check=False),
                                     "--to", str(fixture.n))
        r = run("path", "--graph", fixture.path, "--from", "0", check=False)
        self.assertEqual(r.returncode, 2)
        self.assertEqual(run("communities", "--graph", fixture.path, "--method", "magic", check=False).returncode, 2)
        self.assertEqual(run("centrality", "--graph", fixture.path, "--measures", "fame", check=False).returncode, 2)
        self.assertEqual(run("centrality", "--graph", fixture.path, "--samples", "-3", check=False).returncode, 2)
        # Negative weights: Louvain on `weight` refuses, `unit` works.
        n = 6
        edges = [(0, 1, 1, -0.5), (1, 2, 1, 0.5), (3, 4, 2, 0.25)]
        derived, _ = graph_h5.derived_networkx(n, edges)
        path = os.path.join(self.dir, "negative.h5")
        graph_h5.write_graph_h5(path, n, edges, np.zeros(n), np.zeros(n, dtype=np.int64), derived)
        self.assert_one_line_failure(run("communities", "--graph", path, "--method", "louvain", check=False),
                                     "negative", "--weight unit")
        run("communities", "--graph", path, "--method", "louvain", "--weight", "unit")
        # A corrupt stored community id is refused on read.
        with h5py.File(path, "r+") as f:
            data = f["/nodes/community_louvain"][...]
            data[0] = n + 5
            f["/nodes/community_louvain"][...] = data
        self.assert_one_line_failure(run("stats", path, check=False), "/nodes/community_louvain", "node 0")


if __name__ == "__main__":
    unittest.main(argv=sys.argv[:1], verbosity=2)
