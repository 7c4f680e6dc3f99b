"""A NumPy reference forward pass of a GPT-2-family transformer, in float64, and the fixtures
the model tests run coact against: random small models saved with Hugging Face GPT-2 names
(safetensors and PyTorch .pt) and with TransformerLens names, with their JSON configs.

    params = random_model(rng, cfg)                 # canonical layout (below), float32 values
    hooks, logits = forward(params, cfg, ids)       # ids [sequences, positions]
    write_huggingface(dir, params, cfg)             # model.safetensors + config.json
    write_transformerlens(dir, params, cfg)         # tl.safetensors + tl_config.json

Canonical layout ("x·W": inputs index the rows): wte [V, d], wpe [n_ctx, d], per block ln1_w/b,
w_qkv [d, 3·H·dh] (q heads | k heads | v heads), b_qkv, w_o [H·dh, d], b_o, ln2_w/b, w_in [d, m],
b_in, w_out [m, d], b_out; ln_f_w/b, w_u [d, V_out], b_u [V_out]. LayerNorm weights are None for
TransformerLens "LNPre" models.
"""
import json
import math
import os
import sys

import numpy as np
from scipy.special import erf

SOURCE = os.environ.get("COACT_SOURCE_DIR", os.path.join(os.path.dirname(__file__), "..", ".."))
sys.path.insert(0, os.path.join(SOURCE, "tools"))
import make_interchange_fixtures as interchange  # noqa: E402  (the pure-Python safetensors writer)


def gelu(x, kind):
    if kind == "gelu":
        return 0.5 * x * (1.0 + erf(x / math.sqrt(2.0)))
    return 0.5 * x * (1.0 + np.tanh(math.sqrt(2.0 / math.pi) * (x + 0.044715 * x ** 3)))


def layernorm(x, w, b, eps):
    mean = x.mean(-1, keepdims=True)
    var = ((x - mean) ** 2).mean(-1, keepdims=True)
    y = (x - mean) / np.sqrt(var + eps)
    if w is not None:
        y = y * w
    if b is not None:
        y = y + b
    return y


def random_model(rng, cfg, tied=False, lnpre=False):
    """cfg: dict with d_model, n_heads, d_head, d_mlp, d_vocab, d_vocab_out, n_ctx, n_layers."""
    d, H, dh, m = cfg["d_model"], cfg["n_heads"], cfg["d_head"], cfg["d_mlp"]
    V, Vo, C = cfg["d_vocab"], cfg["d_vocab_out"], cfg["n_ctx"]
    da = H * dh

    def normal(*shape, scale=1.0):
        return (rng.standard_normal(shape) * scale).astype(np.float32)

    def ln_pair():
        if lnpre:
            return None, None
        return (1.0 + normal(d, scale=0.2)), normal(d, scale=0.1)

    p = {"wte": normal(V, d, scale=0.5), "wpe": normal(C, d, scale=0.3), "blocks": []}
    for _ in range(cfg["n_layers"]):
        b = {}
        b["ln1_w"], b["ln1_b"] = ln_pair()
        b["w_qkv"] = normal(d, 3 * da, scale=1.0 / math.sqrt(d))
        b["b_qkv"] = normal(3 * da, scale=0.1)
        b["w_o"] = normal(da, d, scale=1.0 / math.sqrt(da))
        b["b_o"] = normal(d, scale=0.1)
        b["ln2_w"], b["ln2_b"] = ln_pair()
        b["w_in"] = normal(d, m, scale=1.0 / math.sqrt(d))
        b["b_in"] = normal(m, scale=0.1)
        b["w_out"] = normal(m, d, scale=1.0 / math.sqrt(m))
        b["b_out"] = normal(d, scale=0.1)
        p["blocks"].append(b)
    p["ln_f_w"], p["ln_f_b"] = ln_pair()
    if tied:
        p["w_u"], p["b_u"] = np.ascontiguousarray(p["wte"].T), np.zeros(Vo, np.float32)
    else:
        p["w_u"], p["b_u"] = normal(d, Vo, scale=1.0 / math.sqrt(d)), normal(Vo, scale=0.1)
    return p


