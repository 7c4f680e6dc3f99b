"""The real packages (PyPI, in the peers virtualenv): SAEs saved by SAELens (standard with and
without apply_b_dec_to_input, constant_norm_rescale, layer_norm, topk with and without
rescale_acts_by_decoder_norm, jumprelu, gated, a BatchTopK training SAE saved for inference),
by dictionary_learning (AutoEncoder, AutoEncoderTopK, BatchTopKSAE, MatryoshkaBatchTopKSAE,
JumpReluAutoEncoder, GatedAutoEncoder) and by EleutherAI sparsify (a folder, and a run of
hookpoints and seeds), plus OpenAI and Gemma Scope layouts written with torch and numpy, import
into coact, and `coact encode` equals the package's own encode (values within 1e-5 of the code
scale, the same active sets away from ties). Then coact's SAELens exports of SAEs it trained
with every recipe (and a center-scale normalisation) load in SAELens, whose encode equals
coact's and whose decode of coact's codes equals coact's reconstruction.

Usage: sae_formats_peers_test.py path/to/coact path/to/peers-venv.sh
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile

import h5py
import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
SOURCE = os.environ.get("COACT_SOURCE_DIR", os.path.join(HERE, "..", ".."))
sys.path.insert(0, os.path.join(SOURCE, "tools"))
import sae_formats as sf  # noqa: E402

COACT, PEERS = sys.argv[1], sys.argv[2]
ROWS = 400


def run(args):
    r = subprocess.run([COACT, *args], capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, f"coact {' '.join(args)} failed:\n{r.stderr}"
    return r


def main():
    venv_python = subprocess.run([PEERS, "sae-lens", "dictionary-learning", "eai-sparsify"], capture_output=True,
                                 text=True, check=True).stdout.strip()
    work = tempfile.mkdtemp(prefix="coact_formats_peers_")
    try:
        check(venv_python, work)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def encode(work, sae, name):
    out = os.path.join(work, name + ".codes.h5")
    run(["encode", "--sae", sae, "--activations", os.path.join(work, "acts.h5"), "--out", out, "--rows", str(ROWS),
         "--force"])
    return sf.read_codes(out)


def check(venv_python, work):
    acts = os.path.join(work, "acts.h5")
    run(["synth", "--out", acts, "--rows", "8192", "--d", "16", "--features", "40", "--seed", "8"])
    with h5py.File(acts, "r") as f:
        x = f["activations"][:ROWS].astype(np.float32)
    np.save(os.path.join(work, "x.npy"), x)
    r = subprocess.run([venv_python, os.path.join(HERE, "sae_formats_peers_script.py"), work, "save"],
                       capture_output=True, text=True, timeout=900)
    assert r.returncode == 0, r.stderr
    print(r.stdout.strip())
    cases = json.load(open(os.path.join(work, "cases.json")))
    for name, source in cases.items():
        sae = os.path.join(work, name.replace(".", "_") + ".h5")
        run(["import", "--from", source, "--out", sae])
        got = encode(work, sae, name)
        want = np.load(os.path.join(work, f"codes_{name}.npy"))
        # Which entries sit at a cut, from coact's own file (the package gives codes only).
        _, near = sf.reference_encode(x, sf.read_coact_sae(sae))
        flips = sf.compare_codes(got, want, near, name)
        assert (want > 0).sum() > 0, name
        print(f"{name}: {sf.read_coact_sae(sae)['kind']}, coact encode = the package's ({int((want > 0).sum())} active, "
              f"{flips} tie flips)")

    run_out = os.path.join(work, "sparsify_run_out")
    run(["import", "--from", os.path.join(work, "sparsify_run"), "--out", run_out])
    for file in sorted(os.listdir(run_out)):
        hook, seed = file[:-3].rsplit("_sae_", 1)
        got = encode(work, os.path.join(run_out, file), "run_" + file)
        want = np.load(os.path.join(work, f"codes_run_{hook}_sae_{seed}.npy"))
        _, near = sf.reference_encode(x, sf.read_coact_sae(os.path.join(run_out, file)))
        sf.compare_codes(got, want, near, "sparsify run " + file)
        assert int(h5py.File(os.path.join(run_out, file), "r").attrs["seed"]) == int(seed)
    print(f"sparsify run: {len(os.listdir(run_out))} SAEs named by hookpoint and seed, each = the package's encode")

    # coact's exports, loaded by SAELens.
    exports = []
    for recipe, extra in (("nanda-1l", []), ("topk", ["--k", "5"]), ("batchtopk", ["--k", "5", "--threshold-start-step", "3"]),
                          ("matryoshka", ["--k", "5", "--threshold-start-step", "3", "--matryoshka-widths", "8,24,64"]),
                          ("jumprelu", ["--l0-warmup-steps", "5"]), ("nanda-1l", ["--normalise", "center-scale"]),
                          ("jumprelu", ["--normalise", "scale"])):
        name = recipe + ("_" + extra[1] if extra and extra[0] == "--normalise" else "")
        out = os.path.join(work, "train_" + name)
        run(["train", "--activations", acts, "--out", out, "--seed", "2", "--steps", "40", "--expansion", "4",
             "--batch-size", "256", "--recipe", recipe, *extra])
        sae = os.path.join(out, "sae_2.h5")
        run(["export", "--sae", sae, "--format", "saelens", "--out", os.path.join(work, "exp_" + name)])
        np.save(os.path.join(work, f"coact_exp_{name}.npy"), encode(work, sae, "exp_" + name).astype(np.float32))
        exports.append(("exp_" + name, sae))
    for name in ("saelens_gated", "dl_gated"):
        sae = os.path.join(work, name + ".h5")
        run(["export", "--sae", sae, "--format", "saelens", "--out", os.path.join(work, "exp_" + name)])
        np.save(os.path.join(work, f"coact_exp_{name}.npy"), encode(work, sae, "exp_" + name).astype(np.float32))
        exports.append(("exp_" + name, sae))
    with open(os.path.join(work, "exports.json"), "w") as fh:
        json.dump([name for name, _ in exports], fh)
    r = subprocess.run([venv_python, os.path.join(HERE, "sae_formats_peers_script.py"), work, "exports"],
                       capture_output=True, text=True, timeout=900)
    assert r.returncode == 0, r.stderr
    for name, sae in exports:
        enc = sf.read_coact_sae(sae)
        ours = np.load(os.path.join(work, f"coact_{name}.npy")).astype(np.float64)
        theirs = np.load(os.path.join(work, f"saelens_{name}.npy"))
        _, near = sf.reference_encode(x, enc)
        flips = sf.compare_codes(theirs, ours, near, "SAELens encode of " + name)
        # SAELens' decode of coact's codes is coact's reconstruction in the input's space.
        xhat = sf.reconstruct(ours, enc)
        if enc["input_norm"] in ("scale", "center-scale"):
            xhat = xhat / enc["input_scale"] + (enc["input_mean"] if enc["input_norm"] == "center-scale" else 0)
        decoded = np.load(os.path.join(work, f"saelens_decode_{name}.npy"))
        err = np.abs(decoded - xhat).max() / max(1e-30, np.abs(xhat).max())
        assert err < 1e-5, f"{name}: SAELens decode differs from coact's reconstruction by {err:.3g} (relative)"
        print(f"{name}: SAELens loads coact's export of a {enc['kind']} SAE ({enc['input_norm']} input): same codes "
              f"({flips} tie flips), decode within {err:.1e}")


if __name__ == "__main__":
    main()
