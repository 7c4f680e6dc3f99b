"""`coact tokenize` as users run it: tokens.h5 layout and attributes, BOS and separators,
shuffle reproducibility, token files (.npy written by numpy, .bin, HDF5) as inputs, NFC against
Python's unicodedata, and bad inputs (one line naming the file, non-zero exit, no output).

The tokenizer fixture is written here: GPT-2's byte alphabet (re-derived from encoder.py's
description) plus a few merges whose ids are worked out by hand in the comments.

Usage: tokenize_command_test.py path/to/coact
"""
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import unicodedata
import unittest

import h5py
import numpy as np

COACT = sys.argv[1]


def byte_symbols():
    """GPT-2's bytes_to_unicode: printable Latin-1 bytes keep their code point, the other 68
    take 256, 257, ... in byte order."""
    printable = [b for b in range(256) if ord("!") <= b <= ord("~") or 0xA1 <= b <= 0xAC or 0xAE <= b <= 0xFF]
    symbols, extra = {}, 0
    for b in range(256):
        if b in printable:
            symbols[b] = chr(b)
        else:
            symbols[b] = chr(256 + extra)
            extra += 1
    return symbols


SYMBOLS = byte_symbols()
# Merges and the ids of their results (ids 0..255 are the bytes themselves).
MERGES = [("Ġ", "t", 256), ("h", "e", 257), ("Ġt", "he", 258), ("l", "l", 259), ("!", "!", 260),
          ("Ã", "©", 261), ("c", "a", 262), ("ca", "f", 263), ("caf", "Ã©", 264)]
END_OF_TEXT = 265
VOCAB_SIZE = 266


def vocab():
    v = {SYMBOLS[b]: b for b in range(256)}
    for left, right, merged in MERGES:
        v[left + right] = merged
    v["<|endoftext|>"] = END_OF_TEXT
    return v


def sym(text):
    return "".join(SYMBOLS[b] for b in text.encode())


def run(*args):
    return subprocess.run([COACT, "tokenize", *args], capture_output=True, text=True, timeout=300)