def forward(p, cfg, ids, edits=None):
    """Every hook's activations (TransformerLens names, flattened to [rows, width]) and the
    logits [rows, V_out], in float64. edits: hook name -> function of the [rows, width]
    activations there, whose result the rest of the pass uses (the hooks keep the unedited)."""
    ids = np.asarray(ids)
    S, T = ids.shape
    H, dh, eps = cfg["n_heads"], cfg["d_head"], cfg.get("eps", 1e-5)
    da = H * dh
    scale = 1.0 / math.sqrt(dh)
    f64 = lambda a: None if a is None else np.asarray(a, np.float64)  # noqa: E731
    x = f64(p["wte"])[ids] + f64(p["wpe"])[:T]
    hooks = {}

    def at(name, value):
        hooks[name] = value
        if edits and name in edits:
            value = edits[name](value.reshape(S * T, -1)).reshape(value.shape)
        return value

    mask = np.triu(np.ones((T, T), bool), 1)
    for L, b in enumerate(p["blocks"]):
        b = {k: f64(v) for k, v in b.items()}
        x = at(f"blocks.{L}.hook_resid_pre", x)
        qkv = layernorm(x, b["ln1_w"], b["ln1_b"], eps) @ b["w_qkv"] + b["b_qkv"]
        q, k, v = (qkv[..., i * da:(i + 1) * da].reshape(S, T, H, dh).transpose(0, 2, 1, 3) for i in range(3))
        scores = scale * q @ k.transpose(0, 1, 3, 2)
        scores[..., mask] = -np.inf
        weights = np.exp(scores - scores.max(-1, keepdims=True))
        weights /= weights.sum(-1, keepdims=True)
        z = (weights @ v).transpose(0, 2, 1, 3).reshape(S, T, da)
        x = x + z @ b["w_o"] + b["b_o"]
        x = at(f"blocks.{L}.hook_resid_mid", x)
        pre = at(f"blocks.{L}.mlp.hook_pre", layernorm(x, b["ln2_w"], b["ln2_b"], eps) @ b["w_in"] + b["b_in"])
        post = at(f"blocks.{L}.mlp.hook_post", gelu(pre, cfg["act_fn"]))
        x = x + post @ b["w_out"] + b["b_out"]
        x = at(f"blocks.{L}.hook_resid_post", x)
    logits = layernorm(x, f64(p["ln_f_w"]), f64(p["ln_f_b"]), eps) @ f64(p["w_u"]) + f64(p["b_u"])
    hooks["logits"] = logits
    return {k: v.reshape(S * T, -1) for k, v in hooks.items()}, logits.reshape(S * T, -1)


def mean_next_token_loss(logits, ids):
    """Mean cross-entropy of each position's logits against the next token of its sequence."""
    S, T = ids.shape
    lg = logits.reshape(S, T, -1)[:, :-1]
    top = lg.max(-1, keepdims=True)
    lse = (top[..., 0] + np.log(np.exp(lg - top).sum(-1)))
    target = np.take_along_axis(lg, ids[:, 1:, None], -1)[..., 0]
    return float((lse - target).mean())


# ---- files -------------------------------------------------------------------------------

def huggingface_tensors(p, cfg):
    """GPT-2 state-dict names (Conv1D weights are [in, out]: the canonical layout)."""
    t = {"wte.weight": p["wte"], "wpe.weight": p["wpe"]}
    for L, b in enumerate(p["blocks"]):
        h = f"h.{L}."
        t.update({h + "ln_1.weight": b["ln1_w"], h + "ln_1.bias": b["ln1_b"],
                  h + "attn.c_attn.weight": b["w_qkv"], h + "attn.c_attn.bias": b["b_qkv"],
                  h + "attn.c_proj.weight": b["w_o"], h + "attn.c_proj.bias": b["b_o"],
                  h + "ln_2.weight": b["ln2_w"], h + "ln_2.bias": b["ln2_b"],
                  h + "mlp.c_fc.weight": b["w_in"], h + "mlp.c_fc.bias": b["b_in"],
                  h + "mlp.c_proj.weight": b["w_out"], h + "mlp.c_proj.bias": b["b_out"]})
    t.update({"ln_f.weight": p["ln_f_w"], "ln_f.bias": p["ln_f_b"]})
    return t


