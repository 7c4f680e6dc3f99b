"""The HTML report stays usable at 131,072 features: two generated graphs of that size (the
second a relabelled copy of the first) and a compare.h5 matching them, written with h5py; then
`coact report --html` within a memory bound, every data file under 5 MB, and in headless
Chromium: the study, the feature list, a feature found by id whose page shows the right
neighbours (h5py) and match, and the figures page with every feature drawn; each page ready
within a time bound, the page's JavaScript heap within a memory bound, no console error, no
network request, screenshots that are not blank.

Usage: html_report_large_test.py path/to/coact
"""
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import unittest

import h5py
import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "graph"))
import chromium  # noqa: E402
import graph_h5  # noqa: E402

COACT = sys.argv[1]
N = 131072
PAGE_SECONDS = 120           # each page ready within this
HEAP_BYTES = 1 << 30         # the page's JavaScript heap
REPORT_RSS_BYTES = 4 << 30   # coact report's peak resident memory
FILE_BYTES = 5 << 20         # any one file of the folder


def write_compare(path, graphs, matching, cosine):
    """A compare.h5 of two SAEs with the given matching (docs/formats.md), their SAE files absent."""
    with h5py.File(path, "w") as f:
        f.attrs.update(dict(coact_kind="compare", producer="h5py fixture", format_version=np.int64(1), threshold=0.7,
                            method="exact", match="decoder", baseline_seed=np.int64(0), strength_bins=np.int64(50),
                            n_saes=np.int64(2), ground_truth=np.int64(0)))
        for i, graph in enumerate(graphs):
            with h5py.File(graph, "r") as g:
                degree = g["nodes/degree"][...]
                component = g["nodes/component"][...]
            sizes = np.bincount(component)
            group = f.create_group(f"saes/{i}")
            group.attrs.update(dict(path=f"sae_{i}.h5", hash=f"sha256:{i}", graph=graph, seed=np.int64(10 + i),
                                    d_in=np.int64(512), n_features=np.int64(N), graph_nodes=float(N),
                                    graph_edges=float(degree.sum() // 2), graph_average_degree=float(degree.mean()),
                                    graph_density=float(degree.sum() / (N * (N - 1.0))), graph_components=float(len(sizes)),
                                    graph_largest_component=float(sizes.max()), graph_average_clustering=0.0,
                                    graph_pearson_degree_frequency=0.0, graph_component_sizes=np.unique(sizes).astype(np.int64)))
        pair = f.create_group("pairs/0_1")
        pair["matching"] = matching.astype(np.int64)
        pair["decoder_cosine"] = cosine.astype(np.float32)
        pair["encoder_cosine"] = cosine.astype(np.float32)
        pair["shared"] = (cosine >= 0.7).astype(np.uint8)
        pair.attrs.update(dict(first=np.int64(0), second=np.int64(1), method="exact", match="decoder",
                               shared_fraction=float((cosine >= 0.7).mean()),
                               shared_features=float((cosine >= 0.7).sum()), mean_matched_cosine=float(cosine.mean())))


@unittest.skipUnless(chromium.find_chromium(), "Chromium is not installed (tools/install-deps.sh installs it)")
class LargeHtmlReport(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.mkdtemp(prefix="coact_html_large_")
        cls.addClassCleanup(shutil.rmtree, cls.dir, True)
        rng = np.random.default_rng(3)
        edges, frequency, topk = graph_h5.coactivation_edges(rng, N, N - 4096, 200000, k=4, skew=1.0)
        cls.perm = rng.permutation(N)  # feature i of the first graph is feature perm[i] of the second
        relabelled = edges.copy()
        a, b = cls.perm[edges[:, 0].astype(np.int64)], cls.perm[edges[:, 1].astype(np.int64)]
        relabelled[:, 0], relabelled[:, 1] = np.minimum(a, b), np.maximum(a, b)
        inverse = np.argsort(cls.perm)
        cls.graphs = []
        for k, (e, fr, tk) in enumerate(((edges, frequency, topk), (relabelled, frequency[inverse], topk[inverse]))):
            path = os.path.join(cls.dir, f"graph_{k}.h5")
            graph_h5.write_graph_h5(path, N, e, fr, tk, graph_h5.derived_scipy(N, e))
            cls.graphs.append(path)
        cls.cosine = rng.uniform(0.2, 1.0, size=N)
        cls.compare = os.path.join(cls.dir, "compare.h5")
        write_compare(cls.compare, cls.graphs, cls.perm, cls.cosine)
        report = os.path.join(cls.dir, "report.md")
        before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
        r = subprocess.run([COACT, "report", "--compare", cls.compare, "--out", report, "--no-plots", "--html"],
                           capture_output=True, text=True, timeout=1200)
        if r.returncode != 0:
            raise AssertionError(f"coact report failed ({r.returncode}):\n{r.stderr}")
        cls.report_rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024
        cls.rss_measured = cls.report_rss > before * 1024
        cls.html = os.path.join(cls.dir, "html")
        cls.url = "file://" + os.path.join(cls.html, "index.html")
        cls.browser = chromium.Browser()
        cls.addClassCleanup(cls.browser.close)

    def open(self, fragment, ready):
        page = self.browser.open(self.url + fragment)
        page.wait_for(f"document.body && document.body.dataset.ready === '{ready}'", timeout=PAGE_SECONDS)
        return page

    def check(self, page):
        self.browser.pump(0.3)
        self.assertEqual(page.errors, [])
        for url in page.requests:
            self.assertTrue(url.startswith("file://" + self.html + "/"), url)
        page.send("Performance.enable")
        metrics = {m["name"]: m["value"] for m in page.send("Performance.getMetrics")["metrics"]}
        self.assertLess(metrics["JSHeapUsedSize"], HEAP_BYTES)
        self.assertGreater(chromium.distinct_colours(page.screenshot()), 30)

    def test_files_and_memory(self):
        if self.rss_measured:
            self.assertLess(self.report_rss, REPORT_RSS_BYTES)
        names = os.listdir(self.html)
        self.assertGreaterEqual(len([n for n in names if n.startswith("sae0_b")]), 64)  # split into blocks
        for name in names:
            self.assertLess(os.path.getsize(os.path.join(self.html, name)), FILE_BYTES, name)

    def test_feature_found_by_id(self):
        with h5py.File(self.graphs[0], "r") as g:
            degree = g["nodes/degree"][...]
            indptr = g["csr/indptr"][...]
            f = int(np.flatnonzero(degree >= 12)[-1])  # a late block, with a full neighbour list
            indices = g["csr/indices"][indptr[f]:indptr[f + 1]]
            weights = g["csr/weight"][indptr[f]:indptr[f + 1]]
        expected = [int(v) for v in indices[np.lexsort((indices, -weights))][:12]]
        page = self.open("#explore/0", "explore")
        self.assertEqual(page.evaluate("document.querySelectorAll('#search-results tr[data-feature]').length"), 50)
        page.evaluate(f"document.getElementById('search-input').value = '{f}'; document.getElementById('search-go').click()")
        page.wait_for(f"document.body.dataset.ready === 'feature' && document.getElementById('feature-page').dataset.feature === '{f}'",
                      timeout=PAGE_SECONDS)
        shown = page.evaluate("[...document.querySelectorAll('#neighbours tr[data-feature]')].map(r => +r.dataset.feature)")
        self.assertEqual(shown, expected)
        match = page.evaluate("[...document.querySelectorAll('#matches tr[data-sae]')].map(r => [+r.dataset.sae, +r.dataset.feature])")
        self.assertEqual(match, [[1, int(self.perm[f])]])
        # In the relabelled copy, the nearest node by statistics is the feature's own image.
        nearest = page.evaluate("[...document.querySelectorAll('table.nearest[data-sae=\"1\"] tr[data-feature]')].map(r => +r.dataset.feature)")
        self.assertEqual(nearest[0], int(self.perm[f]))
        self.check(page)

    def test_figures_draw_every_feature(self):
        page = self.open("#figures", "figures")
        titles = page.evaluate("[...document.querySelectorAll('canvas')].map(c => c.chartTitle)")
        self.assertEqual(len(titles), 3 + 2)
        self.check(page)


if __name__ == "__main__":
    unittest.main(argv=sys.argv[:1], verbosity=2)
