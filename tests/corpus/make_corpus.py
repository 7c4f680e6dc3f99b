#!/usr/bin/python3
"""Generates the bad-input corpus of docs/reliability.md: every kind of malformed or hostile
file a coact command reads, derived from small valid artifacts that coact itself writes (so the
corpus follows the formats as they are, and nothing binary is committed).

    tests/corpus/make_corpus.py path/to/coact OUTDIR     writes OUTDIR/good/ (the valid
                                                         artifacts), OUTDIR/cases/ and
                                                         OUTDIR/manifest.json

Each case is one role (what the file is: acts, sae, graph, compare, safetensors, pt, saelens,
tokenizer, gpt2, ini, ...) and one expectation: "bad" (every command must refuse it) or
"either" (a random corruption that may happen to leave the file readable: a command may succeed,
or refuse it cleanly; it must never crash). tests/corpus/corpus_test.py runs the commands.
Needs numpy and h5py (Debian's /usr/bin/python3); the .pt cases come from
tools/torch_format.py, torch.save's format without torch.
"""
import json
import os
import shutil
import subprocess
import sys

import h5py
import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
SOURCE = os.environ.get("COACT_SOURCE_DIR", os.path.join(HERE, "..", ".."))
sys.path.insert(0, os.path.join(SOURCE, "tools"))

# Fuzzer findings, replayed through the commands (fuzz/findings/<target>/ holds the same bytes
# for the fuzz targets). role -> list of (case name, bytes).
FUZZ_FINDINGS_DIR = os.path.join(SOURCE, "fuzz", "findings")


class Case:
    def __init__(self, name, role, path, kind="bad", note=""):
        self.name, self.role, self.path, self.kind, self.note = name, role, path, kind, note

    def entry(self, root):
        return {"name": self.name, "role": self.role, "path": os.path.relpath(self.path, root), "kind": self.kind,
                "note": self.note}


def run(coact, *args):
    r = subprocess.run([coact, *args], capture_output=True, text=True, timeout=600)
    if r.returncode != 0:
        raise SystemExit(f"make_corpus: coact {' '.join(args)} failed:\n{r.stderr}")


# ---- the valid artifacts --------------------------------------------------------------------

def make_good(coact, good):
    os.makedirs(good, exist_ok=True)
    acts = os.path.join(good, "acts.h5")
    run(coact, "synth", "--out", acts, "--rows", "8192", "--d", "16", "--features", "48", "--seed", "3")
    run(coact, "train", "--activations", acts, "--out", good, "--seeds", "1,2", "--n", "64", "--steps", "6",
        "--batch-size", "512", "--threads", "1", "--checkpoint-every", "0")
    for seed in (1, 2):
        run(coact, "graph", "--sae", os.path.join(good, f"sae_{seed}.h5"), "--activations", acts, "--out",
            os.path.join(good, f"graph_{seed}.h5"), "--batch-tokens", "1024", "--num-batches", "4", "--threads", "1")
    run(coact, "compare", "--sae", *(os.path.join(good, f"sae_{s}.h5") for s in (1, 2)), "--graphs",
        *(os.path.join(good, f"graph_{s}.h5") for s in (1, 2)), "--out", os.path.join(good, "compare.h5"),
        "--threads", "1")
    run(coact, "export", "--sae", os.path.join(good, "sae_1.h5"), "--format", "saelens", "--out",
        os.path.join(good, "saelens"))
    with open(os.path.join(good, "doc.txt"), "w") as f:
        f.write("the cafe!! hello there\n")
    tokenizer = tokenizer_json()
    with open(os.path.join(good, "tokenizer.json"), "w") as f:
        json.dump(tokenizer, f, ensure_ascii=False)
    with open(os.path.join(good, "encoder.json"), "w") as f:
        json.dump(tokenizer["model"]["vocab"], f, ensure_ascii=False)
    with open(os.path.join(good, "vocab.bpe"), "w") as f:
        f.write("#version: 0.2\n" + "".join(m + "\n" for m in tokenizer["model"]["merges"]))
    return acts


def byte_symbols():
    """GPT-2's byte -> printable symbol table."""
    keep = [b for b in range(256) if 33 <= b <= 126 or 0xA1 <= b <= 0xAC or 0xAE <= b <= 0xFF]
    out, extra = {}, 0
    for b in range(256):
        if b in keep:
            out[b] = chr(b)
        else:
            out[b] = chr(256 + extra)
            extra += 1
    return out


