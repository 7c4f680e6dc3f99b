#!/usr/bin/python3
"""`coact plan`: the per-rank memory it predicts against the peak RSS of the same study run.

For every recipe (topk and nanda-1l on 1 rank, batchtopk and jumprelu data-parallel on 2 ranks,
matryoshka, two seed groups on 2 ranks, and topk split over 2 latent shards on 2 ranks), `coact plan --json` on a study file gives the
train stage's peak resident set per rank; `coact run` of that study then runs under a wrapper
that reads the largest RSS of any rank (getrusage of the waited children). The estimate must be
within 15% of the measurement (class PeakMemory, ctest label `memory`: the sanitize stage leaves
it out, as AddressSanitizer's shadow memory and quarantine are not the product's memory).

The graph and compare stages the same way: one study of two seeds runs to the compare stage,
then `coact graph` (top-4 on 1 rank, top-16 on 2: a tenth and nearly all of the edge bound) and
`coact compare` run alone on what it made.

Also: memory per rank falls when the ranks of a group double, the gradient allreduce appears
only with more than one rank per group, latent shards halve the per-latent lines and add their
collectives only with more than one shard, and bad layouts are refused in one line (exit 2).

Usage: plan_test.py path/to/coact path/to/mpiexec [Layout|PeakMemory]
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile
import unittest

COACT, MPIEXEC = sys.argv[1:3]
TOLERANCE = 0.15
# The largest RSS of the command's process tree: mpirun waits for its ranks, this wrapper for
# mpirun, so RUSAGE_CHILDREN's ru_maxrss is the largest of them all.
PEAK_RSS = ("import resource, subprocess, sys\n"
            "r = subprocess.run(sys.argv[1:])\n"
            "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024)\n"
            "sys.exit(r.returncode)\n")

CASES = {
    "topk": (1, "recipe = topk\nn = 16384\nbatch-size = 4096\nk = 16\n"),
    "nanda": (1, "recipe = nanda-1l\nn = 32768\nbatch-size = 2048\n"),
    "batchtopk_2_ranks": (2, "recipe = batchtopk\nn = 16384\nbatch-size = 4096\nk = 16\n"),
    "jumprelu_2_ranks": (2, "recipe = jumprelu\nn = 8192\nbatch-size = 2048\n"),
    "matryoshka": (1, "recipe = matryoshka\nn = 16384\nmatryoshka-widths = 2048,4096,16384\nbatch-size = 2048\nk = 16\n"),
    "two_seed_groups": (2, "seeds = 52,55\nrecipe = topk\nn = 32768\nbatch-size = 1024\nk = 16\n"),
    "topk_2_latent_shards": (2, "recipe = topk\nn = 16384\nbatch-size = 4096\nk = 16\nlatent-shards = 2\n"),
}


def run(command, timeout=600):
    return subprocess.run(command, capture_output=True, text=True, timeout=timeout)


class StudyOnStore(unittest.TestCase):
    """A synthetic store (d 256, 16,384 rows) and studies on it."""

    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="coact_plan_")
        cls.store = os.path.join(cls.tmp, "acts.h5")
        made = run([COACT, "synth", "--out", cls.store, "--rows", "16384", "--d", "256", "--features", "512",
                    "--log-level", "warn"])
        assert made.returncode == 0, made.stderr

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def study(self, name, train, graph="", stop_after=None):
        """A study on the test's store, to the train stage, or to the graph stage when `graph`
        gives its [graph] section."""
        path = os.path.join(self.tmp, name + ".ini")
        seeds = "" if "seeds" in train else "seeds = 52\n"
        stop_after = stop_after or ("graph" if graph else "train")
        with open(path, "w") as f:
            f.write(f"out = {os.path.join(self.tmp, name)}\ndevice = cpu\n[run]\nstop-after = {stop_after}\n"
                    f"[data]\nsource = store\nstore = {self.store}\n[train]\nsteps = 5\n{seeds}{train}{graph}")
        return path

    def check_estimate(self, name, ranks, estimate, measured):
        print(f"{name}: {ranks} rank(s), estimate {estimate / 2**20:.0f} MiB, measured {measured / 2**20:.0f} MiB, "
              f"ratio {estimate / measured:.3f}", file=sys.stderr)
        self.assertLess(abs(estimate - measured), TOLERANCE * measured)

    def plan_stages(self, config, ranks, *overrides):
        done = run([COACT, "plan", "--config", config, "--ranks", str(ranks), "--json", *overrides])
        self.assertEqual(done.returncode, 0, done.stderr)
        plan = json.loads(done.stdout)
        self.assertEqual(plan["ranks"], ranks)
        return plan["stages"]

    def plan(self, config, ranks):
        """The train stage of a study that stops after it."""
        stages = self.plan_stages(config, ranks)
        self.assertEqual([s["stage"] for s in stages], ["train"])
        return stages[0]



class Layout(StudyOnStore):
    """What the plan says, without running the study."""

    def test_memory_per_rank_falls_with_ranks(self):
        config = self.study("scaling", "recipe = topk\nn = 16384\nbatch-size = 4096\nk = 16\n")
        one, two = self.plan(config, 1), self.plan(config, 2)
        self.assertLess(two["resident_bytes"], one["resident_bytes"])
        batch = lambda s: next(m["bytes"] for m in s["memory"] if m["what"].startswith("pre-activations"))
        self.assertEqual(batch(two), batch(one) / 2)
        self.assertFalse([t for t in one["traffic"] if "allreduce" in t["what"]])
        allreduce = [t for t in two["traffic"] if "allreduce" in t["what"]]
        self.assertEqual(len(allreduce), 1)
        buffer = next(m["bytes"] for m in two["memory"] if m["what"].startswith("gradient and statistics buffer"))
        self.assertEqual(allreduce[0]["bytes"], buffer)  # a ring of 2 sends 2(2 - 1)/2 of it

    def test_latent_shards_halve_the_latents(self):
        # n 16,384 at d 256: T = 2 on 2 ranks holds 8,192 latents per rank, all 4,096 rows (one
        # data rank); T = 1 on 1 rank holds them all.
        topk = CASES["topk"][1]
        config = self.study("shards", topk)
        one = self.plan(config, 1)
        two = self.plan_stages(config, 2, "--train.latent-shards", "2")[0]
        line = lambda s, prefix: next(m["bytes"] for m in s["memory"] if m["what"].startswith(prefix))
        b_dec = 256 * 4  # replicated on every shard: the rest halves
        self.assertEqual(2 * line(two, "parameters") - line(one, "parameters"), b_dec)
        self.assertEqual(2 * line(two, "Adam moments") - line(one, "Adam moments"), 2 * b_dec)
        self.assertEqual(line(two, "pre-activations"), line(one, "pre-activations") / 2)
        self.assertIn("1 data rank(s) × 2 latent shards", two["layout"])
        shard_lines = lambda s: [t["what"] for t in s["traffic"] if t["what"].startswith("latent shards")]
        self.assertFalse(shard_lines(one))
        self.assertTrue(any("x̂" in t for t in shard_lines(two)), shard_lines(two))
        self.assertTrue(any("top-k candidates" in t for t in shard_lines(two)), shard_lines(two))
        self.assertFalse([t for t in two["traffic"] if "allreduce" in t["what"]])  # one data rank: no data allreduce
        # At a checkpoint each shard copies only its own latents to the host (the shards write the
        # file together): 4 × its parameters, as the root's copies of the whole SAE without shards.
        checkpoint = lambda s: line(s, "at a checkpoint")
        self.assertEqual(checkpoint(two), 4 * line(two, "parameters"))
        self.assertEqual(checkpoint(one), 4 * line(one, "parameters"))
        # 4 ranks, T = 2: 2 data ranks allreduce the halved buffer; without shards, no shard lines.
        four = self.plan_stages(config, 4, "--train.latent-shards", "2")[0]
        self.assertIn("2 data rank(s) × 2 latent shards", four["layout"])
        data = [t for t in four["traffic"] if "data allreduce" in t["what"]]
        self.assertEqual(len(data), 1)
        self.assertEqual(data[0]["bytes"], line(four, "gradient and statistics buffer"))  # a ring of 2 sends all of it
        self.assertEqual(line(four, "pre-activations"), line(one, "pre-activations") / 4)
        self.assertFalse(shard_lines(self.plan(config, 2)))

    def test_graph_latent_shards_split_the_sae(self):
        # The graph stage with graph.latent-shards 2 on 2 ranks: each rank holds and encodes with
        # half the latents, one data rank encodes every batch and its two shards accumulate them
        # in turn; the shards exchange codes, not the SAE.
        config = self.study("graph_shards", CASES["topk"][1], graph="[graph]\nbatch-tokens = 4096\nnum-batches = 4\n")
        graph = lambda *overrides: next(s for s in self.plan_stages(config, 2, *overrides) if s["stage"] == "graph")
        one, two = graph(), graph("--graph.latent-shards", "2")
        line = lambda s, prefix: next(m["bytes"] for m in s["memory"] if m["what"].startswith(prefix))
        self.assertEqual(line(two, "encoder: pre-activations"), line(one, "encoder: pre-activations") / 2)
        self.assertLess(line(two, "SAE parameters"), 0.51 * line(one, "SAE parameters"))
        self.assertIn("1 data rank(s) × 2 latent shards of 8,192", two["layout"])
        shard_lines = lambda s: [t["what"] for t in s["traffic"] if t["what"].startswith("latent shards")]
        self.assertFalse(shard_lines(one))
        self.assertEqual(len(shard_lines(two)), 2, shard_lines(two))  # the codes, and topk's candidates
        done = run([COACT, "plan", "--config", config, "--ranks", "2", "--graph.latent-shards", "3"])
        self.assertEqual(done.returncode, 2, done.stderr)
        self.assertIn("graph: --latent-shards 3 does not divide the 2 rank(s)", done.stderr)

    def test_markdown_names_every_line(self):
        done = run([COACT, "plan", "--config", self.study("text", CASES["topk"][1]), "--ranks", "2"])
        self.assertEqual(done.returncode, 0, done.stderr)
        for text in ("## train", "Adam moments", "pre-activations", "peak resident set per rank", "gradient allreduce"):
            self.assertIn(text, done.stdout)
        self.assertNotIn("## graph", done.stdout)  # the study stops after train
        self.assertNotIn("not estimated", done.stdout)

    def test_bad_layouts_refused_in_one_line(self):
        topk = CASES["topk"][1]
        cases = [
            (["--config", self.study("zero", topk), "--ranks", "0"], "--ranks 0"),
            (["--config", self.study("no_ranks", topk)], "needs --ranks"),
            (["--config", self.study("groups", "seeds = 52,55\n" + topk), "--ranks", "1",
              "--train.parallel-seeds", "2"], "train.parallel-seeds"),
            (["--config", self.study("ranks_key", topk), "--ranks", "2", "--run.ranks", "4"], "run.ranks"),
            (["--config", self.study("batch", "recipe = topk\nbatch-size = 2\n"), "--ranks", "4"], "batch-size"),
            (["--ranks", "2"], "needs --config"),
            (["--config", self.study("shards_3", topk), "--ranks", "2", "--train.latent-shards", "3"],
             "--latent-shards 3 does not divide"),
            (["--config", self.study("shards_key", topk + "latent-shards = 2\n"), "--ranks", "3"],
             "--latent-shards 2 does not divide"),
            (["--config", self.study("shards_groups", "seeds = 52,55\n" + topk), "--ranks", "2",
              "--train.latent-shards", "2"], "--latent-shards 2 does not divide"),
        ]
        for args, words in cases:
            with self.subTest(args=args):
                done = run([COACT, "plan", *args])
                self.assertEqual(done.returncode, 2, done.stdout + done.stderr)
                self.assertIn(words, done.stderr)
                self.assertEqual(len(done.stderr.strip().splitlines()), 1, done.stderr)

    def test_record_source_is_planned_from_the_model_and_tokens(self):
        # Before the data stage the store does not exist: the plan takes its width from the
        # model's config (the hook's width) and its rows from the tokens, and says the same as
        # the plan of the recorded store.
        sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "model"))
        import gpt2_reference as ref
        import numpy as np
        cfg = dict(n_layers=1, d_model=16, n_heads=2, d_head=8, d_mlp=32, d_vocab=61, d_vocab_out=61, n_ctx=16,
                   act_fn="gelu_new", model_name="tiny-gpt2")
        rng = np.random.default_rng(3)
        model_dir = os.path.join(self.tmp, "record_model")
        os.makedirs(model_dir)
        ref.write_huggingface(model_dir, ref.random_model(rng, cfg, tied=True), cfg)
        tokens = os.path.join(model_dir, "tokens.h5")
        import h5py
        with h5py.File(tokens, "w") as f:
            f["tokens"] = rng.integers(0, cfg["d_vocab"], (64, 16)).astype(np.int32)
        path = os.path.join(self.tmp, "record.ini")
        with open(path, "w") as f:
            f.write(f"out = {os.path.join(self.tmp, 'record')}\ndevice = cpu\n[run]\nstop-after = graph\n[data]\nsource = record\n"
                    f"[record]\nmodel = {model_dir}/model.safetensors\ntokens = {tokens}\nseq-len = 12\n"
                    "[train]\nseeds = 52\nsteps = 5\nrecipe = topk\nk = 4\nn = 64\nbatch-size = 128\n"
                    "[graph]\nbatch-tokens = 128\nnum-batches = 2\n")
        before = self.plan_stages(path, 1)
        self.assertEqual([s["stage"] for s in before], ["train", "graph"])
        # blocks.0.mlp.hook_post: d_mlp = 32 wide (the rows, cut from the tokens, size the store's
        # lines, which must equal those of the recorded store below).
        self.assertIn("n 64 × d 32", before[0]["layout"])
        made = run([COACT, "run", "--config", path, "--run.stop-after", "data", "--log-level", "warn"])
        self.assertEqual(made.returncode, 0, made.stderr[-2000:])
        with h5py.File(os.path.join(self.tmp, "record", "acts.h5"), "r") as f:
            self.assertEqual(f["activations"].shape[1], 32)
        after = self.plan_stages(path, 1)
        # Every line but the runtime's, which is measured in the plan's own process.
        sized = lambda stage: [m for m in stage["memory"] if not m["what"].startswith("runtime:")]  # noqa: E731
        for b, a in zip(before, after):
            self.assertEqual(sized(b), sized(a), b["stage"])
            self.assertEqual(b["layout"], a["layout"], b["stage"])
        # A model that is not there is named before any work.
        with open(path, "w") as f:
            f.write(f"out = {os.path.join(self.tmp, 'record2')}\n[run]\nstop-after = train\n[data]\nsource = record\n"
                    "[train]\nseeds = 52\nsteps = 5\n[record]\nmodel = /nonexistent/model.safetensors\ntokens = /nonexistent/tokens.h5\n")
        done = run([COACT, "plan", "--config", path, "--ranks", "1"])
        self.assertEqual(done.returncode, 2, done.stderr)
        self.assertIn("record", done.stderr)


class PeakMemory(StudyOnStore):
    """The estimates against the measured peak RSS of the same work."""

    def test_estimate_within_15_percent_of_measured_peak(self):
        for name, (ranks, train) in CASES.items():
            with self.subTest(case=name):
                config = self.study(name, train)
                stage = self.plan(config, ranks)
                self.assertAlmostEqual(stage["resident_bytes"],
                                       sum(m["bytes"] for m in stage["memory"]), delta=1.0)  # cpu: every line is resident
                measured = self.measure([COACT, "run", "--config", config, "--log-level", "warn"], ranks)
                self.check_estimate(name, ranks, stage["resident_bytes"], measured)

    def measure(self, command, ranks=1):
        """The peak RSS of `command` (on `ranks` ranks): the largest of its processes."""
        if ranks > 1:
            command = [MPIEXEC, "-n", str(ranks), "--oversubscribe", *command]
        done = run([sys.executable, "-c", PEAK_RSS, *command])
        self.assertEqual(done.returncode, 0, done.stderr[-2000:])
        return int(done.stdout.split()[-1])

    def test_graph_and_compare_estimates_within_15_percent_of_measured_peak(self):
        # One study of two seeds to the compare stage; `coact graph` and `coact compare` then run
        # alone on what it made, with the study's options, so each peak is that stage's alone.
        # Graphs: top-4 on 1 rank and top-16 on 2 (a tenth and nearly all of the edge bound).
        # The compare stage's peak is the root's matching (its tiles and candidate pass).
        config = self.study("stages", "seeds = 52,55\nrecipe = topk\nn = 8192\nbatch-size = 4096\nk = 16\n",
                            graph="[graph]\nbatch-tokens = 4096\nnum-batches = 4\nk = 4\n", stop_after="compare")
        made = run([COACT, "run", "--config", config, "--log-level", "warn"])
        self.assertEqual(made.returncode, 0, made.stderr[-2000:])
        out = os.path.join(self.tmp, "stages")
        for k, ranks in ((4, 1), (16, 2)):
            with self.subTest(stage="graph", k=k, ranks=ranks):
                stages = self.plan_stages(config, ranks, "--graph.k", str(k))
                self.assertEqual([s["stage"] for s in stages], ["train", "graph", "compare"])
                measured = self.measure([COACT, "graph", "--sae", f"{out}/sae_52.h5", "--activations", self.store,
                                         "--out", f"{out}/graph_k{k}_alone.h5", "--batch-tokens", "4096",
                                         "--num-batches", "4", "--k", str(k), "--device", "cpu", "--log-level", "warn"],
                                        ranks)
                self.check_estimate(f"graph top-{k}", ranks, stages[1]["resident_bytes"], measured)
        with self.subTest(stage="compare"):
            stages = self.plan_stages(config, 1, "--threads", "2")
            measured = self.measure([COACT, "compare", "--sae", f"{out}/sae_52.h5", f"{out}/sae_55.h5", "--graphs",
                                     f"{out}/graph_52.h5", f"{out}/graph_55.h5", "--out", f"{out}/compare_alone.h5",
                                     "--threads", "2", "--device", "cpu", "--log-level", "warn"])
            self.check_estimate("compare", 1, stages[2]["resident_bytes"], measured)

if __name__ == "__main__":
    unittest.main(argv=sys.argv[:1] + sys.argv[3:], verbosity=2)
