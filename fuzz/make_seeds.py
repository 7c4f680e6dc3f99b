#!/usr/bin/python3
"""Seed inputs for the fuzz targets (fuzz/CMakeLists.txt), generated, never committed: valid
files of each format and the malformed ones of the interchange fixtures and the corpus
generator, so the fuzzers start from the structure they must get past.

    fuzz/make_seeds.py OUTDIR     writes OUTDIR/<target>/<n>
"""
import io
import json
import os
import pickle
import sys
import zipfile

SOURCE = os.environ.get("COACT_SOURCE_DIR", os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
sys.path.insert(0, os.path.join(SOURCE, "tools"))
sys.path.insert(0, os.path.join(SOURCE, "tests", "corpus"))
sys.path.insert(0, os.path.join(SOURCE, "tests", "io"))
import gguf_writer as gw  # noqa: E402
import make_corpus  # noqa: E402
import make_interchange_fixtures as fx  # noqa: E402

MAX = 65536


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    out = sys.argv[1]
    seeds = {t: [] for t in ("safetensors", "pickle", "zip", "json", "tokenizer", "gguf", "tokenizer_formats")}
    fixtures = os.path.join(out, "fixtures")
    os.makedirs(fixtures, exist_ok=True)
    try:
        import torch  # noqa: F401 - torch.save writes the .pt seeds
        cases = fx.make_fixtures(fixtures, marker_dir=fixtures)
    except ImportError:  # without torch: safetensors seeds and hand-made pickles only
        import numpy as np
        cases = fx.safetensors_cases(fixtures, np.random.default_rng(20240607))
    for case in cases:
        data = open(os.path.join(fixtures, case.name), "rb").read()
        if case.name.endswith(".safetensors"):
            seeds["safetensors"].append(data)
        else:
            seeds["zip"].append(data)
            try:
                with zipfile.ZipFile(io.BytesIO(data)) as z:
                    for name in z.namelist():
                        if name.endswith(".pkl"):
                            try:
                                seeds["pickle"].append(z.read(name))
                            except (zipfile.BadZipFile, OSError, ValueError, NotImplementedError, RuntimeError):
                                pass
            except (zipfile.BadZipFile, OSError, ValueError, NotImplementedError, RuntimeError, EOFError):
                pass
    for protocol in (2, 3, 4, 5):
        seeds["pickle"].append(pickle.dumps({"a": [1, 2.5, "x", b"y", None, True], "b": (1, (2, {3: 4}))},
                                            protocol=protocol))
    tok = make_corpus.tokenizer_json()
    tok_text = json.dumps(tok, ensure_ascii=False).encode()
    seeds["json"] += [tok_text, json.dumps(tok["model"]["vocab"], ensure_ascii=False).encode(),
                      json.dumps({"model_type": "gpt2", "n_embd": 16, "n_layer": 1, "n_head": 2, "vocab_size": 50,
                                  "n_positions": 32, "activation_function": "gelu_new"}).encode(),
                      json.dumps({"d_model": 16, "n_layers": 1, "n_heads": 2, "d_head": 8, "d_vocab": 50, "n_ctx": 32,
                                  "act_fn": "gelu", "normalization_type": "LN"}).encode(),
                      b'{"a": [1, -2.5e-3, "\\u00e9\\ud83d\\ude00", true, false, null, {}], "b": {"c": []}}']
    merges = "#version: 0.2\n" + "".join(m + "\n" for m in tok["model"]["merges"])
    seeds["tokenizer"] += [b"\0" + tok_text,
                           b"\1" + json.dumps(tok["model"]["vocab"], ensure_ascii=False).encode() + b"\0" + merges.encode()]
    gguf_seeds(seeds, tok)
    total = 0
    for target, items in seeds.items():
        folder = os.path.join(out, target)
        os.makedirs(folder, exist_ok=True)
        for i, data in enumerate(d for d in items if len(d) <= MAX):
            with open(os.path.join(folder, f"seed_{i:03d}"), "wb") as f:
                f.write(data)
            total += 1
    print(f"{total} seeds in {out}")


def gguf_seeds(seeds, tok):
    """GGUF files of every block type coact reads, a small "llama" model, and tokenizers."""
    import numpy as np
    rng = np.random.default_rng(20240612)
    tensors = []
    for name, type_name, shape in [("q8", "Q8_0", (2, 32)), ("q4_0", "Q4_0", (1, 32)), ("q4_1", "Q4_1", (1, 32)),
                                   ("q4k", "Q4_K", (1, 256)), ("q6k", "Q6_K", (1, 256))]:
        tensors.append(gw.Tensor(name, type_name, shape, gw.quantize(type_name, rng.standard_normal(int(np.prod(shape))))))
    for name, type_name, shape in [("f32", "F32", (2, 3)), ("f16", "F16", (4,)), ("bf16", "BF16", (2, 2)), ("i32", "I32", (3,))]:
        tensors.append(gw.Tensor(name, type_name, shape, gw.plain_bytes(type_name, rng.standard_normal(shape) * 4)))
    metadata = [("general.architecture", gw.STRING, "test"), ("general.alignment", gw.U32, 16),
                ("t.strings", gw.ARRAY, (gw.STRING, ["a", "", "Ġb"])), ("t.nested", gw.ARRAY, (gw.ARRAY, [(gw.U8, [1])])),
                ("t.f64", gw.F64, 0.5), ("t.bool", gw.BOOL, True)]
    seeds["gguf"].append(gw.build_gguf(metadata, tensors, alignment=16))
    llama = [("general.architecture", gw.STRING, "llama")] + [
        (f"llama.{key}", gw.U32, value) for key, value in
        [("block_count", 1), ("context_length", 8), ("embedding_length", 32), ("feed_forward_length", 32),
         ("attention.head_count", 2), ("attention.head_count_kv", 1)]]
    layer = [gw.Tensor("token_embd.weight", "Q8_0", (4, 32), gw.quantize("Q8_0", rng.standard_normal(128))),
             gw.Tensor("blk.0.attn_q.weight", "F32", (32, 32), gw.plain_bytes("F32", rng.standard_normal((32, 32)))),
             gw.Tensor("blk.0.attn_k.weight", "Q8_0", (16, 32), gw.quantize("Q8_0", rng.standard_normal(512))),
             gw.Tensor("output_norm.weight", "F32", (32,), gw.plain_bytes("F32", np.ones(32)))]
    seeds["gguf"].append(gw.build_gguf(llama, layer))
    vocab = tok["model"]["vocab"]
    tokens = [None] * len(vocab)
    for token, id_ in vocab.items():
        tokens[id_] = token
    types = [gw.CONTROL if t == "<|endoftext|>" else gw.NORMAL for t in tokens]
    for pre in ("smollm", "gpt-2"):
        meta = gw.gpt2_tokenizer_metadata(tokens, tok["model"]["merges"], types, pre=pre, bos=types.index(gw.CONTROL),
                                          eos=types.index(gw.CONTROL), add_bos=True)
        data = gw.build_gguf([("general.architecture", gw.STRING, "llama")] + meta, [])
        seeds["gguf"].append(data)
        seeds["tokenizer_formats"].append(b"\0" + data)
    vocab_txt = "\n".join(["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "hello", "world", "un", "##aff", "##able", ",", "!",
                            "caf\u00e9", "\u65e5"]).encode() + b"\n"
    seeds["tokenizer_formats"] += [b"\1" + vocab_txt, b"\3" + vocab_txt]


if __name__ == "__main__":
    main()
