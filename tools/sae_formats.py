"""The SAE formats coact imports and exports, from numpy alone: writers of each layout (the test
fixtures), NumPy references of each encoder kind, and readers of coact's sae_<seed>.h5 and
codes.h5. The default tests (tests/sae/sae_formats_test.py) use it without torch; the peers
test (tests/sae/sae_formats_peers_test.py) checks the same layouts against the real packages.

    enc = read_coact_sae("sae_52.h5")          # kind, tensors, normalisation as coact stores them
    z, near = reference_encode(x, enc)         # dense codes (float64), entries near their cut
    compare_codes(read_codes("codes.h5"), z, near, "what")
"""
import json
import os
import struct
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import torch_format  # noqa: E402  (torch.save's format from numpy)

TOL = 1e-5


# ---- encoders -------------------------------------------------------------------------------

def normalise(x, enc):
    """The input normalisation of an SAE (coact's kinds), float64."""
    x = np.asarray(x, np.float64)
    kind = enc.get("input_norm", "none")
    if kind == "none":
        return x
    if kind == "scale":
        return x * enc["input_scale"]
    if kind == "center-scale":
        return (x - enc["input_mean"]) * enc["input_scale"]
    if kind == "constant-norm":
        return x * np.sqrt(x.shape[1]) / np.linalg.norm(x, axis=1, keepdims=True)
    if kind == "layer-norm":
        centred = x - x.mean(axis=1, keepdims=True)
        return centred / (centred.std(axis=1, ddof=1, keepdims=True) + 1e-5)
    raise ValueError(kind)


def reference_encode(x, enc, tol=TOL):
    """Dense codes of rows x under an encoder (a dict as read_coact_sae returns), and a mask of
    the entries within tol·scale of the cut that decides them (where float32 rounding may
    legitimately flip an entry in or out)."""
    xn = normalise(x, enc)
    c = xn - enc["b_dec"] if enc.get("subtract_b_dec", True) else xn
    pre = c @ enc["W_enc"].astype(np.float64)
    v = pre + enc["b_enc"]
    kind = enc["kind"]
    if kind == "relu":
        z = np.maximum(v, 0.0)
        cut = np.zeros_like(v)
    elif kind == "topk":
        k = int(enc["k"])
        order = np.lexsort((np.broadcast_to(np.arange(v.shape[1]), v.shape), -v), axis=1)[:, :k]
        keep = np.zeros_like(v, dtype=bool)
        np.put_along_axis(keep, order, True, axis=1)
        keep &= v > 0
        z = np.where(keep, v, 0.0)
        kth = np.take_along_axis(v, order[:, -1:], axis=1)
        cut = np.maximum(np.broadcast_to(kth, v.shape), 0.0)
    elif kind in ("jumprelu", "batchtopk", "matryoshka"):
        theta = enc["threshold"].astype(np.float64)
        z = np.where(v > theta, v, 0.0)
        cut = np.broadcast_to(theta, v.shape)
    elif kind == "gated":
        mag = pre * np.exp(enc["r_mag"].astype(np.float64)) + enc["b_mag"]
        z = np.where(v > 0, np.maximum(mag, 0.0), 0.0)
        # Two cuts decide an entry: the gate at 0 and the magnitude at 0.
        near = (np.abs(v) <= tol * max(1.0, np.abs(v).max())) | (np.abs(mag) <= tol * max(1.0, np.abs(mag).max()))
        return z, near
    else:
        raise ValueError(kind)
    scale = max(1.0, np.abs(v).max())
    near = np.abs(v - cut) <= tol * scale
    return z, near


def reconstruct(z, enc):
    """x̂ of codes z back in the input's space (before normalisation)."""
    xhat = z @ enc["W_dec"].astype(np.float64) + enc["b_dec"]
    return xhat


def compare_codes(got, want, near, what, tol=TOL):
    """Values within tol of the code scale; the same active entries except near their cut."""
    got = np.asarray(got, np.float64)
    scale = max(1e-30, np.abs(want).max())
    active_got, active_want = got > 0, want > 0
    differ = active_got != active_want
    bad = differ & ~near
    if bad.any():
        r, c = np.argwhere(bad)[0]
        raise AssertionError(f"{what}: {int(bad.sum())} entries differ in or out of the code away from any tie "
                             f"(first: row {r}, feature {c}: coact {got[r, c]}, reference {want[r, c]})")
    both = active_got & active_want
    err = np.abs(got - want)[both].max() if both.any() else 0.0
    if err > tol * scale:
        raise AssertionError(f"{what}: max abs error {err:.3g} > {tol:g} x code scale {scale:.3g}")
    return int(differ.sum())


# ---- coact's files ------------------------------------------------------------------------

def read_coact_sae(path):
    import h5py
    with h5py.File(path, "r") as f:
        a = f.attrs
        enc = {name: f[name][...] for name in ("W_enc", "b_enc", "W_dec", "b_dec", "threshold", "r_mag", "b_mag",
                                               "input_mean") if name in f}

        def text(key, fallback):
            value = a.get(key, fallback)
            return value.decode() if isinstance(value, bytes) else str(value)
        enc["kind"] = text("encoder_kind", "topk" if text("recipe", "") == "topk" else "relu")
        enc["subtract_b_dec"] = bool(int(a.get("encoder_subtract_b_dec", 1)))
        enc["k"] = int(a.get("encoder_k", a.get("cfg_k", 0)))
        enc["input_norm"] = text("encoder_input_norm", "none")
        enc["input_scale"] = float(a.get("encoder_input_scale", 1.0))
        enc["groups"] = text("encoder_groups", "")
        enc["attrs"] = dict(a)
    return enc


