#!/usr/bin/env python3
"""NumPy reference of one coact SAE training step, for every recipe.

Reads the cases tests/sae/sae_reference_driver wrote (inputs and the C++ results as .npy
files), recomputes the step in float64 and checks that the C++ float32 results agree to
1e-5 relative (per tensor, in the Frobenius norm: ||got - want|| <= 1e-5 ||want||):

  forward, loss parts (L2, L1, L0, FVU, AuxK), every gradient, the decoder-gradient
  projection, the Adam update (torch.optim.Adam's formulas, bias correction included),
  decoder renormalisation, and resampling of the features whose window frequency is below
  the threshold, with fresh weights this script draws itself from coact's counter-based
  RNG (Philox4x32-10), as it does for the recipes' initial weights; for batchtopk the
  selection of the k·B largest activations over the batch and the learned global threshold,
  for jumprelu the straight-through threshold gradient (rectangle kernel of bandwidth eps)
  of the L2 and L0 terms and the threshold kept >= 0; for matryoshka the batchtopk step
  plus each inner level's error, from its first w features alone (written here level by
  level, not as the C++ code's cumulative residuals).

The peers test tests/sae/sae_reference_torch_peers_test.py checks the hand-derived loss and
gradients against torch.autograd on the same forward (float64); this script needs numpy only.

  usage: sae_reference.py CASES_DIR
"""
import pathlib
import sys

import numpy as np

TOL = 1e-5
MASK32 = 0xFFFFFFFF
MASK64 = 0xFFFFFFFFFFFFFFFF
INIT_TAG, RESAMPLE_TAG = 0x5AE1, 0x5AE2
ENCODER_STREAM, DECODER_STREAM = 1, 2
FLT_EPSILON = float(np.finfo(np.float32).eps)

failures = []


# ---- coact's RNG (include/coact/core/rng.h) ------------------------------------------------

def mix_seed(seed, tag):
    z = (seed + 0x9E3779B97F4A7C15 * (tag + 1)) & MASK64
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK64
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK64
    return z ^ (z >> 31)


def philox_first_word(key, stream, positions):
    """Word 0 of Philox4x32-10 at counter (position, stream) under the 64-bit key."""
    pos = positions.astype(np.uint64)
    c = [pos & MASK32, pos >> np.uint64(32),
         np.full_like(pos, stream & MASK32), np.full_like(pos, stream >> 32)]
    k0, k1 = key & MASK32, key >> 32
    m0, m1 = np.uint64(0xD2511F53), np.uint64(0xCD9E8D57)
    for _ in range(10):
        p0, p1 = m0 * c[0], m1 * c[2]  # < 2^64: exact in uint64
        hi0, lo0 = p0 >> np.uint64(32), p0 & np.uint64(MASK32)
        hi1, lo1 = p1 >> np.uint64(32), p1 & np.uint64(MASK32)
        c = [hi1 ^ c[1] ^ np.uint64(k0), lo1, hi0 ^ c[3] ^ np.uint64(k1), lo0]
        k0, k1 = (k0 + 0x9E3779B9) & MASK32, (k1 + 0xBB67AE85) & MASK32
    return c[0]


def uniform_symmetric(key, stream, shape, bound):
    """U(-bound, bound) of a presented tensor: element with flat index f takes draw f."""
    bits = philox_first_word(key, stream, np.arange(int(np.prod(shape)), dtype=np.uint64))
    u = (bits >> np.uint64(8)).astype(np.float64) / 16777216.0
    return ((2.0 * u - 1.0) * bound).astype(np.float32).reshape(shape)


def fresh_weights(key, d, n, recipe):
    """W_enc [d, n] and unit-row W_dec [n, d] as coact draws them for a recipe under a key."""
    if recipe == "nanda-1l":
        w_enc = uniform_symmetric(key, ENCODER_STREAM, (d, n), np.sqrt(6.0 / n)).astype(np.float64)
        w_dec = uniform_symmetric(key, DECODER_STREAM, (n, d), np.sqrt(6.0 / d)).astype(np.float64)
        return w_enc, w_dec / np.linalg.norm(w_dec, axis=1, keepdims=True)
    w_enc = uniform_symmetric(key, ENCODER_STREAM, (d, n), 1.0 / np.sqrt(d)).astype(np.float64)
    w_dec = w_enc.T.copy()
    return w_enc, w_dec / (np.linalg.norm(w_dec, axis=1, keepdims=True) + FLT_EPSILON)


