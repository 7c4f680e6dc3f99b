"""`coact stats` and `coact export` against networkx on random graph files written with h5py.

Every number of the descriptive table must equal networkx's (clustering to 1e-12, the rest
exactly), the stored node datasets (computed here by networkx) must pass coact's check, and
networkx.read_graphml must read the GraphML export with the same nodes (isolated ones too), node
datasets (analytics included), edges, weights and counts; networkx.read_edgelist reads the edge
list, whose comment lines list the isolated nodes.

Usage: stats_vs_networkx.py path/to/coact
"""
import json
import math
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


def run(*args):
    return subprocess.run([COACT, *args], capture_output=True, text=True, timeout=300)


def blocks_edges(rng, sizes, probability, isolated):
    """Erdos-Renyi blocks (separate components unless a block splits) plus isolated nodes."""
    edges, start = [], 0
    for size in sizes:
        for i in range(start, start + size):
            for j in range(i + 1, start + size):
                if rng.uniform() < probability:
                    edges.append((i, j, int(rng.integers(1, 5)), rng.uniform(-1.0, 1.0)))
        start += size
    n = start + isolated
    frequency = rng.uniform(0.0, 1.0, size=n)
    topk = rng.integers(0, 100, size=n)
    return n, edges, frequency, topk


class Fixture:
    """One random graph written as a graph file, with its networkx graph."""

    def __init__(self, directory, name, n, edges, frequency, topk):
        self.name, self.n, self.frequency = name, n, np.asarray(frequency, dtype=np.float64)
        self.path = os.path.join(directory, name + ".h5")
        self.derived, self.graph = graph_h5.derived_networkx(n, edges)
        graph_h5.write_graph_h5(self.path, n, edges, frequency, topk, self.derived)


def make_fixtures(directory):
    rng = np.random.default_rng(20240611)
    fixtures = []
    for name, n, active, tokens in (("graph_52", 400, 220, 900), ("graph_55", 400, 200, 900),
                                    ("graph_wide", 1500, 700, 4000)):
        edges, frequency, topk = graph_h5.coactivation_edges(rng, n, active, tokens, skew=1.2)
        fixtures.append(Fixture(directory, name, n, edges, frequency, topk))
    for name, sizes, probability, isolated in (("blocks", (40, 25, 25, 7, 2), 0.3, 11),
                                               ("sparse", (300,), 0.01, 0), ("dense", (60,), 0.8, 3),
                                               ("no_edges", (), 0.0, 5), ("one_node", (), 0.0, 1)):
        n, edges, frequency, topk = blocks_edges(rng, sizes, probability, isolated)
        fixtures.append(Fixture(directory, name, n, edges, frequency, topk))
    # A complete graph and a star with isolated nodes: clustering 1 and 0 everywhere.
    n = 30
    edges = [(i, j, 1, 0.5) for i in range(10) for j in range(i + 1, 10)] + [(10, j, 2, 0.25) for j in range(11, 25)]
    fixtures.append(Fixture(directory, "clique_star", n, edges, rng.uniform(size=n), np.zeros(n, dtype=np.int64)))
    return fixtures