def read_codes(path, n=None):
    """codes.h5 as a dense float64 matrix (and its attributes)."""
    import h5py
    with h5py.File(path, "r") as f:
        indptr, indices, values = f["indptr"][...], f["indices"][...], f["values"][...]
        n = n or int(f.attrs["n_features"])
        z = np.zeros((len(indptr) - 1, n))
        for r in range(len(indptr) - 1):
            cols = indices[indptr[r]:indptr[r + 1]]
            if len(cols) > 1 and not np.all(np.diff(cols) > 0):
                raise AssertionError(f"{path}: row {r}: features not increasing")
            z[r, cols] = values[indptr[r]:indptr[r + 1]]
    return z


# ---- writers of each format ------------------------------------------------------------------

def save_safetensors(path, tensors, metadata=None):
    """{name: array} as a safetensors file (float32 unless the array says otherwise)."""
    header, chunks, offset = {}, [], 0
    if metadata:
        header["__metadata__"] = metadata
    for name, array in tensors.items():
        array = np.ascontiguousarray(array)
        dtype = {np.dtype(np.float32): "F32", np.dtype(np.float64): "F64", np.dtype(np.int64): "I64",
                 np.dtype(np.int32): "I32", np.dtype(np.float16): "F16"}[array.dtype]
        raw = array.tobytes()
        header[name] = {"dtype": dtype, "shape": list(array.shape), "data_offsets": [offset, offset + len(raw)]}
        offset += len(raw)
        chunks.append(raw)
    text = json.dumps(header).encode()
    text += b" " * ((8 - len(text) % 8) % 8)
    with open(path, "wb") as fh:
        fh.write(struct.pack("<Q", len(text)) + text + b"".join(chunks))


def write_json(path, obj):
    with open(path, "w") as fh:
        json.dump(obj, fh)


def f32(a):
    return np.asarray(a, np.float32)


def write_saelens(folder, architecture, tensors, **cfg):
    """A SAELens 6 folder: cfg.json and sae_weights.safetensors."""
    os.makedirs(folder, exist_ok=True)
    d, n = tensors["W_enc"].shape
    config = {"architecture": architecture, "d_in": d, "d_sae": n, "dtype": "float32", "device": "cpu",
              "apply_b_dec_to_input": True, "normalize_activations": "none", "reshape_activations": "none",
              "metadata": {"sae_lens_version": "6.54.12", "model_name": "gelu-1l", "hook_name": "blocks.0.mlp.hook_post"}}
    config.update(cfg)
    save_safetensors(os.path.join(folder, "sae_weights.safetensors"), {k: f32(v) for k, v in tensors.items()})
    write_json(os.path.join(folder, "cfg.json"), config)


def write_sparsify(folder, encoder_weight, encoder_bias, W_dec, b_dec, k, **cfg):
    os.makedirs(folder, exist_ok=True)
    n, d = encoder_weight.shape
    config = {"activation": "topk", "expansion_factor": n // d, "normalize_decoder": True, "num_latents": n, "k": k,
              "multi_topk": False, "skip_connection": False, "transcode": False, "d_in": d}
    config.update(cfg)
    save_safetensors(os.path.join(folder, "sae.safetensors"),
                     {"encoder.weight": f32(encoder_weight), "encoder.bias": f32(encoder_bias), "W_dec": f32(W_dec),
                      "b_dec": f32(b_dec)})
    write_json(os.path.join(folder, "cfg.json"), config)


def write_dictionary_learning(folder, dict_class, state, **trainer):
    """ae.pt (a state dict, float32 tensors; ints as int64/int32 tensors) and config.json."""
    os.makedirs(folder, exist_ok=True)
    tensors = {}
    for k, v in state.items():
        v = np.asarray(v)
        tensors[k] = torch_format.tensor(v if v.dtype.kind in "iu" else v.astype(np.float32))
    torch_format.save(tensors, os.path.join(folder, "ae.pt"))
    config = {"trainer": {"dict_class": dict_class, "trainer_class": dict_class + "Trainer", "seed": 7,
                          "lm_name": "gelu-1l", "submodule_name": "mlp", **trainer}}
    write_json(os.path.join(folder, "config.json"), config)


def random_sae(rng, d, n, bias=-0.3):
    """Tensors of a random SAE in SAELens orientation, with a decoder of unequal row norms."""
    W_enc = rng.normal(size=(d, n)) / np.sqrt(d)
    W_dec = rng.normal(size=(n, d)) / np.sqrt(d) * rng.uniform(0.5, 1.5, size=(n, 1))
    b_enc = rng.normal(size=n) * 0.1 + bias
    b_dec = rng.normal(size=d) * 0.1
    return {"W_enc": f32(W_enc), "W_dec": f32(W_dec), "b_enc": f32(b_enc), "b_dec": f32(b_dec)}