# ---- checks ---------------------------------------------------------------------------------

def check(case, name, got, want, tol=TOL, floor=0.0):
    """||got - want|| <= tol ||want|| + floor (floor: an error no float32 result can avoid)."""
    got = np.asarray(got, dtype=np.float64)
    want = np.asarray(want, dtype=np.float64)
    if got.shape != want.shape:
        failures.append(f"{case}: {name}: shape {got.shape}, expected {want.shape}")
        return
    scale = np.linalg.norm(want)
    err = np.linalg.norm(got - want)
    ok = err <= tol * scale + floor if scale > 0 else err <= max(1e-12, floor)
    if not ok:
        failures.append(f"{case}: {name}: relative error {err / max(scale, 1e-300):.3g} > {tol:g}")


def read_config(path):
    config = {}
    for line in path.read_text().splitlines():
        key, value = line.split(" ", 1)
        try:
            config[key] = float(value) if any(ch in value for ch in ".e") or value.lstrip("-").isdigit() else value
        except ValueError:
            config[key] = value
    return config


def load(dir_, prefix):
    names = ("w_enc", "b_enc", "w_dec", "b_dec", "threshold")
    return {t: np.load(dir_ / f"{prefix}{t}.npy").astype(np.float64) for t in names if (dir_ / f"{prefix}{t}.npy").exists()}


def topk_mask(values, k, allowed=None):
    """Per row, the k largest positive values (ties: lower column); returns the mask and the
    smallest gap between the last kept and the first rejected candidate (selection margin)."""
    rows, n = values.shape
    mask = np.zeros_like(values, dtype=bool)
    margin = np.inf
    for r in range(rows):
        cand = [(values[r, c], c) for c in range(n) if values[r, c] > 0 and (allowed is None or allowed[c])]
        cand.sort(key=lambda vc: (-vc[0], vc[1]))
        for _, c in cand[:k]:
            mask[r, c] = True
        if len(cand) > k:
            margin = min(margin, cand[k - 1][0] - cand[k][0])
    return mask, margin


def batch_topk_mask(values, count):
    """The `count` largest positive values over the whole matrix (ties: lower row-major
    position); the mask, the smallest selected value, and the gap to the next candidate."""
    flat = values.ravel()
    cand = np.flatnonzero(flat > 0)
    order = cand[np.lexsort((cand, -flat[cand]))]
    take = order[:min(count, len(order))]
    mask = np.zeros(flat.shape, dtype=bool)
    mask[take] = True
    level = flat[take[-1]] if len(take) else 0.0
    margin = flat[order[count - 1]] - flat[order[count]] if len(order) > count else np.inf
    return mask.reshape(values.shape), level, margin


# ---- the reference step ---------------------------------------------------------------------

