"""The tokenizer of a GGUF file (tokenizer.ggml.*, written by the test's own GGUF writer,
tests/io/gguf_writer.py) against the same tokenizer as tokenizer.json, and Tokenizer::from_file's
choice of loader:

- a byte-level BPE stored in GGUF metadata ("gpt2" model, "smollm" and "gpt-2" pre-tokenizers)
  gives the ids the equivalent tokenizer.json gives (Digits(individual) + ByteLevel, or
  ByteLevel alone), on hand-checked texts and random Unicode strings; control tokens are special
  tokens; BOS/EOS and add_bos_token come from the metadata;
- what coact cannot represent is refused naming the key: tokenizer.ggml.model "llama",
  an unknown or missing tokenizer.ggml.pre, token types of the wrong length, bad merges,
  token ids outside the vocabulary;
- from_file reads a GGUF file by its magic whatever its name, a tokenizer.json, and a vocab.txt
  with the casing of the tokenizer_config.json beside it.

Usage: tokenizer_formats_test.py path/to/tokenizer_probe
"""
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
sys.path.insert(0, os.path.join(SOURCE, "tests", "io"))
import gguf_writer as gw  # noqa: E402


def byte_symbols():
    """GPT-2's bytes_to_unicode."""
    printable = list(range(ord("!"), ord("~") + 1)) + list(range(0xA1, 0xAD)) + list(range(0xAE, 0x100))
    symbols, extra = {}, 0
    for b in range(256):
        if b in printable:
            symbols[b] = chr(b)
        else:
            symbols[b] = chr(0x100 + extra)
            extra += 1
    return symbols


SYM = byte_symbols()


def spell(text):
    return "".join(SYM[b] for b in text.encode("utf-8"))


def fixture():
    """Tokens (id order), merges and token types of a small byte-level BPE: the 256 bytes, merges
    building " the", "hello", "12", "caf\u00e9", and special tokens."""
    tokens = [SYM[b] for b in range(256)]
    merges = []
    for left, right in [(" ", "t"), ("l", "l"), ("e", "ll"), ("h", "ell"), ("hell", "o"), ("h", "e"), (" t", "he"),
                        ("1", "2"), ("c", "a"), ("ca", "f"), ("\u00c3", "\u00a9")]:
        l, r = (spell(left) if left != "\u00c3" else left), (spell(right) if right != "\u00a9" else right)
        merges.append(f"{l} {r}")
        tokens.append(l + r)
    merges.append(f"{spell('caf')} \u00c3\u00a9")
    tokens.append(spell("caf") + "\u00c3\u00a9")
    types = [gw.NORMAL] * len(tokens)
    for special, kind in (("<|endoftext|>", gw.CONTROL), ("<|im_start|>", gw.CONTROL), ("<tool>", gw.USER_DEFINED)):
        tokens.append(special)
        types.append(kind)
    return tokens, merges, types


