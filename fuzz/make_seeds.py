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
import make_corpus  # noqa: E402
import make_interchange_fixtures as fx  # noqa: E402

MAX = 65536


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    out = sys.argv[1]
    seeds = {t: [] for t in ("safetensors", "pickle", "zip", "json", "tokenizer")}
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
    total = 0
    for target, items in seeds.items():
        folder = os.path.join(out, target)
        os.makedirs(folder, exist_ok=True)
        for i, data in enumerate(d for d in items if len(d) <= MAX):
            with open(os.path.join(folder, f"seed_{i:03d}"), "wb") as f:
                f.write(data)
            total += 1
    print(f"{total} seeds in {out}")


if __name__ == "__main__":
    main()