def tokenizer_json():
    sym = byte_symbols()
    vocab = {sym[b]: b for b in range(256)}
    merges = [("Ġ", "t"), ("h", "e"), ("Ġt", "he"), ("l", "l"), ("c", "a")]
    for i, (a, b) in enumerate(merges):
        vocab[a + b] = 256 + i
    vocab["<|endoftext|>"] = len(vocab)
    return {"version": "1.0", "added_tokens": [{"id": vocab["<|endoftext|>"], "content": "<|endoftext|>",
                                                "single_word": False, "lstrip": False, "rstrip": False,
                                                "normalized": False, "special": True}],
            "normalizer": None, "pre_tokenizer": {"type": "ByteLevel", "add_prefix_space": False, "use_regex": True},
            "post_processor": None, "decoder": {"type": "ByteLevel"},
            "model": {"type": "BPE", "vocab": vocab, "merges": [f"{a} {b}" for a, b in merges]}}


# ---- corruptions ---------------------------------------------------------------------------

def write_bytes(path, data):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(data)
    return path


def truncations(src, dst_dir, stem, role, fractions=(0.0, 0.01, 0.5, 0.97)):
    data = open(src, "rb").read()
    ext = os.path.splitext(src)[1]
    cases = []
    for frac in fractions:
        n = int(len(data) * frac)
        cases.append(Case(f"{stem}_truncated_{n}", role, write_bytes(os.path.join(dst_dir, f"{stem}_trunc{n}{ext}"),
                                                                      data[:n]), note=f"first {n} of {len(data)} bytes"))
    return cases


def bit_flips(src, dst_dir, stem, role, rng, count=6, region=2048):
    """Flips one bit at a random offset of the first `region` bytes (HDF5 superblock and root
    object headers), or anywhere for count // 2 of them. A flip may land on a byte that does not
    matter, so these are "either" cases."""
    data = bytearray(open(src, "rb").read())
    ext = os.path.splitext(src)[1]
    cases = []
    for i in range(count):
        limit = min(region, len(data)) if i < count // 2 else len(data)
        offset = int(rng.integers(0, limit))
        bit = int(rng.integers(0, 8))
        flipped = bytearray(data)
        flipped[offset] ^= 1 << bit
        cases.append(Case(f"{stem}_bitflip_{offset}_{bit}", role,
                          write_bytes(os.path.join(dst_dir, f"{stem}_flip{i}{ext}"), bytes(flipped)), kind="either",
                          note=f"bit {bit} of byte {offset}"))
    return cases


def h5_variant(src, dst, edit):
    shutil.copyfile(src, dst)
    with h5py.File(dst, "r+") as f:
        edit(f)
    return dst


def replace(f, name, data):
    attrs = dict(f[name].attrs)
    del f[name]
    f[name] = data
    for k, v in attrs.items():
        f[name].attrs[k] = v


# ---- cases by role ---------------------------------------------------------------------------

def acts_cases(acts, d, rng):
    cases = truncations(acts, d, "acts", "acts") + bit_flips(acts, d, "acts", "acts", rng)
    with h5py.File(acts, "r") as f:
        x = f["activations"][...]

    def variant(name, edit, note):
        cases.append(Case(name, "acts", h5_variant(acts, os.path.join(d, name + ".h5"), edit), note=note))

    variant("acts_int32", lambda f: replace(f, "activations", x.astype(np.int32)), "/activations is int32")
    variant("acts_float64", lambda f: replace(f, "activations", x.astype(np.float64)), "/activations is float64")
    variant("acts_1d", lambda f: replace(f, "activations", x.reshape(-1)), "/activations is 1-D")
    variant("acts_3d", lambda f: replace(f, "activations", x.reshape(2, -1, x.shape[1])), "/activations is 3-D")
    variant("acts_wrong_width", lambda f: replace(f, "activations", x[:, :12].copy()), "d = 12, the SAEs have 16")
    variant("acts_empty", lambda f: replace(f, "activations", np.zeros((0, x.shape[1]), np.float32)), "zero rows")
    variant("acts_no_columns", lambda f: replace(f, "activations", np.zeros((x.shape[0], 0), np.float32)), "d = 0")
    variant("acts_missing", lambda f: f.__delitem__("activations"), "no /activations")
    variant("acts_string", lambda f: replace(f, "activations", np.array([b"abc"] * 8)), "strings")
    for bad, label in ((np.nan, "nan"), (np.inf, "inf"), (-np.inf, "neginf")):
        y = x.copy()
        # In the first 1024 rows, which every command reads (graph reads 4 batches of 1024).
        y[int(rng.integers(0, 1024)), int(rng.integers(0, y.shape[1]))] = bad
        variant(f"acts_{label}", lambda f, y=y: replace(f, "activations", y), f"one {label} value")
    y = x.copy()
    y[:] = np.nan
    variant("acts_all_nan", lambda f: replace(f, "activations", y), "every value NaN")
    cases.append(Case("acts_not_hdf5", "acts", write_bytes(os.path.join(d, "acts_text.h5"), b"activations,1,2\n" * 64)))
    os.makedirs(os.path.join(d, "acts_empty_dir"), exist_ok=True)
    cases.append(Case("acts_empty_directory", "acts", os.path.join(d, "acts_empty_dir"), note="a directory of no shards"))
    return cases


