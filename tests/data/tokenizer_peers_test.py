"""coact's byte-level BPE against its peers from PyPI (label `peers`): the `regex` module runs
GPT-2's pre-tokenizer pattern, and Hugging Face `tokenizers` trains a BPE on random Unicode
strings and encodes them. coact tokenize must give the same ids for:
  - GPT-2's files (the trained model saved as vocab.json + merges.txt, GPT-2's format);
  - tokenizer.json with ByteLevel with and without the prefix space, Digits before ByteLevel,
    NFC, a Split with GPT-2's pattern, and added tokens with lstrip / rstrip / normalized.
The vocabulary is trained on the test strings themselves, so most words are single tokens and
a word cut in the wrong place shows up as different ids. The two peers are also checked against
each other (HF's pre-tokenizer against regex.findall).

Strings use code points whose class (\\p{L}, \\p{N}, \\s) and normalisation are the same in
coact's tables (Python 3.11's unicodedata, Unicode 14) and in the peers' newer Unicode.

Usage: tokenizer_peers_test.py path/to/coact   (re-runs itself in tools/peers-venv.sh's python;
COACT_TOKENIZER_PEERS_SEED picks other random strings)
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

COACT = sys.argv[1]
SOURCE = os.environ.get("COACT_SOURCE_DIR", os.path.join(os.path.dirname(__file__), "..", ".."))

try:
    import regex
    import tokenizers
except ImportError:
    python = subprocess.run([os.path.join(SOURCE, "tools", "peers-venv.sh"), "regex", "tokenizers"],
                            check=True, capture_output=True, text=True).stdout.strip()
    os.execv(python, [python, *sys.argv])

import h5py
import numpy as np
from tokenizers import AddedToken, Tokenizer, decoders, models, normalizers, pre_tokenizers, trainers

GPT2_PATTERN = r"""'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+"""
WHITE_SPACE = {0x9, 0xA, 0xB, 0xC, 0xD, 0x20, 0x85, 0xA0, 0x1680, *range(0x2000, 0x200B), 0x2028, 0x2029, 0x202F,
               0x205F, 0x3000}


def tables_class(c):
    """The class coact's tables give (tools/gen_unicode_tables.py's rule)."""
    if c in WHITE_SPACE:
        return "s"
    return {"L": "L", "N": "N"}.get(unicodedata.category(chr(c))[0], "o")


def regex_class(c):
    ch = chr(c)
    if regex.match(r"\s", ch):
        return "s"
    return "L" if regex.match(r"\p{L}", ch) else "N" if regex.match(r"\p{N}", ch) else "o"


def stable(c):
    """Assigned in Unicode 14, same class in both, not a surrogate or noncharacter."""
    if 0xD800 <= c <= 0xDFFF or unicodedata.category(chr(c)) in ("Cn", "Cs"):
        return False
    return tables_class(c) == regex_class(c)


def random_strings(count, seed):
    rng = random.Random(seed)
    pieces = ["hello", " world", "'s", "'t", "'re", "'ve", "'m", "'ll", "'d", "'S", "''", " '", "don't", "1234", " 56",
              "٣٤", "½", "Ⅻ", "!!", " ?!", "...", "  ", "   ", "\n", "\n\n", " \n", "\t", "\r\n", "\u00a0", "\u3000",
              "\u2003", "\u0085", "\u001c", "é", "e\u0301", "\u1100\u1161\u11a8", "日本語", "😀", "👍🏽", "<|endoftext|>",
              "<X>", " <X> ", "<Y>", "café", "naïve", "Ω", "ﬁ", "x", "ne\u0301", "né", " \u212b"]
    pools = [(0x20, 0x7E), (0xA0, 0x24F), (0x300, 0x36F), (0x370, 0x52F), (0x600, 0x6FF), (0x900, 0x97F),
             (0x1100, 0x11FF), (0x2000, 0x206F), (0x2150, 0x218F), (0x3000, 0x30FF), (0x4E00, 0x4E80), (0xAC00, 0xAC80),
             (0xFF00, 0xFFEF), (0x1F300, 0x1F64F), (0x0, 0x2FFFF)]
    strings = []
    while len(strings) < count:
        parts = []
        for _ in range(rng.randint(1, 14)):
            if rng.random() < 0.6:
                parts.append(rng.choice(pieces))
            else:
                lo, hi = rng.choice(pools)
                c = rng.randint(lo, hi)
                if stable(c):
                    parts.append(chr(c))
        if parts:
            strings.append("".join(parts))
    return strings


