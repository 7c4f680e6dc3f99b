"""`coact report --html` in headless Chromium: the folder opens from disk with no console error
and no request that is not a file of the folder; a search for a feature opens its page, whose
neighbours, matches and contexts agree with the graph, compare and store files (h5py); a
search by a top token finds the feature; the charts name a feature on hover and open its page
on click; screenshots are not blank.

Usage: html_report_test.py path/to/coact
"""
import os
import shutil
import subprocess
import sys
import tempfile
import unittest

import h5py
import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import chromium  # noqa: E402

COACT = sys.argv[1]
SEEDS = (52, 55)


def run(args):
    r = subprocess.run([COACT, *args], capture_output=True, text=True, timeout=600)
    if r.returncode != 0:
        raise AssertionError(f"coact {' '.join(args)} failed ({r.returncode}):\n{r.stderr}")
    return r


def strongest(path, f, k=12):
    """f's neighbours by weight (ties: lower id), from the graph file's CSR."""
    with h5py.File(path, "r") as g:
        indptr = g["csr/indptr"][...]
        indices = g["csr/indices"][indptr[f]:indptr[f + 1]]
        weights = g["csr/weight"][indptr[f]:indptr[f + 1]]
    order = np.lexsort((indices, -weights))
    return [int(v) for v in indices[order][:k]]