def sae_cases(sae, d, rng):
    cases = truncations(sae, d, "sae", "sae") + bit_flips(sae, d, "sae", "sae", rng)
    with h5py.File(sae, "r") as f:
        w_enc, w_dec = f["W_enc"][...], f["W_dec"][...]

    def variant(name, edit, note):
        cases.append(Case(name, "sae", h5_variant(sae, os.path.join(d, name + ".h5"), edit), note=note))

    variant("sae_W_enc_transposed", lambda f: replace(f, "W_enc", w_enc.T.copy()), "W_enc [n, d]")
    variant("sae_W_dec_int", lambda f: replace(f, "W_dec", w_dec.astype(np.int64)), "W_dec int64")
    variant("sae_W_dec_short", lambda f: replace(f, "W_dec", w_dec[:-1].copy()), "W_dec has n-1 rows")
    variant("sae_no_b_dec", lambda f: f.__delitem__("b_dec"), "no b_dec")
    y = w_enc.copy()
    y[0, 0] = np.nan
    variant("sae_W_enc_nan", lambda f: replace(f, "W_enc", y), "NaN in W_enc")
    z = w_dec.copy()
    z[3, 1] = np.inf
    variant("sae_W_dec_inf", lambda f: replace(f, "W_dec", z), "Inf in W_dec")
    variant("sae_kind_graph", lambda f: f.attrs.__setitem__("coact_kind", "graph"), "coact_kind says graph")
    variant("sae_kind_missing", lambda f: f.attrs.__delitem__("coact_kind"), "no coact_kind")
    cases.append(Case("sae_empty_file", "sae", write_bytes(os.path.join(d, "sae_empty.h5"), b"")))
    return cases