class Peers(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.mkdtemp(prefix="coact_tokenizer_peers_")
        cls.addClassCleanup(shutil.rmtree, cls.dir, True)  # the work files go with the test
        cls.strings = random_strings(1500, seed=int(os.environ.get("COACT_TOKENIZER_PEERS_SEED", "2024")))
        cls.inputs = []
        for i, s in enumerate(cls.strings):
            p = os.path.join(cls.dir, f"s{i}.txt")
            with open(p, "w", encoding="utf-8", newline="") as f:
                f.write(s)
            cls.inputs.append(p)
        corpus = os.path.join(cls.dir, "corpus.txt")
        with open(corpus, "w", encoding="utf-8", newline="") as f:
            f.write("\n".join(cls.strings * 3))
        trained = Tokenizer(models.BPE())
        trained.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
        trained.decoder = decoders.ByteLevel()
        trainer = trainers.BpeTrainer(vocab_size=6000, min_frequency=1, special_tokens=["<|endoftext|>"],
                                      initial_alphabet=pre_tokenizers.ByteLevel.alphabet(), show_progress=False)
        trained.train([corpus], trainer)
        cls.trained = trained
        cls.model_files = trained.model.save(cls.dir, "gpt2")  # vocab.json, merges.txt (GPT-2's format)
        cls.base = json.loads(trained.to_str())

    def coact_ids(self, tokenizer_args, name):
        out = os.path.join(self.dir, f"{name}.h5")
        r = subprocess.run([COACT, "tokenize", *tokenizer_args, "--no-bos", "--out", out, "--input", *self.inputs],
                           capture_output=True, text=True, timeout=600)
        self.assertEqual(r.returncode, 0, r.stderr)
        with h5py.File(out) as f:
            return [f[f"documents/{i}"][...].tolist() for i in range(len(self.inputs))]

    def compare(self, tokenizer, tokenizer_args, name):
        got = self.coact_ids(tokenizer_args, name)
        mismatches = []
        for i, s in enumerate(self.strings):
            want = tokenizer.encode(s, add_special_tokens=False).ids
            if got[i] != want:
                mismatches.append((s, got[i], want))
        self.assertEqual(mismatches[:3], [], f"{name}: {len(mismatches)} of {len(self.strings)} strings differ")

    def json_variant(self, name, change):
        config = json.loads(json.dumps(self.base))
        change(config)
        text = json.dumps(config)
        path = os.path.join(self.dir, f"{name}.json")
        with open(path, "w", encoding="utf-8") as f:
            f.write(text)
        return Tokenizer.from_str(text), ["--tokenizer", path]

    def test_peers_agree_on_the_pattern(self):
        # ByteLevel spells each word in GPT-2's byte symbols; map them back to compare with
        # regex's words.
        printable = [b for b in range(256) if 33 <= b <= 126 or 161 <= b <= 172 or 174 <= b <= 255]
        unprintable = [b for b in range(256) if b not in printable]
        symbol_to_byte = {chr(b): b for b in printable}
        symbol_to_byte.update({chr(256 + k): b for k, b in enumerate(unprintable)})
        pre = pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=True)
        for s in self.strings:
            words = [bytes(symbol_to_byte[c] for c in w).decode() for w, _ in pre.pre_tokenize_str(s)]
            self.assertEqual(words, regex.findall(GPT2_PATTERN, s), repr(s))

    def test_gpt2_files(self):
        vocab, merges = self.model_files
        self.compare(self.trained, ["--encoder", vocab, "--merges", merges], "gpt2_files")

    def test_byte_level_prefix_space(self):
        def change(c):
            c["pre_tokenizer"] = {"type": "ByteLevel", "add_prefix_space": True, "trim_offsets": True, "use_regex": True}
        self.compare(*self.json_variant("prefix", change), "prefix")

    def test_digits_then_byte_level(self):
        for individual, prefix in [(True, False), (False, True), (True, True)]:
            def change(c):
                c["pre_tokenizer"] = {"type": "Sequence", "pretokenizers": [
                    {"type": "Digits", "individual_digits": individual},
                    {"type": "ByteLevel", "add_prefix_space": prefix, "trim_offsets": True, "use_regex": True}]}
            name = f"digits_{individual}_{prefix}"
            self.compare(*self.json_variant(name, change), name)

    def test_nfc_and_added_tokens(self):
        def change(c):
            c["normalizer"] = {"type": "NFC"}
            next_id = max(c["model"]["vocab"].values()) + 1
            c["added_tokens"] += [
                {"id": next_id, "content": "<X>", "single_word": False, "lstrip": True, "rstrip": True,
                 "normalized": False, "special": True},
                {"id": next_id + 1, "content": "<Y>", "single_word": False, "lstrip": False, "rstrip": False,
                 "normalized": True, "special": False},
                {"id": next_id + 2, "content": "n\u00e9", "single_word": False, "lstrip": False, "rstrip": False,
                 "normalized": True, "special": False},
                {"id": next_id + 3, "content": "  ", "single_word": False, "lstrip": False, "rstrip": False,
                 "normalized": False, "special": False}]
        self.compare(*self.json_variant("nfc_added", change), "nfc_added")

    def test_split_with_the_gpt2_pattern(self):
        def change(c):
            c["pre_tokenizer"] = {"type": "Sequence", "pretokenizers": [
                {"type": "Split", "pattern": {"Regex": GPT2_PATTERN}, "behavior": "Isolated", "invert": False},
                {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": True, "use_regex": False}]}
        self.compare(*self.json_variant("split", change), "split")


if __name__ == "__main__":
    unittest.main(argv=sys.argv[:1], verbosity=2)