@unittest.skipUnless(chromium.find_chromium(), "Chromium is not installed (tools/install-deps.sh installs it)")
class HtmlReport(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.mkdtemp(prefix="coact_html_")
        cls.addClassCleanup(shutil.rmtree, cls.dir, True)
        cls.acts = os.path.join(cls.dir, "acts.h5")
        run(["synth", "--out", cls.acts, "--rows", "20480", "--d", "16", "--features", "48", "--seed", "4"])
        rng = np.random.default_rng(1)
        with h5py.File(cls.acts, "r+") as f:  # token ids and positions: the contexts' text
            rows = f.attrs["rows"]
            f["tokens"] = rng.integers(0, 500, size=rows).astype(np.int32)
            f["positions"] = (np.arange(rows) % 64).astype(np.int32)
        for seed in SEEDS:
            run(["train", "--activations", cls.acts, "--out", cls.dir, "--seed", str(seed), "--steps", "200", "--expansion", "4",
                 "--batch-size", "1024", "--recipe", "topk", "--k", "6", "--lr", "2e-3"])
            run(["graph", "--sae", cls.path("sae", seed), "--activations", cls.acts, "--out", cls.path("graph", seed),
                 "--batch-tokens", "2048", "--num-batches", "5"])
        run(["communities", "--graph", cls.path("graph", SEEDS[0]), "--method", "louvain"])
        cls.compare = os.path.join(cls.dir, "compare.h5")
        run(["compare", "--sae", *[cls.path("sae", s) for s in SEEDS], "--graphs", *[cls.path("graph", s) for s in SEEDS],
             "--out", cls.compare])
        report = os.path.join(cls.dir, "report", "report.md")
        os.makedirs(os.path.dirname(report))
        run(["report", "--compare", cls.compare, "--out", report, "--no-plots", "--html"])
        cls.html = os.path.join(cls.dir, "report", "html")
        cls.url = "file://" + os.path.join(cls.html, "index.html")
        cls.browser = chromium.Browser()
        cls.addClassCleanup(cls.browser.close)

    @classmethod
    def path(cls, kind, seed):
        return os.path.join(cls.dir, f"{kind}_{seed}.h5")

    def open(self, fragment, ready):
        page = self.browser.open(self.url + fragment)
        page.wait_for(f"document.body && document.body.dataset.ready === '{ready}'")
        return page

    def assert_clean(self, page):
        self.browser.pump(0.3)
        self.assertEqual(page.errors, [])
        self.assertTrue(page.requests)
        for url in page.requests:
            self.assertTrue(url.startswith("file://" + self.html + "/"), url)

    def test_folder_is_complete_and_small(self):
        names = sorted(os.listdir(self.html))
        for name in ("index.html", "coact.js", "charts.js", "graphview.js", "coact.css", "study.js", "pair0_1.js",
                     "sae0_columns.js", "sae0_b0.js", "sae1_stats.js", "sae0_search.js", "sae0_communities.js"):
            self.assertIn(name, names)
        self.assertFalse([n for n in names if n.startswith(".")], "no temporaries left")
        for name in names:
            self.assertLess(os.path.getsize(os.path.join(self.html, name)), 4 << 20, name)

    def test_study_page(self):
        page = self.open("", "study")
        self.assertGreaterEqual(page.evaluate("document.querySelectorAll('main table').length"), 8)
        self.assertIn("Stability across seeds", page.evaluate("document.querySelector('main').innerText"))
        self.assertGreater(chromium.distinct_colours(page.screenshot()), 50)
        self.assert_clean(page)

    def test_search_by_id_opens_the_feature_page(self):
        with h5py.File(self.path("graph", SEEDS[0]), "r") as g:
            f = int(np.argmax(g["nodes/degree"][...]))
        page = self.open("", "study")
        page.evaluate(f"document.getElementById('search-sae').value = '0'; document.getElementById('search-input').value = '{f}';"
                      "document.getElementById('search-go').click()")
        page.wait_for(f"document.body.dataset.ready === 'feature' && document.getElementById('feature-page').dataset.feature === '{f}'")
        shown = page.evaluate("[...document.querySelectorAll('#neighbours tr[data-feature]')].map(r => +r.dataset.feature)")
        self.assertEqual(shown, strongest(self.path("graph", SEEDS[0]), f))
        # Its match in the other seed, with the decoder cosine, as compare.h5 has them.
        with h5py.File(self.compare, "r") as c:
            match = int(c["pairs/0_1/matching"][f])
            cosine = float(c["pairs/0_1/decoder_cosine"][f])
        row = page.evaluate("[...document.querySelectorAll('#matches tr[data-sae]')].map(r => [+r.dataset.sae, +r.dataset.feature,"
                            " r.cells[2].innerText])")
        self.assertEqual(len(row), 1)
        self.assertEqual(row[0][:2], [1, match])
        self.assertAlmostEqual(float(row[0][2]), cosine, places=3)
        # The highlighted token of each context is the store's token at that row.
        contexts = page.evaluate("[...document.querySelectorAll('#contexts tr')].slice(1).map(r => [r.cells[1].innerText,"
                                 " r.querySelector('mark').innerText])")
        self.assertTrue(contexts)
        with h5py.File(self.acts, "r") as a:
            tokens = a["tokens"][...]
        for row_text, token in contexts:
            self.assertEqual(token, f"#{tokens[int(row_text.replace(',', ''))]}")
        # The nearest-by-statistics tables are filled, every column.
        cells = page.evaluate("[...document.querySelectorAll('table.nearest td')].map(c => c.innerText.trim())")
        self.assertTrue(cells and all(cells))
        self.assertGreater(page.evaluate("document.querySelectorAll('#graph-view circle').length"), 1)
        self.assertGreater(chromium.distinct_colours(page.screenshot()), 50)
        # A neighbour's link opens its page.
        first = shown[0]
        page.evaluate(f"document.querySelector('#neighbours a[data-feature=\"{first}\"]').click()")
        page.wait_for(f"document.body.dataset.ready === 'feature' && document.getElementById('feature-page').dataset.feature === '{first}'")
        self.assert_clean(page)

    def test_search_by_top_token(self):
        page = self.open("#feature/1/3", "feature")
        token = page.evaluate("document.querySelector('#contexts mark').innerText")
        page.evaluate(f"document.getElementById('search-sae').value = '1'; document.getElementById('search-input').value = '{token}';"
                      "document.getElementById('search-go').click()")
        page.wait_for("document.body.dataset.ready === 'explore'")
        found = page.evaluate("[...document.querySelectorAll('#search-results tr[data-feature]')].map(r => +r.dataset.feature)")
        self.assertIn(3, found)
        self.assert_clean(page)

    def test_charts_hover_and_click(self):
        page = self.open("#figures", "figures")
        titles = page.evaluate("[...document.querySelectorAll('canvas')].map(c => c.chartTitle)")
        self.assertEqual(len(titles), 3 + 2 * 1 + 2, titles)
        self.assertTrue(all(titles))
        index = titles.index("Degree against frequency, one point per feature")
        with h5py.File(self.path("graph", SEEDS[0]), "r") as g:
            degree = g["nodes/degree"][...]
            frequency = g["nodes/frequency"][...]
        f = int(np.argmax(frequency))  # a point at the edge: nothing drawn over it
        page.evaluate(f"document.querySelectorAll('canvas')[{index}].scrollIntoView()")
        x, y = page.evaluate(f"document.querySelectorAll('canvas')[{index}].pointAt(0, {f})")
        page.mouse("mouseMoved", x, y)
        text = page.evaluate("document.getElementById('tooltip').textContent")
        self.assertIn("feature ", text)
        shown = int(text.split("feature ")[1].split()[0])
        # The point under the mouse is that feature's (or one drawn at the same place).
        self.assertAlmostEqual(float(frequency[shown]), float(frequency[f]), delta=0.02)
        self.assertEqual(int(degree[shown]) > 0, int(degree[f]) > 0)
        page.mouse("mousePressed", x, y)
        page.mouse("mouseReleased", x, y)
        page.wait_for(f"document.body.dataset.ready === 'feature' && document.getElementById('feature-page').dataset.feature === '{shown}'")
        self.assert_clean(page)

    def test_an_existing_folder_is_refused_without_force(self):
        report = os.path.join(self.dir, "report", "report.md")
        r = subprocess.run([COACT, "report", "--compare", self.compare, "--out", os.path.join(self.dir, "report", "other.md"),
                            "--no-plots", "--html"], capture_output=True, text=True, timeout=600)
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("exists; pass --force", r.stderr)
        self.assertFalse(os.path.exists(os.path.join(self.dir, "report", "other.md")))
        self.assertTrue(os.path.exists(report))


if __name__ == "__main__":
    unittest.main(argv=sys.argv[:1], verbosity=2)