def networkx_row(fixture):
    g = fixture.graph
    n, m = g.number_of_nodes(), g.number_of_edges()
    components = list(nx.connected_components(g))
    degree = np.array([g.degree(u) for u in range(n)], dtype=np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        pearson = np.corrcoef(degree, fixture.frequency)[0, 1] if n > 1 else float("nan")
    return dict(nodes=n, edges=m, average_degree=2 * m / n, density=nx.density(g),
                connected_components=nx.number_connected_components(g),
                largest_component_size=max(len(c) for c in components),
                component_sizes=sorted({len(c) for c in components}),
                average_clustering=nx.average_clustering(g), pearson_degree_frequency=pearson)


class StatsAgainstNetworkx(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory(prefix="coact_graph_stats_")
        cls.dir = cls.tmp.name
        cls.fixtures = make_fixtures(cls.dir)

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def fixture(self, name):
        return next(f for f in self.fixtures if f.name == name)

    def stats_json(self, fixtures):
        r = run("stats", "--json", *[f.path for f in fixtures])
        self.assertEqual(r.returncode, 0, r.stderr)
        return json.loads(r.stdout)["graphs"]

    def test_every_number_equals_networkx(self):
        columns = self.stats_json(self.fixtures)
        self.assertEqual([c["name"] for c in columns], [f.name for f in self.fixtures])
        for fixture, column in zip(self.fixtures, columns):
            expected = networkx_row(fixture)
            with self.subTest(graph=fixture.name):
                for key in ("nodes", "edges", "connected_components", "largest_component_size", "component_sizes"):
                    self.assertEqual(column[key], expected[key], key)
                # Same formulas and operation order as networkx: equal to the last bit.
                self.assertEqual(column["average_degree"], expected["average_degree"])
                self.assertEqual(column["density"], expected["density"])
                self.assertLessEqual(abs(column["average_clustering"] - expected["average_clustering"]), 1e-12)
                if math.isnan(expected["pearson_degree_frequency"]):
                    self.assertIsNone(column["pearson_degree_frequency"])
                else:
                    self.assertLessEqual(abs(column["pearson_degree_frequency"] - expected["pearson_degree_frequency"]),
                                         1e-12)
        # The random co-activation graphs do exercise triangles, components and isolated nodes.
        wide = networkx_row(self.fixtures[2])
        self.assertGreater(wide["average_clustering"], 0.05)
        self.assertGreater(wide["connected_components"], 100)

    def test_markdown_table_rows_and_formatting(self):
        chosen = self.fixtures[:2]
        r = run("stats", *[f.path for f in chosen])
        self.assertEqual(r.returncode, 0, r.stderr)
        lines = r.stdout.strip().splitlines()
        cells = [[c.strip() for c in line.strip("|").split("|")] for line in lines]
        self.assertEqual(cells[0], ["Statistic", "graph_52", "graph_55"])
        self.assertTrue(set(lines[1]) <= set("|-"), lines[1])
        labels = [row[0] for row in cells[2:]]
        self.assertEqual(labels, ["Number of nodes", "Number of edges", "Average degree", "Density",
                                  "Number of connected components", "Largest component size",
                                  "Unique component sizes", "Average clustering coefficient",
                                  "Pearson correlation (degree, frequency)"])
        for column, fixture in enumerate(chosen, start=1):
            e = networkx_row(fixture)
            formatted = [f"{e['nodes']:,}", f"{e['edges']:,}", f"{e['average_degree']:,.2f}", f"{e['density']:.4f}",
                         f"{e['connected_components']:,}", f"{e['largest_component_size']:,}",
                         "{" + ", ".join(f"{s:,}" for s in e["component_sizes"]) + "}",
                         f"{e['average_clustering']:.4f}", f"{e['pearson_degree_frequency']:.4f}"]
            self.assertEqual([row[column] for row in cells[2:]], formatted)
        widths = {len(line) for line in lines}
        self.assertEqual(len(widths), 1, "columns are padded to one width")

    def test_out_writes_atomically_and_refuses_to_overwrite(self):
        out = os.path.join(self.dir, "table.json")
        r = run("stats", "--json", "--out", out, self.fixtures[0].path)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(r.stdout, "")
        with open(out) as f:
            self.assertEqual(json.load(f)["graphs"][0]["name"], "graph_52")
        r = run("stats", "--out", out, self.fixtures[0].path)
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("--force", r.stderr)
        r = run("stats", "--out", out, "--force", self.fixtures[0].path)
        self.assertEqual(r.returncode, 0, r.stderr)
        with open(out) as f:
            self.assertTrue(f.read().startswith("| Statistic"))

    def corrupted_copy(self, name, dataset, index, value):
        source = self.fixtures[0]
        path = os.path.join(self.dir, name + ".h5")
        with h5py.File(source.path, "r") as f_in, h5py.File(path, "w") as f_out:
            for key in ("csr", "nodes"):
                f_in.copy(key, f_out)
            for key, attr in f_in.attrs.items():
                f_out.attrs[key] = attr
            data = f_out[dataset][...]
            data[index] = value
            f_out[dataset][...] = data
        return path

    def assert_one_line_failure(self, r, *needles):
        self.assertNotEqual(r.returncode, 0)
        self.assertEqual(r.stdout, "")
        lines = r.stderr.strip().splitlines()
        self.assertEqual(len(lines), 1, r.stderr)
        for needle in needles:
            self.assertIn(needle, lines[0])

    def test_stats_checks_stored_node_data(self):
        degree = self.fixtures[0].derived["clustering"]
        node = int(np.flatnonzero(degree > 0)[0])
        path = self.corrupted_copy("bad_clustering", "/nodes/clustering", node, 0.0)
        self.assert_one_line_failure(run("stats", path), path, "/nodes/clustering", f"node {node}")
        path = self.corrupted_copy("bad_component", "/nodes/component", 0, 99)
        self.assert_one_line_failure(run("stats", path), path, "/nodes/component")

    def test_stats_rejects_a_malformed_csr(self):
        path = self.corrupted_copy("asymmetric", "/csr/indices", 0, 399)
        self.assert_one_line_failure(run("stats", path), path, "/csr/indices")
        self.assert_one_line_failure(run("stats", os.path.join(self.dir, "missing.h5")), "missing.h5")
        r = run("stats")
        self.assertEqual(r.returncode, 2)

    def test_graphml_export_reads_back_in_networkx(self):
        for fixture in (self.fixtures[0], self.fixtures[3]):
            out = os.path.join(self.dir, fixture.name + ".graphml")
            r = run("export", "--graph", fixture.path, "--format", "graphml", "--out", out)
            self.assertEqual(r.returncode, 0, r.stderr)
            read = nx.read_graphml(out, node_type=int)
            g = fixture.graph
            self.assertFalse(read.is_directed())
            self.assertEqual(sorted(read.nodes), list(range(fixture.n)))
            self.assertEqual({frozenset(e) for e in read.edges}, {frozenset(e) for e in g.edges})
            for i, j, data in g.edges(data=True):
                self.assertEqual(read[i][j]["weight"], data["weight"])
                self.assertEqual(read[i][j]["count"], data["count"])
            clustering = nx.clustering(g)
            with h5py.File(fixture.path, "r") as f:
                frequency = f["/nodes/frequency"][...]
            for u in range(fixture.n):
                node = read.nodes[u]
                self.assertEqual(node["degree"], g.degree(u))
                self.assertEqual(node["clustering"], clustering[u])
                self.assertEqual(node["frequency"], frequency[u])
                self.assertEqual(node["component"], fixture.derived["component"][u])
            # Refuses to overwrite; --force replaces.
            r = run("export", "--graph", fixture.path, "--format", "graphml", "--out", out)
            self.assertNotEqual(r.returncode, 0)
            r = run("export", "--graph", fixture.path, "--format", "graphml", "--out", out, "--force")
            self.assertEqual(r.returncode, 0, r.stderr)

    def test_edge_list_export_keeps_every_node(self):
        for fixture in (self.fixtures[1], self.fixture("no_edges"), self.fixture("clique_star")):
            out = os.path.join(self.dir, fixture.name + ".edges")
            r = run("export", "--graph", fixture.path, "--format", "edgelist", "--out", out)
            self.assertEqual(r.returncode, 0, r.stderr)
            with open(out) as f:
                lines = f.read().splitlines()
            g = fixture.graph
            isolated = sorted(u for u in g.nodes if g.degree(u) == 0)
            self.assertGreater(len(isolated), 0, "the fixtures have isolated nodes")
            self.assertEqual(lines[0], f"# coact edge list: {fixture.n} nodes (ids 0 to {fixture.n - 1}), "
                                       f"{g.number_of_edges()} edges, {len(isolated)} isolated nodes")
            self.assertEqual([int(line.split()[2]) for line in lines if line.startswith("# node ")], isolated)
            rows = [line.split() for line in lines if not line.startswith("#")]
            self.assertEqual(len(rows), g.number_of_edges())
            for i, j, weight, count in rows:
                i, j = int(i), int(j)
                self.assertLess(i, j)
                self.assertEqual(float(weight), g[i][j]["weight"])
                self.assertEqual(int(count), g[i][j]["count"])
            # networkx reads it as is; the "# node i" comment lines give the isolated nodes.
            read = nx.read_edgelist(out, nodetype=int, data=(("weight", float), ("count", int)))
            read.add_nodes_from(int(line.split()[2]) for line in lines if line.startswith("# node "))
            self.assertEqual(sorted(read.nodes), list(range(fixture.n)))
            self.assertEqual({frozenset(e) for e in read.edges}, {frozenset(e) for e in g.edges})
            for i, j, data in g.edges(data=True):
                self.assertEqual(read[i][j]["weight"], data["weight"])
                self.assertEqual(read[i][j]["count"], data["count"])

    def test_graphml_export_carries_every_node_dataset(self):
        fixture = self.fixtures[0]
        path = os.path.join(self.dir, "with_analytics.h5")
        with open(fixture.path, "rb") as source, open(path, "wb") as copy:
            copy.write(source.read())
        g = fixture.graph
        pagerank = nx.pagerank(g)
        communities = {u: i for i, c in enumerate(sorted(nx.connected_components(g), key=min)) for u in c}
        with h5py.File(path, "a") as f:
            f["/nodes/pagerank"] = np.array([pagerank[u] for u in range(fixture.n)], dtype=np.float64)
            f["/nodes/community_louvain"] = np.array([communities[u] for u in range(fixture.n)], dtype=np.int64)
            f["/nodes/pagerank"].attrs["algorithm"] = "pagerank"
        out = os.path.join(self.dir, "with_analytics.graphml")
        r = run("export", "--graph", path, "--format", "graphml", "--out", out)
        self.assertEqual(r.returncode, 0, r.stderr)
        read = nx.read_graphml(out, node_type=int)
        self.assertEqual(sorted(read.nodes), list(range(fixture.n)), "isolated nodes included")
        with h5py.File(path, "r") as f:
            stored = {name: f["/nodes/" + name][...] for name in f["/nodes"]}
        self.assertEqual(len(stored), 9)
        for u in range(fixture.n):
            node = read.nodes[u]
            self.assertEqual(set(node), set(stored), f"node {u}: every /nodes dataset is an attribute")
            for name, values in stored.items():
                self.assertEqual(node[name], values[u].item(), f"node {u} {name}")

    def test_export_usage_errors(self):
        r = run("export", "--graph", self.fixtures[0].path, "--format", "gexf", "--out", os.path.join(self.dir, "x"))
        self.assert_one_line_failure(r, "graphml or edgelist")
        self.assertEqual(r.returncode, 2)
        r = run("export", "--format", "graphml", "--out", os.path.join(self.dir, "x"))
        self.assert_one_line_failure(r, "--graph")
        self.assertFalse(os.path.exists(os.path.join(self.dir, "x")))


if __name__ == "__main__":
    unittest.main(argv=sys.argv[:1], verbosity=2)