def forward_backward(cfg, p, x, since_fired):
    """Loss parts and gradients of the global batch loss, float64."""
    recipe = cfg["recipe"]
    topk, batchtopk, jumprelu = recipe == "topk", recipe in ("batchtopk", "matryoshka"), recipe == "jumprelu"
    rows = x.shape[0]
    xc = x - p["b_dec"]
    enc_in = xc if cfg["subtract_b_dec"] else x
    pre = enc_in @ p["w_enc"] + p["b_enc"]
    out = {"margins": {}}
    if topk:
        relu = np.maximum(pre, 0.0)
        sel, out["margins"]["topk"] = topk_mask(relu, int(cfg["k"]))
        z = relu * sel
    elif batchtopk:
        relu = np.maximum(pre, 0.0)
        sel, out["level"], out["margins"]["batchtopk"] = batch_topk_mask(relu, int(cfg["k"]) * rows)
        z = relu * sel
    elif jumprelu:
        theta = p["threshold"]
        sel = pre > theta
        z = pre * sel
        out["margins"]["jumprelu"] = np.min(np.abs(pre - theta))
        # The band in float32, as coact decides it; its edges must not be within rounding.
        u = (pre.astype(np.float32) - theta.astype(np.float32)) / np.float32(cfg["bandwidth"])
        band = (u > -0.5) & (u < 0.5)
        out["margins"]["band"] = np.min(np.abs(np.abs((pre - theta) / cfg["bandwidth"]) - 0.5))
        out["band_nnz"] = int(band.sum())
    else:
        sel = pre > 0
        z = np.maximum(pre, 0.0)
        out["margins"]["relu"] = np.min(np.abs(pre))
    xhat = z @ p["w_dec"] + p["b_dec"]
    e = xhat - x
    variance = np.sum((x - x.mean(axis=0)) ** 2)
    sse = np.sum(e ** 2)
    out.update(l2=sse / rows, l0=sel.sum() / rows, fvu=sse / variance, l1=0.0, auxk=0.0, inner_l2=0.0,
               fires=sel.sum(axis=0))
    z_aux = daux = aux_sel = None
    lam = cfg["l1_coeff"]
    if topk or batchtopk:
        alpha = cfg["auxk_alpha"]
        dead = since_fired > cfg["dead_tokens"]
        num_dead = int(dead.sum())
        norm = variance if topk else rows  # topk: the FVU form; batchtopk: a mean over tokens
        dxhat = 2.0 * e / norm
        if alpha > 0 and num_dead > 0:
            k_aux = int(cfg["k_aux"])
            scale = min(num_dead / k_aux, 1.0)
            aux_sel, out["margins"]["auxk"] = topk_mask(np.maximum(pre, 0.0), min(k_aux, num_dead), allowed=dead)
            z_aux = np.maximum(pre, 0.0) * aux_sel
            resid = x - xhat  # detached
            ehat = z_aux @ p["w_dec"]
            out["auxk"] = scale * np.sum((ehat - resid) ** 2) / norm
            daux = 2.0 * alpha * scale * (ehat - resid) / norm
            out["aux_inputs"] = (aux_sel, resid, scale)
        out["loss"] = (out["fvu"] if topk else out["l2"]) + alpha * out["auxk"]
        dpre = (dxhat @ p["w_dec"].T) * sel
        g_dec = z.T @ dxhat
        if daux is not None:
            dpre += (daux @ p["w_dec"].T) * aux_sel
            g_dec += z_aux.T @ daux
        if recipe == "matryoshka":
            # SAELens: each inner level's error, reconstructed from its first w features alone.
            widths = [int(float(w)) for w in str(cfg["matryoshka_widths"]).split(",")]
            inner = 0.0
            for w in widths[:-1]:
                e_w = z[:, :w] @ p["w_dec"][:w] + p["b_dec"] - x
                inner += np.sum(e_w ** 2)
                d_w = 2.0 * e_w / rows
                dpre[:, :w] += (d_w @ p["w_dec"][:w].T) * sel[:, :w]
                g_dec[:w] += z[:, :w].T @ d_w
                dxhat = dxhat + d_w
            out["inner_l2"] = inner / rows
            out["loss"] += out["inner_l2"]
    elif jumprelu:
        step = int(cfg["step_before"]) + 1
        warm = int(cfg["l0_warmup_steps"])
        l0_weight = cfg["l0_coeff"] * (min(1.0, step / warm) if warm > 0 else 1.0)
        out["l1"] = l0_weight * out["l0"]
        out["band"], out["l0_weight"] = band, l0_weight
        out["loss"] = out["l2"] + out["l1"]
        dxhat = 2.0 * e / rows
        dz = dxhat @ p["w_dec"].T
        dpre = dz * sel
        g_dec = z.T @ dxhat
        eps = cfg["bandwidth"]
        # Straight-through: dz/dθ = -(θ/ε)K, d‖z‖₀/dθ = -(1/ε)K on the band K.
        g_threshold = np.sum(band * (-(theta / eps) * dz - (l0_weight / rows) / eps), axis=0)
    else:
        out["l1"] = lam * z.sum()
        out["loss"] = out["l2"] + out["l1"]
        dxhat = 2.0 * e / rows
        dpre = (dxhat @ p["w_dec"].T + lam) * sel
        g_dec = z.T @ dxhat
    g_b_enc = dpre.sum(axis=0)
    g_b_dec = dxhat.sum(axis=0) - (p["w_enc"] @ g_b_enc if cfg["subtract_b_dec"] else 0.0)
    out["grad"] = {"w_enc": enc_in.T @ dpre, "b_enc": g_b_enc, "w_dec": g_dec, "b_dec": g_b_dec}
    if jumprelu:
        out["grad"]["threshold"] = g_threshold
    elif batchtopk:
        out["grad"]["threshold"] = np.zeros_like(p["threshold"])
    out["sel"] = sel
    return out


