"""The real client: SAELens (PyPI, in the peers virtualenv) loads coact's exported SAEs and
encodes/decodes exactly as coact's parameters say; coact imports an SAE that SAELens saved.

Usage: saelens_peers_test.py path/to/coact path/to/peers-venv.sh
"""
import os
import subprocess
import sys
import tempfile
import textwrap

import h5py
import numpy as np

COACT, PEERS = sys.argv[1], sys.argv[2]


def run(args):
    r = subprocess.run([COACT, *args], capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, f"coact {' '.join(args)} failed:\n{r.stderr}"


def main():
    venv_python = subprocess.run([PEERS, "sae-lens"], capture_output=True, text=True, check=True).stdout.strip()
    work = tempfile.mkdtemp(prefix="coact_saelens_")
    acts = os.path.join(work, "acts.h5")
    run(["synth", "--out", acts, "--rows", "8192", "--d", "16", "--features", "32"])
    x = np.random.default_rng(3).normal(size=(20, 16)).astype(np.float32) * 2
    np.save(os.path.join(work, "x.npy"), x)
    for recipe in ("nanda-1l", "topk"):
        out = os.path.join(work, recipe)
        run(["train", "--activations", acts, "--out", out, "--seed", "52", "--steps", "20", "--expansion", "4",
             "--batch-size", "512", "--recipe", recipe, "--k", "5"])
        with h5py.File(os.path.join(out, "sae_52.h5"), "r") as f:
            W_enc, b_enc, W_dec, b_dec = (f[k][...].astype(np.float64) for k in ("W_enc", "b_enc", "W_dec", "b_dec"))
        pre = (x - b_dec) @ W_enc + b_enc
        z = np.maximum(pre, 0)
        if recipe == "topk":  # keep each row's 5 largest
            cut = -np.sort(-z, axis=1)[:, 4:5]
            z = np.where(z >= cut, z, 0)
        np.save(os.path.join(work, f"z_{recipe}.npy"), z)
        np.save(os.path.join(work, f"xhat_{recipe}.npy"), z @ W_dec + b_dec)
        run(["export", "--sae", os.path.join(out, "sae_52.h5"), "--format", "saelens", "--out", os.path.join(work, f"exp_{recipe}")])
    script = textwrap.dedent(f"""
        import numpy as np, torch
        from sae_lens import SAE
        work = {work!r}
        x = torch.tensor(np.load(work + "/x.npy"))
        for recipe in ("nanda-1l", "topk"):
            sae = SAE.load_from_disk(work + "/exp_" + recipe, device="cpu")
            z = sae.encode(x).detach().double().numpy()
            np.testing.assert_allclose(z, np.load(work + "/z_" + recipe + ".npy"), atol=1e-4, rtol=1e-4)
            xhat = sae.decode(torch.tensor(z, dtype=torch.float32)).detach().double().numpy()
            np.testing.assert_allclose(xhat, np.load(work + "/xhat_" + recipe + ".npy"), atol=1e-4, rtol=1e-4)
            print(recipe, type(sae).__name__, "matches coact")
        # The other way: an SAE that SAELens itself saves.
        from sae_lens import StandardSAE, StandardSAEConfig
        cfg = StandardSAEConfig(d_in=16, d_sae=48, dtype="float32", device="cpu")
        sae = StandardSAE(cfg)
        with torch.no_grad():
            for p in (sae.W_enc, sae.W_dec, sae.b_enc, sae.b_dec):
                p.copy_(torch.randn_like(p))
        sae.save_model(work + "/saved_by_saelens")
        np.save(work + "/saelens_W_enc.npy", sae.W_enc.detach().numpy())
        np.save(work + "/saelens_b_dec.npy", sae.b_dec.detach().numpy())
    """)
    r = subprocess.run([venv_python, "-c", script], capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stderr
    print(r.stdout.strip())
    imported = os.path.join(work, "imported.h5")
    run(["import", "--from", os.path.join(work, "saved_by_saelens"), "--out", imported])
    with h5py.File(imported, "r") as f:
        np.testing.assert_array_equal(f["W_enc"][...], np.load(os.path.join(work, "saelens_W_enc.npy")))
        np.testing.assert_array_equal(f["b_dec"][...], np.load(os.path.join(work, "saelens_b_dec.npy")))
    print("coact imports SAELens' own save")


if __name__ == "__main__":
    main()