def graph_cases(graph, d, rng):
    cases = truncations(graph, d, "graph", "graph") + bit_flips(graph, d, "graph", "graph", rng)
    with h5py.File(graph, "r") as f:
        indptr, indices, weight = f["csr/indptr"][...], f["csr/indices"][...], f["csr/weight"][...]

    def variant(name, edit, note):
        cases.append(Case(name, "graph", h5_variant(graph, os.path.join(d, name + ".h5"), edit), note=note))

    bad = indices.copy()
    bad[len(bad) // 2] = 1 << 30
    variant("graph_index_out_of_range", lambda f: replace(f, "csr/indices", bad), "a neighbour index past n")
    neg = indices.copy()
    neg[0] = -5
    variant("graph_negative_index", lambda f: replace(f, "csr/indices", neg), "a negative neighbour index")
    p = indptr.copy()
    p[len(p) // 2] = p[-1] + 10
    variant("graph_indptr_decreasing", lambda f: replace(f, "csr/indptr", p), "indptr not non-decreasing")
    variant("graph_indptr_short", lambda f: replace(f, "csr/indptr", indptr[:-3].copy()), "indptr has n-2 entries")
    variant("graph_indices_float", lambda f: replace(f, "csr/indices", indices.astype(np.float32)), "indices float32")
    w = weight.copy()
    if len(w):
        w[0] = np.nan
    variant("graph_weight_nan", lambda f: replace(f, "csr/weight", w), "NaN edge weight")
    variant("graph_no_csr", lambda f: f.__delitem__("csr"), "no /csr group")
    variant("graph_kind_sae", lambda f: f.attrs.__setitem__("coact_kind", "sae"), "coact_kind says sae")
    return cases


def compare_cases(compare, d, rng):
    cases = truncations(compare, d, "compare", "compare", fractions=(0.0, 0.5)) + \
        bit_flips(compare, d, "compare", "compare", rng, count=4)

    def variant(name, edit, note):
        cases.append(Case(name, "compare", h5_variant(compare, os.path.join(d, name + ".h5"), edit), note=note))

    variant("compare_kind_graph", lambda f: f.attrs.__setitem__("coact_kind", "graph"), "coact_kind says graph")
    variant("compare_no_pairs", lambda f: f.__delitem__("pairs"), "no /pairs")
    return cases


def interchange_cases(d):
    """The interchange fixtures' malformed safetensors headers and hostile pickles (the same
    generator tests/io uses), each fed to coact import."""
    import make_interchange_fixtures as fx
    src = os.path.join(d, "interchange")
    cases = []
    os.makedirs(src, exist_ok=True)
    for c in fx.make_fixtures(src, marker_dir=d):
        if c.kind == "good":
            continue
        role = "safetensors" if c.name.endswith(".safetensors") else "pt"
        cases.append(Case("interchange_" + os.path.splitext(c.name)[0], role, os.path.join(src, c.name), kind=c.kind,
                          note="hostile pickle" if c.hostile else "; ".join(c.fragments)))
    return cases


def saelens_cases(saelens, d):
    """SAELens directories with a malformed cfg.json beside good weights."""
    with open(os.path.join(saelens, "cfg.json")) as f:
        cfg = json.load(f)
    variants = {
        "cfg_truncated": json.dumps(cfg)[:-7],
        "cfg_not_object": "[1, 2, 3]",
        "cfg_d_in_string": json.dumps({**cfg, "d_in": "sixteen"}),
        "cfg_d_in_wrong": json.dumps({**cfg, "d_in": 17}),
        "cfg_d_sae_negative": json.dumps({**cfg, "d_sae": -64}),
        "cfg_bad_utf8": json.dumps(cfg)[:-1] + ', "model_name": "\xff"}',
        "cfg_nul": json.dumps(cfg).replace(":", ":\0", 1),
        "cfg_deep": "[" * 100000 + "]" * 100000,
        "cfg_huge_number": json.dumps(cfg).replace(str(cfg["d_in"]), "1" + "0" * 400, 1),
    }
    cases = []
    for name, text in variants.items():
        dst = os.path.join(d, name)
        shutil.copytree(saelens, dst)
        data = text.encode("utf-8", "surrogateescape") if name != "cfg_bad_utf8" else text.encode("latin-1")
        write_bytes(os.path.join(dst, "cfg.json"), data)
        cases.append(Case(name, "saelens", dst, note="cfg.json"))
    # Good cfg.json, broken weights file.
    dst = os.path.join(d, "saelens_weights_truncated")
    shutil.copytree(saelens, dst)
    weights = os.path.join(dst, "sae_weights.safetensors")
    data = open(weights, "rb").read()
    write_bytes(weights, data[:len(data) // 2])
    cases.append(Case("saelens_weights_truncated", "saelens", dst, note="sae_weights.safetensors cut in half"))
    return cases


def tokenizer_cases(good, d, rng):
    tok = tokenizer_json()
    text = json.dumps(tok, ensure_ascii=False)

    def edited(edit):
        t = json.loads(text)
        edit(t)
        return json.dumps(t, ensure_ascii=False)

    variants = {
        "tok_truncated": text[:len(text) // 2],
        "tok_empty": "",
        "tok_not_json": "model: BPE\n",
        "tok_no_model": edited(lambda t: t.pop("model")),
        "tok_vocab_list": edited(lambda t: t["model"].__setitem__("vocab", [1, 2, 3])),
        "tok_id_negative": edited(lambda t: t["model"]["vocab"].__setitem__("Ġt", -4)),
        "tok_id_huge": edited(lambda t: t["model"]["vocab"].__setitem__("Ġt", 1 << 40)),
        "tok_merge_unknown": edited(lambda t: t["model"]["merges"].append("zq xw")),
        "tok_merge_malformed": edited(lambda t: t["model"]["merges"].append("nospace")),
        "tok_unigram": edited(lambda t: t["model"].__setitem__("type", "Unigram")),
        "tok_added_id_out_of_range": edited(lambda t: t["added_tokens"][0].__setitem__("id", 99999)),
        "tok_pre_tokenizer_metaspace": edited(lambda t: t.__setitem__("pre_tokenizer", {"type": "Metaspace"})),
        "tok_duplicate_id": edited(lambda t: t["model"]["vocab"].__setitem__("Ġt", 5)),
    }
    cases = []
    for name, body in variants.items():
        cases.append(Case(name, "tokenizer", write_bytes(os.path.join(d, name + ".json"), body.encode("utf-8"))))
    raw = bytearray(text.encode("utf-8"))
    raw[int(rng.integers(10, len(raw) - 10))] = 0xFF
    cases.append(Case("tok_invalid_utf8", "tokenizer", write_bytes(os.path.join(d, "tok_invalid_utf8.json"), bytes(raw))))
    # GPT-2 pairs: a bad encoder.json with the good vocab.bpe, or the reverse.
    encoder = open(os.path.join(good, "encoder.json"), "rb").read()
    merges = open(os.path.join(good, "vocab.bpe"), "rb").read()
    gpt2 = {
        "gpt2_encoder_truncated": (encoder[:len(encoder) // 3], merges),
        "gpt2_encoder_array": (b"[1,2]", merges),
        "gpt2_merges_unknown_token": (encoder, merges + "zq\u0120 xw\n".encode()),
        "gpt2_merges_three_fields": (encoder, merges + b"a b c\n"),
        "gpt2_merges_binary": (encoder, bytes(rng.integers(0, 256, 512, dtype=np.uint8))),
    }
    for name, (enc, mer) in gpt2.items():
        folder = os.path.join(d, name)
        write_bytes(os.path.join(folder, "encoder.json"), enc)
        write_bytes(os.path.join(folder, "vocab.bpe"), mer)
        cases.append(Case(name, "gpt2", folder))
    return cases


def ini_cases(d):
    variants = {
        "ini_unknown_key": "no-such-flag = 3\n",
        "ini_bad_value": "threads = many\n",
        "ini_no_equals": "threads\n",
        "ini_binary": "\x00\x01\x02threads = 1\n\xff\xfe",
        "ini_unterminated_section": "[train\nthreads = 1\n",
        "ini_negative_threads": "threads = -3\n",
    }
    return [Case(name, "ini", write_bytes(os.path.join(d, name + ".ini"), body.encode("latin-1")))
            for name, body in variants.items()]


def finding_cases(d):
    """Inputs the fuzzers found crashes with (fixed since): the pickle and safetensors ones
    wrapped as files the import command reads, the JSON ones as cfg.json / tokenizer.json."""
    cases = []
    if not os.path.isdir(FUZZ_FINDINGS_DIR):
        return cases
    for target in sorted(os.listdir(FUZZ_FINDINGS_DIR)):
        folder = os.path.join(FUZZ_FINDINGS_DIR, target)
        for name in sorted(os.listdir(folder)):
            data = open(os.path.join(folder, name), "rb").read()
            stem = f"finding_{target}_{name}"
            if target == "safetensors":
                cases.append(Case(stem, "safetensors", write_bytes(os.path.join(d, stem + ".safetensors"), data)))
            elif target == "pickle":
                import torch_format
                cases.append(Case(stem, "pt", write_bytes(os.path.join(d, stem + ".pt"), torch_format.archive(data))))
            elif target == "zip":
                cases.append(Case(stem, "pt", write_bytes(os.path.join(d, stem + ".pt"), data)))
            elif target == "json":
                cases.append(Case(stem, "tokenizer", write_bytes(os.path.join(d, stem + ".json"), data)))
            elif target == "tokenizer" and data[:1] and data[0] % 2 == 0:
                cases.append(Case(stem, "tokenizer", write_bytes(os.path.join(d, stem + ".json"), data[1:])))
    return cases


def make_corpus(coact, outdir):
    good = os.path.join(outdir, "good")
    cases_dir = os.path.join(outdir, "cases")
    if os.path.isdir(outdir):
        shutil.rmtree(outdir)
    os.makedirs(cases_dir)
    make_good(coact, good)
    rng = np.random.default_rng(9)
    cases = acts_cases(os.path.join(good, "acts.h5"), cases_dir, rng)
    cases += sae_cases(os.path.join(good, "sae_1.h5"), cases_dir, rng)
    cases += graph_cases(os.path.join(good, "graph_1.h5"), cases_dir, rng)
    cases += compare_cases(os.path.join(good, "compare.h5"), cases_dir, rng)
    cases += interchange_cases(cases_dir)
    cases += saelens_cases(os.path.join(good, "saelens"), cases_dir)
    cases += tokenizer_cases(good, cases_dir, rng)
    cases += ini_cases(cases_dir)
    cases += finding_cases(cases_dir)
    with open(os.path.join(outdir, "manifest.json"), "w") as f:
        json.dump([c.entry(outdir) for c in cases], f, indent=1)
    return cases


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    cases = make_corpus(sys.argv[1], sys.argv[2])
    print(f"{len(cases)} corpus cases in {sys.argv[2]}")


if __name__ == "__main__":
    main()