def lr_at(cfg, step):
    s = step - 1
    warmup, decay = cfg["lr_warmup_steps"], cfg["lr_decay_steps"]
    if warmup > 0 and s < warmup:
        return cfg["lr"] * s / warmup
    if decay > 0:
        return cfg["lr"] * max(0.0, (decay - s) / max(1.0, decay - warmup))
    return cfg["lr"]


def update(cfg, p, grads, m, v, fires, in_window_fires, rows, level=0.0):
    """Projection, Adam (torch formulas), renormalisation, thresholds, resampling: the new state."""
    recipe = cfg["recipe"]
    step = int(cfg["step_before"]) + 1
    g = dict(grads)
    if cfg["project_decoder_grad"]:
        w = p["w_dec"]
        g["w_dec"] = g["w_dec"] - (np.sum(g["w_dec"] * w, axis=1) / np.sum(w * w, axis=1))[:, None] * w
    b1, b2, eps = cfg["adam_beta1"], cfg["adam_beta2"], cfg["adam_eps"]
    lr = lr_at(cfg, step)
    new_p, new_m, new_v = {}, {}, {}
    for t in p:
        new_m[t] = b1 * m[t] + (1 - b1) * g[t]
        new_v[t] = b2 * v[t] + (1 - b2) * g[t] ** 2
        denom = np.sqrt(new_v[t]) / np.sqrt(1 - b2 ** step) + eps
        new_p[t] = p[t] - lr / (1 - b1 ** step) * new_m[t] / denom
    if cfg["renormalize_decoder"]:
        norm_eps = 0.0 if recipe == "nanda-1l" else FLT_EPSILON
        new_p["w_dec"] = new_p["w_dec"] / (np.linalg.norm(new_p["w_dec"], axis=1, keepdims=True) + norm_eps)
    if recipe == "jumprelu":
        new_p["threshold"] = np.maximum(new_p["threshold"], 0.0)
    if recipe in ("batchtopk", "matryoshka") and step > cfg["threshold_start_step"]:
        beta = cfg["threshold_beta"]
        first = step == cfg["threshold_start_step"] + 1
        value = level if first else beta * p["threshold"][0] + (1 - beta) * level
        new_p["threshold"] = np.full_like(p["threshold"], value)
    resampled = np.zeros(0, dtype=np.int64)
    every = int(cfg["resample_every"])
    if every > 0:
        window = every if cfg["resample_window"] == 0 else min(int(cfg["resample_window"]), every)
        fires_w, tokens_w = in_window_fires.copy(), cfg["in_window_tokens"]
        if (step - 1) % every + 1 > every - window:
            fires_w += fires
            tokens_w += rows
        if step % every == 0:
            resampled = np.flatnonzero(fires_w / tokens_w < cfg["resample_threshold"])
            key = mix_seed(mix_seed(int(cfg["seed"]), RESAMPLE_TAG), step)
            d, n = new_p["w_enc"].shape
            w_enc, w_dec = fresh_weights(key, d, n, cfg["recipe"])
            new_p["w_enc"][:, resampled] = w_enc[:, resampled]
            new_p["w_dec"][resampled] = w_dec[resampled]
            new_p["b_enc"][resampled] = 0.0
    return new_p, new_m, new_v, resampled, lr


def case_dirs(root):
    """The step cases the driver wrote under root (init/ holds the initial weights)."""
    return sorted(d for d in root.iterdir() if d.is_dir() and d.name != "init")


def case_inputs(dir_):
    """A case's config, parameters (float64), batch and steps-since-fired counters."""
    cfg = read_config(dir_ / "config.txt")
    x = np.load(dir_ / "x.npy").astype(np.float64)
    return cfg, load(dir_, "in_"), x, np.load(dir_ / "in_since_fired.npy")