class TokenizeCommand(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.mkdtemp(prefix="coact_tokenize_")
        cls.addClassCleanup(shutil.rmtree, cls.dir, True)  # the work files go with the test
        cls.encoder = cls.path("encoder.json")
        cls.merges = cls.path("vocab.bpe")
        with open(cls.encoder, "w", encoding="utf-8") as f:
            json.dump(vocab(), f, ensure_ascii=False)
        with open(cls.merges, "w", encoding="utf-8") as f:
            f.write("#version: 0.2\n" + "".join(f"{a} {b}\n" for a, b, _ in MERGES))
        cls.gpt2 = ["--encoder", cls.encoder, "--merges", cls.merges]

    @classmethod
    def path(cls, name):
        return os.path.join(cls.dir, name)

    def write(self, name, content, mode="w"):
        p = self.path(name)
        with open(p, mode, **({"encoding": "utf-8", "newline": ""} if mode == "w" else {})) as f:
            f.write(content)
        return p

    def ok(self, *args):
        r = run(*args)
        self.assertEqual(r.returncode, 0, r.stderr)
        return r

    def expect_failure(self, args, *fragments, code=None):
        out = args[args.index("--out") + 1]
        r = run(*args)
        self.assertNotEqual(r.returncode, 0, r.stdout)
        self.assertGreater(r.returncode, 0, "killed by a signal")
        if code is not None:
            self.assertEqual(r.returncode, code, r.stderr)
        lines = r.stderr.strip().splitlines()
        self.assertEqual(len(lines), 1, r.stderr)
        for fragment in fragments:
            self.assertIn(fragment, lines[0])
        self.assertFalse(os.path.exists(out), "a failed run left an output")
        leftovers = [n for n in os.listdir(os.path.dirname(out)) if ".partial-" in n]
        self.assertEqual(leftovers, [], "a failed run left a temporary file")
        return lines[0]

    # ---- text -----------------------------------------------------------------------------

    def two_documents(self):
        # "hello the" -> he(257) ll(259) o(111) | " the" -> Ġt he -> Ġthe(258)
        # " café!!!"  -> Ġ(32) café(264) | "!!!" -> !!(260) !(33)
        return self.write("a.txt", "hello the"), self.write("b.txt", " café!!!")

    def test_sequences_bos_separator_and_attributes(self):
        a, b = self.two_documents()
        out = self.path("seq.h5")
        self.ok(*self.gpt2, "--input", a, b, "--out", out, "--seq-len", "4")
        # Stream: 257 259 111 258 [265] 32 264 260 33, cut into BOS + 3.
        with h5py.File(out) as f:
            np.testing.assert_array_equal(f["tokens"][...], [[265, 257, 259, 111], [265, 258, 265, 32], [265, 264, 260, 33]])
            self.assertEqual(f["tokens"].dtype, np.int32)
            attrs = dict(f.attrs)
        self.assertEqual(attrs["coact_kind"], "tokens")
        self.assertEqual(attrs["sequences"], 3)
        self.assertEqual(attrs["sequence_length"], 4)
        self.assertEqual(attrs["dropped_tokens"], 0)
        self.assertEqual(attrs["bos_id"], END_OF_TEXT)
        self.assertEqual(attrs["separator_id"], END_OF_TEXT)
        self.assertEqual(attrs["prepend_bos"], 1)
        self.assertEqual(attrs["vocab_size"], VOCAB_SIZE)
        self.assertEqual(attrs["shuffle_seed"], -1)
        self.assertEqual(attrs["input_files"], f"{a}\n{b}")
        self.assertEqual(attrs["input_encoder"], self.encoder)
        self.assertIn("coact tokenize", attrs["command_line"])

        out2 = self.path("seq_plain.h5")
        self.ok(*self.gpt2, "--input", a, b, "--out", out2, "--seq-len", "3", "--no-bos", "--no-separator")
        with h5py.File(out2) as f:
            np.testing.assert_array_equal(f["tokens"][...], [[257, 259, 111], [258, 32, 264]])
            self.assertEqual(f.attrs["dropped_tokens"], 2)
            self.assertEqual(f.attrs["separator_id"], -1)
            self.assertEqual(f.attrs["bos_id"], -1)

    def test_documents(self):
        a, b = self.two_documents()
        out = self.path("docs.h5")
        self.ok(*self.gpt2, a, b, "--out", out)  # inputs may also be positional
        with h5py.File(out) as f:
            np.testing.assert_array_equal(f["documents/0"][...], [265, 257, 259, 111, 258])
            np.testing.assert_array_equal(f["documents/1"][...], [265, 32, 264, 260, 33])
            self.assertEqual(f["documents/0"].attrs["path"], a)
            self.assertEqual(f["documents/1"].attrs["path"], b)
            self.assertEqual(f.attrs["documents"], 2)
            self.assertEqual(f.attrs["sequence_length"], 0)
        out2 = self.path("docs_bos7.h5")
        self.ok(*self.gpt2, a, "--out", out2, "--bos-id", "7")
        with h5py.File(out2) as f:
            np.testing.assert_array_equal(f["documents/0"][...], [7, 257, 259, 111, 258])

    def test_shuffle_is_reproducible(self):
        rng = random.Random(3)
        words = ["hello", "the", "café", "!!!", "12", "world", "it's"]
        text = " ".join(rng.choice(words) for _ in range(3000))
        doc = self.write("long.txt", text)
        outs = {}
        for name, extra in [("plain", []), ("s5", ["--shuffle-seed", "5"]), ("s5b", ["--shuffle-seed", "5"]),
                            ("s6", ["--shuffle-seed", "6"])]:
            outs[name] = self.path(f"shuffle_{name}.h5")
            self.ok(*self.gpt2, "--input", doc, "--out", outs[name], "--seq-len", "8", *extra)
        data = {k: h5py.File(v)["tokens"][...] for k, v in outs.items()}
        np.testing.assert_array_equal(data["s5"], data["s5b"])
        self.assertFalse(np.array_equal(data["s5"], data["plain"]))
        self.assertFalse(np.array_equal(data["s5"], data["s6"]))
        key = lambda rows: sorted(map(tuple, rows))
        self.assertEqual(key(data["s5"]), key(data["plain"]))
        self.assertEqual(h5py.File(outs["s5"]).attrs["shuffle_seed"], 5)
        # --max-sequences keeps the first sequences, then shuffles those.
        first = self.path("shuffle_first.h5")
        self.ok(*self.gpt2, "--input", doc, "--out", first, "--seq-len", "8", "--max-sequences", "10", "--shuffle-seed", "5")
        self.assertEqual(key(h5py.File(first)["tokens"][...]), key(data["plain"][:10]))

    def test_nfc_matches_unicodedata(self):
        # Bytes only, no merges: the ids are the bytes of the normalised text.
        tokenizer = {"version": "1.0", "added_tokens": [], "normalizer": {"type": "NFC"},
                     "pre_tokenizer": {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": True, "use_regex": True},
                     "post_processor": None, "decoder": None,
                     "model": {"type": "BPE", "vocab": {SYMBOLS[b]: b for b in range(256)}, "merges": []}}
        tj = self.write("nfc_tokenizer.json", json.dumps(tokenizer))
        rng = random.Random(11)
        pools = [(0x41, 0x7A), (0xC0, 0x24F), (0x300, 0x36F), (0x1100, 0x11FF), (0xAC00, 0xD7A3), (0x0900, 0x097F),
                 (0x0F40, 0x0FBC), (0x1E00, 0x1FFF), (0x3040, 0x30FF), (0x2100, 0x2200), (0x0590, 0x05FF),
                 (0x1D15E, 0x1D1C0), (0x11099, 0x110BA), (0xF900, 0xFB4F), (0x0, 0xD7FF), (0xE000, 0x10FFFF)]
        texts, files = [], []
        for i in range(400):
            chars = []
            for _ in range(rng.randint(1, 24)):
                lo, hi = rng.choice(pools)
                c = rng.randint(lo, hi)
                chars.append(chr(c if not 0xD800 <= c <= 0xDFFF else 0x20))
            texts.append("".join(chars))
            files.append(self.write(f"nfc_{i}.txt", texts[-1]))
        out = self.path("nfc.h5")
        self.ok("--tokenizer", tj, "--no-bos", "--out", out, "--input", *files)
        with h5py.File(out) as f:
            for i, text in enumerate(texts):
                got = bytes(f[f"documents/{i}"][...].astype(np.uint8).tolist())
                self.assertEqual(got, unicodedata.normalize("NFC", text).encode(), f"text {i}: {text!r}")

    # ---- token files ----------------------------------------------------------------------

    def test_token_files(self):
        ids = np.arange(1, 33) % VOCAB_SIZE  # 32 ids: 5 sequences of BOS + 6, 2 left over
        files = {}
        for dtype in (np.int32, np.int64, np.uint16, np.uint32):
            files[dtype] = self.path(f"ids_{np.dtype(dtype).name}.npy")
            np.save(files[dtype], ids.astype(dtype))
        shard = self.path("shard.bin")
        header = np.zeros(256, np.int32)
        header[:3] = [20240520, 1, len(ids)]
        with open(shard, "wb") as f:
            f.write(header.tobytes() + ids.astype(np.uint16).tobytes())
        rows = self.path("rows.npy")
        np.save(rows, np.arange(40, dtype=np.int64).reshape(4, 10))
        rows_h5 = self.path("rows.h5")
        with h5py.File(rows_h5, "w") as f:
            f["tokens"] = np.arange(100, 124, dtype=np.int16).reshape(3, 8)

        for path in [*files.values(), shard]:
            out = self.path(os.path.basename(path) + ".tokens.h5")
            self.ok("--input", path, "--out", out, "--seq-len", "7", "--bos-id", "0")
            want = np.concatenate([np.zeros((5, 1), np.int64), ids[:30].reshape(5, 6)], axis=1)
            with h5py.File(out) as f:
                np.testing.assert_array_equal(f["tokens"][...], want, path)
                self.assertEqual(f.attrs["dropped_tokens"], 2)
        # Rows keep their first seq-len positions and get no BOS; the tokenizer checks the ids.
        out = self.path("rows.tokens.h5")
        self.ok(*self.gpt2, "--input", rows, rows_h5, "--out", out, "--seq-len", "6")
        with h5py.File(out) as f:
            want = np.concatenate([np.arange(40).reshape(4, 10)[:, :6], np.arange(100, 124).reshape(3, 8)[:, :6]])
            np.testing.assert_array_equal(f["tokens"][...], want)
        # A coact tokens.h5 with documents reads back as streams.
        a, b = self.two_documents()
        docs = self.path("docs_again.h5")
        self.ok(*self.gpt2, a, b, "--out", docs, "--no-bos")
        out = self.path("docs_cut.h5")
        self.ok(*self.gpt2, "--input", docs, "--out", out, "--seq-len", "5")
        with h5py.File(out) as f:
            np.testing.assert_array_equal(f["tokens"][...], [[265, 257, 259, 111, 258], [265, 265, 32, 264, 260]])

    # ---- bad inputs -----------------------------------------------------------------------

    def test_bad_tokenizer_files(self):
        doc = self.write("doc.txt", "hello")
        out = self.path("never.h5")
        good = {"version": "1.0", "added_tokens": [], "normalizer": None,
                "pre_tokenizer": {"type": "ByteLevel", "add_prefix_space": False, "use_regex": True},
                "model": {"type": "BPE", "vocab": vocab(), "merges": [f"{a} {b}" for a, b, _ in MERGES]}}

        def tokenizer_json(name, content):
            return self.write(name, content if isinstance(content, str) else json.dumps(content))

        cut = tokenizer_json("cut.json", json.dumps(good)[:-20])
        self.expect_failure(["--tokenizer", cut, "--input", doc, "--out", out], "cut.json")
        bad = json.loads(json.dumps(good))
        bad["model"]["merges"][1] = "h zq"
        p = tokenizer_json("unknown_merge.json", bad)
        self.expect_failure(["--tokenizer", p, "--input", doc, "--out", out], "unknown_merge.json", "model.merges[1]", '"zq"')
        bad = json.loads(json.dumps(good))
        del bad["model"]
        p = tokenizer_json("no_model.json", bad)
        self.expect_failure(["--tokenizer", p, "--input", doc, "--out", out], "no_model.json", '"model"')
        bad = json.loads(json.dumps(good))
        bad["pre_tokenizer"] = {"type": "Whitespace"}
        p = tokenizer_json("whitespace.json", bad)
        self.expect_failure(["--tokenizer", p, "--input", doc, "--out", out], "whitespace.json", "Whitespace")
        bad = json.loads(json.dumps(good))
        bad["model"]["type"] = "Unigram"
        p = tokenizer_json("unigram.json", bad)
        self.expect_failure(["--tokenizer", p, "--input", doc, "--out", out], "unigram.json", "Unigram")
        bad = json.loads(json.dumps(good))
        del bad["model"]["vocab"]
        p = tokenizer_json("no_vocab.json", bad)
        self.expect_failure(["--tokenizer", p, "--input", doc, "--out", out], "no_vocab.json", '"vocab"')

        enc = self.write("bad_encoder.json", '{"a": 1,}')
        self.expect_failure(["--encoder", enc, "--merges", self.merges, "--input", doc, "--out", out], "bad_encoder.json")
        merges = self.write("bad.bpe", "#version: 0.2\nh e\nĠt he x\n")
        self.expect_failure(["--encoder", self.encoder, "--merges", merges, "--input", doc, "--out", out], "bad.bpe line 3")
        merges = self.write("unknown.bpe", "#version: 0.2\nh e\nhe q9\n")
        self.expect_failure(["--encoder", self.encoder, "--merges", merges, "--input", doc, "--out", out],
                            "unknown.bpe line 3", '"q9" is not in the vocabulary')

    def test_bad_token_files_and_ids(self):
        out = self.path("never.h5")
        header = np.zeros(256, np.int32)
        header[:3] = [20240521, 1, 3]
        wrong_magic = self.write("wrong_magic.bin", header.tobytes() + np.arange(3, dtype=np.uint16).tobytes(), "wb")
        self.expect_failure(["--input", wrong_magic, "--out", out, "--seq-len", "2", "--no-bos"], "wrong_magic.bin", "magic")
        header[:3] = [20240520, 1, 9]
        wrong_size = self.write("wrong_size.bin", header.tobytes() + np.arange(3, dtype=np.uint16).tobytes(), "wb")
        self.expect_failure(["--input", wrong_size, "--out", out, "--seq-len", "2", "--no-bos"], "wrong_size.bin", "9 tokens")
        floats = self.path("floats.npy")
        np.save(floats, np.ones(5, np.float32))
        self.expect_failure(["--input", floats, "--out", out, "--seq-len", "2", "--no-bos"], "floats.npy", "'<f4'")
        raw = open(floats, "rb").read().replace(b"'shape'", b"'shap'")
        bad_header = self.write("bad_header.npy", raw, "wb")
        self.expect_failure(["--input", bad_header, "--out", out, "--seq-len", "2", "--no-bos"], "bad_header.npy", "header")
        big = self.path("big_ids.npy")
        np.save(big, np.array([1, 2, 3, VOCAB_SIZE + 4, 5], np.int64))
        self.expect_failure([*self.gpt2, "--input", big, "--out", out, "--seq-len", "2"], "big_ids.npy",
                            f"token id {VOCAB_SIZE + 4} at position 3", f"vocabulary size {VOCAB_SIZE}")
        self.expect_failure([*self.gpt2, "--input", big, "--out", out], "big_ids.npy", f"token id {VOCAB_SIZE + 4}")
        text = self.write("latin1.txt", "caf\xe9 ok".encode("latin-1"), "wb")
        self.expect_failure([*self.gpt2, "--input", text, "--out", out], "latin1.txt", "not valid UTF-8 at byte 3")
        short = self.write("short.txt", "hi")
        self.expect_failure([*self.gpt2, "--input", short, "--out", out, "--seq-len", "16"], "fewer than one sequence")

    def test_usage_errors_and_existing_outputs(self):
        doc = self.write("usage.txt", "hello")
        out = self.path("usage.h5")
        self.expect_failure(["--input", doc, "--out", out], "--bos-id", code=2)  # no tokenizer: no BOS
        self.expect_failure(["--input", doc, "--out", out, "--no-bos"], "needs a tokenizer", code=2)
        self.expect_failure(["--encoder", self.encoder, "--input", doc, "--out", out], "--merges", code=2)
        self.expect_failure([*self.gpt2, "--input", doc, "--out", out, "--shuffle-seed", "3"], "--seq-len", code=2)
        self.expect_failure([*self.gpt2, "--out", out], "--input", code=2)
        self.expect_failure([*self.gpt2, "--input", self.path("missing.txt"), "--out", out], "missing.txt")
        self.ok(*self.gpt2, "--input", doc, "--out", out)
        before = open(out, "rb").read()
        r = run(*self.gpt2, "--input", doc, "--out", out)
        self.assertNotEqual(r.returncode, 0)
        self.assertEqual(len(r.stderr.strip().splitlines()), 1, r.stderr)
        bad = self.write("bad_utf8.txt", b"\xff", "wb")
        r = run(*self.gpt2, "--input", bad, "--out", out, "--force")
        self.assertNotEqual(r.returncode, 0)
        self.assertEqual(open(out, "rb").read(), before, "a failed --force run replaced the output")
        self.ok(*self.gpt2, "--input", doc, "--out", out, "--force", "--no-bos")
        with h5py.File(out) as f:
            np.testing.assert_array_equal(f["documents/0"][...], [257, 259, 111])

    def test_help(self):
        r = subprocess.run([COACT, "tokenize", "--help"], capture_output=True, text=True, timeout=60)
        self.assertEqual(r.returncode, 0, r.stderr)
        for flag in ("--tokenizer", "--encoder", "--merges", "--input", "--seq-len", "--no-bos", "--shuffle-seed"):
            self.assertIn(flag, r.stdout + r.stderr)


if __name__ == "__main__":
    unittest.main(argv=sys.argv[:1], verbosity=2)