def huggingface_config(cfg):
    return {"model_type": "gpt2", "n_embd": cfg["d_model"], "n_layer": cfg["n_layers"], "n_head": cfg["n_heads"],
            "n_inner": cfg["d_mlp"], "vocab_size": cfg["d_vocab"], "n_positions": cfg["n_ctx"],
            "activation_function": "gelu_new" if cfg["act_fn"] != "gelu" else "gelu",
            "layer_norm_epsilon": cfg.get("eps", 1e-5), "bos_token_id": 0, "eos_token_id": 0,
            "_name_or_path": cfg.get("model_name", "tiny-gpt2")}


def transformerlens_tensors(p, cfg):
    d, H, dh = cfg["d_model"], cfg["n_heads"], cfg["d_head"]
    da = H * dh
    t = {"embed.W_E": p["wte"], "pos_embed.W_pos": p["wpe"]}
    for L, b in enumerate(p["blocks"]):
        pre = f"blocks.{L}."
        if b["ln1_w"] is not None:
            t.update({pre + "ln1.w": b["ln1_w"], pre + "ln1.b": b["ln1_b"], pre + "ln2.w": b["ln2_w"],
                      pre + "ln2.b": b["ln2_b"]})
        for i, part in enumerate("QKV"):
            w = b["w_qkv"][:, i * da:(i + 1) * da].reshape(d, H, dh).transpose(1, 0, 2)
            t[pre + f"attn.W_{part}"] = np.ascontiguousarray(w)
            t[pre + f"attn.b_{part}"] = b["b_qkv"][i * da:(i + 1) * da].reshape(H, dh)
        t.update({pre + "attn.W_O": b["w_o"].reshape(H, dh, d), pre + "attn.b_O": b["b_o"],
                  pre + "mlp.W_in": b["w_in"], pre + "mlp.b_in": b["b_in"],
                  pre + "mlp.W_out": b["w_out"], pre + "mlp.b_out": b["b_out"]})
    if p["ln_f_w"] is not None:
        t.update({"ln_final.w": p["ln_f_w"], "ln_final.b": p["ln_f_b"]})
    t.update({"unembed.W_U": p["w_u"], "unembed.b_U": p["b_u"]})
    return t


def transformerlens_config(cfg, lnpre=False):
    keys = ("d_model", "n_layers", "n_heads", "d_head", "d_mlp", "d_vocab", "d_vocab_out", "n_ctx", "act_fn")
    out = {k: cfg[k] for k in keys}
    out.update({"model_name": cfg.get("model_name", "tiny-tl"), "normalization_type": "LNPre" if lnpre else "LN",
                "positional_embedding_type": "standard", "eps": cfg.get("eps", 1e-5), "attn_only": False})
    return out


def write_safetensors(path, tensors):
    data = interchange.st_bytes([interchange.st_tensor(n, np.ascontiguousarray(a, np.float32))
                                 for n, a in tensors.items()])
    with open(path, "wb") as f:
        f.write(data)


def write_json(path, obj):
    with open(path, "w") as f:
        json.dump(obj, f)


def write_huggingface(directory, p, cfg, stem="model"):
    write_safetensors(os.path.join(directory, stem + ".safetensors"), huggingface_tensors(p, cfg))
    write_json(os.path.join(directory, "config.json"), huggingface_config(cfg))


def write_transformerlens(directory, p, cfg, stem="tl", lnpre=False):
    write_safetensors(os.path.join(directory, stem + ".safetensors"), transformerlens_tensors(p, cfg))
    write_json(os.path.join(directory, stem + "_config.json"), transformerlens_config(cfg, lnpre))