def run_case(dir_):
    case = dir_.name
    cfg, p, x, since_fired = case_inputs(dir_)
    m, v = load(dir_, "in_m_"), load(dir_, "in_v_")
    in_window_fires = np.load(dir_ / "in_window_fires.npy")

    if cfg["data_init"]:  # topk: b_dec is the batch mean
        check(case, "b_dec from the data", p["b_dec"], x.mean(axis=0), tol=1e-6)
    fb = forward_backward(cfg, p, x, since_fired)
    for kind, margin in fb["margins"].items():
        if not margin > 1e-5:  # 10x the float32 error of O(1) pre-activations
            failures.append(f"{case}: {kind} selection margin {margin:.3g} is too small for a float32 "
                            "comparison; change the driver's data")
    for name in ("loss", "l2", "l1", "l0", "fvu", "auxk", "inner_l2"):
        check(case, name, cfg[name], fb[name])
    if cfg["recipe"] == "matryoshka" and not fb["inner_l2"] > 0:
        failures.append(f"{case}: no inner level error: the matryoshka levels went unchecked")
    if "band_nnz" in fb:
        if fb["band_nnz"] == 0:
            failures.append(f"{case}: no entry in the straight-through band: the threshold gradient went unchecked")
        if int(cfg["band_nnz"]) != fb["band_nnz"]:
            failures.append(f"{case}: {int(cfg['band_nnz'])} band entries, expected {fb['band_nnz']}")
    grads = load(dir_, "grad_")
    for t in p:
        check(case, f"gradient of {t}", grads[t], fb["grad"][t])

    new_p, new_m, new_v, resampled, lr = update(cfg, p, fb["grad"], m, v, fb["fires"], in_window_fires, x.shape[0],
                                                fb.get("level", 0.0))
    check(case, "learning rate", cfg["lr_used"], lr, tol=1e-12)
    got_resampled = np.load(dir_ / "resampled.npy")
    if not np.array_equal(got_resampled, resampled):
        failures.append(f"{case}: resampled {got_resampled.tolist()}, expected {resampled.tolist()}")
    out_p, out_m, out_v = load(dir_, "out_"), load(dir_, "out_m_"), load(dir_, "out_v_")
    for t in p:
        check(case, f"updated {t}", out_p[t], new_p[t])
        # The update itself (small next to the parameter), allowing for the rounding of the
        # float32 result, which no implementation avoids.
        rounding = np.linalg.norm(new_p[t].astype(np.float32).astype(np.float64) - new_p[t])
        check(case, f"update of {t}", out_p[t] - p[t], new_p[t] - p[t], floor=2.0 * rounding)
        check(case, f"Adam m of {t}", out_m[t], new_m[t])
        check(case, f"Adam v of {t}", out_v[t], new_v[t])
    if cfg["renormalize_decoder"]:
        check(case, "unit decoder rows", np.linalg.norm(out_p["w_dec"], axis=1), np.ones(p["w_dec"].shape[0]))
    print(f"{case}: {cfg['path']} path, loss {fb['loss']:.6g}, resampled {len(resampled)}")
    return len(resampled)


def check_init(dir_):
    seed = 1234
    for recipe in ("nanda-1l", "topk", "jumprelu"):
        got = load(dir_, f"{recipe}_")
        d, n = got["w_enc"].shape
        w_enc, w_dec = fresh_weights(mix_seed(seed, INIT_TAG), d, n, recipe)
        check("init", f"{recipe} W_enc", got["w_enc"], w_enc, tol=0.0)  # bit for bit
        check("init", f"{recipe} W_dec", got["w_dec"], w_dec, tol=1e-7)
        check("init", f"{recipe} b_enc", got["b_enc"], np.zeros(n))
        check("init", f"{recipe} b_dec", got["b_dec"], np.zeros(d))
        if recipe == "jumprelu":
            check("init", "jumprelu threshold", got["threshold"], np.full(n, 0.001))
        bound = np.sqrt(6.0 / n) if recipe == "nanda-1l" else 1.0 / np.sqrt(d)
        if not (np.abs(got["w_enc"]).max() <= bound and np.abs(got["w_enc"]).max() > 0.9 * bound):
            failures.append(f"init: {recipe} W_enc does not span U(+-{bound:.4g})")
    print("init: the recipes reproduce from Philox4x32-10 draws")


def main(argv):
    if len(argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    root = pathlib.Path(argv[1])
    cases = case_dirs(root)
    if not cases:
        print(f"{root}: no cases", file=sys.stderr)
        return 1
    resampled = sum(run_case(d) for d in cases)
    if resampled == 0:
        failures.append("no case resampled any feature: the resampling check did not run")
    check_init(root / "init")
    if failures:
        print("\n".join(["FAILED:"] + failures), file=sys.stderr)
        return 1
    print(f"all {len(cases)} cases agree to {TOL:g} relative")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
