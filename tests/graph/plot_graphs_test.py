"""tools/plot_graphs.py draws the four seed figures from generated graph files.

Usage: plot_graphs_test.py path/to/tools/plot_graphs.py
"""
import os
import subprocess
import sys
import tempfile
import unittest

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import graph_h5  # noqa: E402

SCRIPT = sys.argv[1]
FIGURES = ("degree_dist.png", "log_deg_dist.png", "freq_dist.png", "feat_deg_vs_frq.png")


def run(*args):
    return subprocess.run([sys.executable, SCRIPT, *args], capture_output=True, text=True, timeout=300)


class PlotGraphs(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory(prefix="coact_plot_")
        self.dir = self.tmp.name
        rng = np.random.default_rng(5)
        self.graphs = []
        for seed in (52, 55):
            n = 800
            edges, frequency, topk = graph_h5.coactivation_edges(rng, n, 400, 3000, skew=1.3)
            frequency[:7] = 0.0  # features that never fired have no log frequency
            path = os.path.join(self.dir, f"graph_{seed}.h5")
            graph_h5.write_graph_h5(path, n, edges, frequency, topk, graph_h5.derived_scipy(n, edges))
            self.graphs.append(path)

    def tearDown(self):
        self.tmp.cleanup()

    def test_draws_four_pngs(self):
        out = os.path.join(self.dir, "figures")
        r = run("--out", out, *self.graphs)
        self.assertEqual(r.returncode, 0, r.stderr)
        for name in FIGURES:
            path = os.path.join(out, name)
            self.assertTrue(os.path.isfile(path), name)
            with open(path, "rb") as f:
                self.assertEqual(f.read(8), b"\x89PNG\r\n\x1a\n", name)
            self.assertGreater(os.path.getsize(path), 5000, name)

    def test_readable_bins_and_titles_inside_the_canvas(self):
        """Degree bins have the Freedman–Diaconis width (NumPy's, rounded up to whole degrees), at
        most 120 of them; every figure has a title and axis labels that stay inside the canvas, and a
        title no wider than its plot."""
        import importlib.util
        spec = importlib.util.spec_from_file_location("plot_graphs", SCRIPT)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        rng = np.random.default_rng(2)
        for values in (rng.poisson(40, size=5000), rng.zipf(1.8, size=20000) % 5000, np.array([3, 3, 3])):
            edges = module.freedman_diaconis_integer_bins(values)
            self.assertLessEqual(len(edges) - 1, 120)
            self.assertGreaterEqual(edges[-1], values.max() + 1)
            reference = np.histogram_bin_edges(values, bins="fd")
            width = max(1, int(np.ceil(reference[1] - reference[0])), int(np.ceil((values.max() + 1) / 120)))
            self.assertEqual(edges[1] - edges[0], width)
        graphs = [module.Graph(path) for path in self.graphs]
        import matplotlib.pyplot as plt
        drawn = []
        original = module.save

        def keep(figure, directory, name):
            figure.canvas.draw()
            renderer = figure.canvas.get_renderer()
            box = figure.get_window_extent(renderer)
            for axes in figure.axes:
                for text in (axes.title, axes.xaxis.label, axes.yaxis.label):
                    self.assertTrue(text.get_text(), f"{name}: missing title or label")
                    extent = text.get_window_extent(renderer)
                    self.assertGreaterEqual(extent.x0, box.x0 - 1, f"{name}: {text.get_text()!r} runs off the left")
                    self.assertLessEqual(extent.x1, box.x1 + 1, f"{name}: {text.get_text()!r} runs off the right")
                # A title no wider than its plot: a longer one overhangs it and, in a narrow
                # figure, the canvas.
                plot = axes.get_window_extent(renderer)
                self.assertLessEqual(axes.title.get_window_extent(renderer).width, plot.width + 1, f"{name}: title wider than its plot")
            drawn.append(name)
            plt.close(figure)
            return name

        module.save = keep
        try:
            out = os.path.join(self.dir, "checked")
            os.makedirs(out)
            for draw in (module.degree_histogram, module.log_degree_histogram, module.frequency_histogram,
                         module.degree_vs_frequency):
                draw(graphs, out)
        finally:
            module.save = original
        self.assertEqual(drawn, list(FIGURES))

    def test_one_graph_works_too(self):
        r = run("--out", os.path.join(self.dir, "one"), self.graphs[0])
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(len(os.listdir(os.path.join(self.dir, "one"))), 4)

    def test_refuses_files_that_are_not_graphs(self):
        other = os.path.join(self.dir, "other.h5")
        import h5py
        with h5py.File(other, "w") as f:
            f.attrs["coact_kind"] = "sae"
        r = run("--out", os.path.join(self.dir, "x"), other)
        self.assertEqual(r.returncode, 1)
        self.assertIn("not a coact graph file", r.stderr)
        r = run("--out", os.path.join(self.dir, "x"), os.path.join(self.dir, "missing.h5"))
        self.assertEqual(r.returncode, 1)
        self.assertIn("missing.h5", r.stderr)
        self.assertFalse(os.path.exists(os.path.join(self.dir, "x")))


if __name__ == "__main__":
    unittest.main(argv=sys.argv[:1], verbosity=2)