def tokenizer_json(tokens, merges, types, digits):
    added = [{"id": i, "content": t, "single_word": False, "lstrip": False, "rstrip": False, "normalized": False,
              "special": types[i] == gw.CONTROL} for i, t in enumerate(tokens) if types[i] in (gw.CONTROL, gw.USER_DEFINED)]
    byte_level = {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": True, "use_regex": True}
    pre = {"type": "Sequence", "pretokenizers": [{"type": "Digits", "individual_digits": True}, byte_level]} if digits else byte_level
    return {"version": "1.0", "added_tokens": added, "normalizer": None, "pre_tokenizer": pre, "post_processor": None,
            "decoder": {"type": "ByteLevel"},
            "model": {"type": "BPE", "vocab": {t: i for i, t in enumerate(tokens)}, "merges": merges}}


def random_texts(count, seed):
    rng = random.Random(seed)
    pieces = ["hello", " the", "the", " 1234", "12", "caf\u00e9", " ", "  ", "\n", "\n\n", "<|endoftext|>", "<|im_start|>",
              "<tool>", "don't", "x", "\u00e9", "\u65e5\u672c", "\U0001F600", "\t", "!!", "٣٤", "½"]
    return ["".join(rng.choice(pieces) for _ in range(rng.randint(0, 12))) for _ in range(count)]


class TokenizerFormats(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.mkdtemp(prefix="coact_tokfmt_")

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.dir, ignore_errors=True)

    def path(self, name):
        return os.path.join(self.dir, name)

    def run_probe(self, path, texts):
        r = subprocess.run([PROBE, path], input=json.dumps(texts), capture_output=True, text=True, timeout=300)
        return r

    def encode(self, path, texts):
        r = self.run_probe(path, texts)
        self.assertEqual(r.returncode, 0, r.stderr)
        return json.loads(r.stdout)

    def expect_error(self, path, fragments):
        r = self.run_probe(path, ["x"])
        self.assertEqual(r.returncode, 1, f"{path}: {r.stdout} {r.stderr}")
        lines = r.stderr.strip().splitlines()
        self.assertEqual(len(lines), 1, r.stderr)
        self.assertIn(os.path.basename(path), lines[0])
        for fragment in fragments:
            self.assertIn(fragment, lines[0])

    def write_gguf(self, name, metadata):
        gw.write_gguf(self.path(name), [("general.architecture", gw.STRING, "llama")] + metadata, [])
        return self.path(name)

    def test_gguf_tokenizer_equals_its_tokenizer_json(self):
        tokens, merges, types = fixture()
        eot = tokens.index("<|endoftext|>")
        texts = ["hello the 1234", "caf\u00e9<|endoftext|>the<tool> x", "", "\n\n  12\t"] + random_texts(300, 7)
        for pre, digits in (("smollm", True), ("starcoder", True), ("gpt-2", False)):
            with self.subTest(pre=pre):
                gguf = self.write_gguf(f"{pre}.gguf", gw.gpt2_tokenizer_metadata(tokens, merges, types, pre=pre, bos=eot,
                                                                                  eos=eot, add_bos=False))
                with open(self.path(f"{pre}.json"), "w") as f:
                    json.dump(tokenizer_json(tokens, merges, types, digits), f)
                from_gguf, from_json = self.encode(gguf, texts), self.encode(self.path(f"{pre}.json"), texts)
                self.assertEqual([r["ids"] for r in from_gguf["results"]], [r["ids"] for r in from_json["results"]])
                self.assertEqual((from_gguf["bos"], from_gguf["eos"], from_gguf["prefix"]), (eot, eot, []))
                self.assertEqual(from_gguf["vocab_size"], len(tokens))
                for text, result in zip(texts, from_gguf["results"]):
                    self.assertEqual(result["decoded"], text)
        # By hand: " the" and "hello" merge; "1234" splits into digits with smollm, "12" merges with gpt-2.
        t = {tok: i for i, tok in enumerate(tokens)}
        smollm = self.encode(self.path("smollm.gguf"), ["hello the 1234<|endoftext|>"])["results"][0]["ids"]
        self.assertEqual(smollm, [t["hello"], t[spell(" the")], t[spell(" ")], t["1"], t["2"], t["3"], t["4"], eot])
        gpt2 = self.encode(self.path("gpt-2.gguf"), ["1234"])["results"][0]["ids"]
        self.assertEqual(gpt2, [t["12"], t["3"], t["4"]])

    def test_add_bos_token_is_the_template(self):
        tokens, merges, types = fixture()
        eot = tokens.index("<|endoftext|>")
        gguf = self.write_gguf("bos.gguf", gw.gpt2_tokenizer_metadata(tokens, merges, types, bos=eot, add_bos=True))
        result = self.encode(gguf, ["hello"])
        self.assertEqual(result["prefix"], [eot])
        self.assertEqual(result["results"][0]["with_template"], [eot, tokens.index("hello")])

    def test_unsupported_gguf_tokenizers_are_refused_by_key(self):
        tokens, merges, types = fixture()
        cases = {
            "llama_model.gguf": ([("tokenizer.ggml.model", gw.STRING, "llama"),
                                  ("tokenizer.ggml.tokens", gw.ARRAY, (gw.STRING, tokens))],
                                 ["tokenizer.ggml.model", "\"llama\""]),
            "qwen2_pre.gguf": (gw.gpt2_tokenizer_metadata(tokens, merges, types, pre="qwen2"), ["tokenizer.ggml.pre", "qwen2"]),
            "no_pre.gguf": (gw.gpt2_tokenizer_metadata(tokens, merges, types, pre=None), ["tokenizer.ggml.pre", "missing"]),
            "types.gguf": (gw.gpt2_tokenizer_metadata(tokens, merges, types[:-1]), ["tokenizer.ggml.token_type", "types for"]),
            "type_value.gguf": (gw.gpt2_tokenizer_metadata(tokens, merges, [9] * len(tokens)), ["token_type", "type 9"]),
            "merge.gguf": (gw.gpt2_tokenizer_metadata(tokens, merges + ["abc"], types), ["tokenizer.ggml.merges", "abc"]),
            "merge_vocab.gguf": (gw.gpt2_tokenizer_metadata(tokens, merges + ["q z"], types), ["tokenizer.ggml.merges", "qz"]),
            "bos.gguf": (gw.gpt2_tokenizer_metadata(tokens, merges, types, bos=len(tokens)), ["bos_token_id", "outside"]),
            "no_tokenizer.gguf": ([], ["tokenizer.ggml.model", "missing"]),
        }
        for name, (metadata, fragments) in cases.items():
            with self.subTest(name):
                self.expect_error(self.write_gguf(name, metadata), fragments)

    def test_from_file_picks_the_loader(self):
        tokens, merges, types = fixture()
        gguf = self.write_gguf("model.bin", gw.gpt2_tokenizer_metadata(tokens, merges, types))  # any name: the magic decides
        self.assertEqual(self.encode(gguf, ["hello"])["results"][0]["ids"], [tokens.index("hello")])
        folder = self.path("bert")
        os.makedirs(folder)
        with open(os.path.join(folder, "vocab.txt"), "w") as f:
            f.write("[PAD]\n[UNK]\n[CLS]\n[SEP]\n[MASK]\nhello\nHello\n")
        self.expect_error(os.path.join(folder, "vocab.txt"), ["tokenizer_config.json"])
        for lower, expected in ((True, [5, 5]), (False, [6, 5])):
            with open(os.path.join(folder, "tokenizer_config.json"), "w") as f:
                json.dump({"do_lower_case": lower}, f)
            result = self.encode(os.path.join(folder, "vocab.txt"), ["Hello hello"])
            self.assertEqual(result["results"][0]["ids"], expected)
            self.assertEqual(result["results"][0]["with_template"], [2] + expected + [3])


if __name__ == "__main__":
    unittest.main(argv=[sys.argv[0]], verbosity=2)
