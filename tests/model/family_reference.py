"""A NumPy reference forward pass of every family coact computes (GPT-2, Llama / Mistral / Qwen2,
GPT-NeoX, Gemma, Gemma-2, BERT), in float64, with every TransformerLens hook coact lists, and the
fixtures the model tests run coact against: small random models written with Hugging Face names
(model.safetensors + config.json) by family.

    cfg = CONFIGS["llama"]                            # sizes and architecture switches
    params = random_model(rng, cfg)                   # canonical layout (below), float32 values
    hooks = forward(params, cfg, ids)                 # every hook [rows, width], "logits" too
    write_huggingface(dir, params, cfg)               # model.safetensors + config.json

Canonical layout ("x·W": inputs index the rows): wte [V, d], wpe [n_ctx, d] or None, per block
ln1_w/b, w_q [d, H·dh], w_k/w_v [d, KV·dh], b_q/b_k/b_v, w_o [H·dh, d], b_o, ln2_w/b, w_in [d, m]
(the gate of a gated MLP), b_in, w_up, b_up, w_out [m, d], b_out, post_attn_w, post_mlp_w; ln_f_w/b,
w_u [d, V], b_u; BERT adds token_type [d] (type 0's row of a [2, d] table) and emb_ln_w/b. A
missing parameter is None. Norm weights are the effective ones (Gemma's 1 + w).

The definitions follow the papers and Hugging Face's documented behaviour, written out
independently: RMSNorm x / sqrt(mean(x²) + eps) · w; rotary "rotate half" with
inv_freq = base^(−2i/dim) (Llama 3 scaling as in the Llama 3.1 release); grouped-query heads;
sliding windows (key j visible from query t when t − j < window); tanh soft-capping; BERT post-LN.
"""
import json
import math
import os
import sys

import numpy as np
from scipy.special import erf

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import gpt2_reference as gpt2  # noqa: E402  (its safetensors writer and GPT-2 names)

BASE = dict(n_layers=2, d_model=32, n_heads=4, n_kv=4, d_head=8, d_mlp=48, d_vocab=97, n_ctx=64, eps=1e-5,
            norm="ln", positions="learned", gated=False, act="gelu", parallel=False, post_norms=False,
            post_ln=False, causal=True, attn_softcap=0.0, final_softcap=0.0, embed_scale=1.0, windows=None,
            qkv_bias=True, out_bias=True, mlp_bias=True, tied=False, rotary_dim=None, rope_base=10000.0,
            rope_scaling=None)

CONFIGS = {
    "gpt2": dict(BASE, family="gpt2", act="gelu_tanh", tied=True),
    "llama3": dict(BASE, family="llama", model_type="llama", norm="rms", eps=1e-6, positions="rotary", n_kv=2,
                   gated=True, act="silu", qkv_bias=False, out_bias=False, mlp_bias=False, rope_base=500000.0,
                   rope_scaling=dict(rope_type="llama3", factor=8.0, low_freq_factor=1.0, high_freq_factor=4.0,
                                     original_max_position_embeddings=16)),
    "mistral": dict(BASE, family="llama", model_type="mistral", norm="rms", eps=1e-6, positions="rotary", n_kv=1,
                    gated=True, act="silu", qkv_bias=False, out_bias=False, mlp_bias=False, windows=[5, 5]),
    "qwen2": dict(BASE, family="llama", model_type="qwen2", norm="rms", eps=1e-6, positions="rotary", n_kv=2,
                  gated=True, act="silu", qkv_bias=True, out_bias=False, mlp_bias=False, tied=True,
                  rope_base=1000000.0),
    "llama": dict(BASE, family="llama", model_type="llama", norm="rms", eps=1e-6, positions="rotary", n_kv=2,
                  gated=True, act="silu", qkv_bias=False, out_bias=False, mlp_bias=False),
    "gpt_neox": dict(BASE, family="gpt_neox", positions="rotary", rotary_dim=2, parallel=True, act="gelu"),
    "gemma": dict(BASE, family="gemma", norm="rms", eps=1e-6, positions="rotary", n_kv=1, d_head=12, gated=True,
                  act="gelu_tanh", qkv_bias=False, out_bias=False, mlp_bias=False, tied=True,
                  embed_scale=math.sqrt(32)),
    "gemma2": dict(BASE, family="gemma2", norm="rms", eps=1e-6, positions="rotary", n_kv=2, gated=True,
                   act="gelu_tanh", qkv_bias=False, out_bias=False, mlp_bias=False, tied=True,
                   embed_scale=math.sqrt(32), post_norms=True, attn_softcap=2.0, final_softcap=3.0,
                   windows=[4, 0], query_pre_attn_scalar=6),
    "bert": dict(BASE, family="bert", post_ln=True, causal=False, act="gelu", eps=1e-12, pad_id=0),
}


# ---- the forward pass --------------------------------------------------------------------------

def act(x, kind):
    if kind == "gelu":
        return 0.5 * x * (1.0 + erf(x / math.sqrt(2.0)))
    if kind == "gelu_tanh":
        return 0.5 * x * (1.0 + np.tanh(math.sqrt(2.0 / math.pi) * (x + 0.044715 * x ** 3)))
    if kind == "silu":
        return x / (1.0 + np.exp(-x))
    raise ValueError(kind)


def normalized(x, cfg):
    """The norm before its weight and bias (TransformerLens's hook_normalized)."""
    if cfg["norm"] == "rms":
        return x / np.sqrt((x ** 2).mean(-1, keepdims=True) + cfg["eps"])
    mean = x.mean(-1, keepdims=True)
    return (x - mean) / np.sqrt(((x - mean) ** 2).mean(-1, keepdims=True) + cfg["eps"])


def affine(x, w, b):
    if w is not None:
        x = x * w
    if b is not None:
        x = x + b
    return x


def rotary_dim(cfg):
    return cfg["rotary_dim"] or cfg["d_head"]


def inverse_frequencies(cfg):
    dim = rotary_dim(cfg)
    inv = 1.0 / cfg["rope_base"] ** (np.arange(0, dim, 2) / dim)
    s = cfg["rope_scaling"]
    if s and s["rope_type"] == "llama3":
        old, low, high, factor = (s["original_max_position_embeddings"], s["low_freq_factor"], s["high_freq_factor"],
                                  s["factor"])
        wavelen = 2 * math.pi / inv
        smooth = (old / wavelen - low) / (high - low)
        blended = (1 - smooth) * inv / factor + smooth * inv
        inv = np.where(wavelen > old / low, inv / factor, np.where(wavelen < old / high, inv, blended))
    return inv


def rotate(x, cfg):
    """x [S, heads, T, dh]: the first rotary_dim dimensions rotated by position ("rotate half")."""
    T = x.shape[2]
    dim = rotary_dim(cfg)
    angles = np.arange(T)[:, None] * inverse_frequencies(cfg)[None, :]  # [T, dim/2]
    cos, sin = np.cos(angles), np.sin(angles)
    x1, x2 = x[..., :dim // 2], x[..., dim // 2:dim]
    out = x.copy()
    out[..., :dim // 2] = x1 * cos - x2 * sin
    out[..., dim // 2:dim] = x2 * cos + x1 * sin
    return out


def attention_scale(cfg):
    return 1.0 / math.sqrt(cfg.get("query_pre_attn_scalar", cfg["d_head"]))


def forward(p, cfg, ids, edits=None):
    """Every hook's activations (TransformerLens names, [rows, width]) and "logits" (decoders), in
    float64. edits: hook name -> function of the [rows, width] activations there."""
    ids = np.asarray(ids)
    S, T = ids.shape
    H, KV, dh = cfg["n_heads"], cfg["n_kv"], cfg["d_head"]
    f = {k: (None if v is None else np.asarray(v, np.float64)) for k, v in p.items() if k != "blocks"}
    hooks = {}

    def at(name, value):
        hooks[name] = value.reshape(S * T, -1).copy()
        if edits and name in edits:
            value = edits[name](value.reshape(S * T, -1)).reshape(value.shape)
        return value

    def norm_hook(name, x, w, b):
        return affine(at(name, normalized(x, cfg)), w, b)

    x = at("hook_embed", f["wte"][ids] * cfg["embed_scale"])
    if cfg["positions"] == "learned":
        x = x + at("hook_pos_embed", np.broadcast_to(f["wpe"][:T], (S, T, cfg["d_model"])).copy())
    if cfg["post_ln"]:
        x = affine(normalized(x + f["token_type"], cfg), f["emb_ln_w"], f["emb_ln_b"])
    lengths = np.full(S, T)
    if cfg.get("pad_id") is not None:
        for s in range(S):
            while lengths[s] > 0 and ids[s, lengths[s] - 1] == cfg["pad_id"]:
                lengths[s] -= 1
    t_idx, j_idx = np.arange(T)[:, None], np.arange(T)[None, :]

    def attention(L, b, x_in):
        q = (x_in @ b["w_q"] + (0 if b["b_q"] is None else b["b_q"])).reshape(S, T, H, dh).transpose(0, 2, 1, 3)
        k = (x_in @ b["w_k"] + (0 if b["b_k"] is None else b["b_k"])).reshape(S, T, KV, dh).transpose(0, 2, 1, 3)
        v = (x_in @ b["w_v"] + (0 if b["b_v"] is None else b["b_v"])).reshape(S, T, KV, dh).transpose(0, 2, 1, 3)
        if cfg["positions"] == "rotary":
            q, k = rotate(q, cfg), rotate(k, cfg)
        k, v = np.repeat(k, H // KV, axis=1), np.repeat(v, H // KV, axis=1)
        scores = attention_scale(cfg) * q @ k.transpose(0, 1, 3, 2)
        if cfg["attn_softcap"]:
            scores = cfg["attn_softcap"] * np.tanh(scores / cfg["attn_softcap"])
        visible = np.ones((S, 1, T, T), bool)
        if cfg["causal"]:
            visible &= (j_idx <= t_idx)[None, None]
        window = (cfg["windows"] or [0] * cfg["n_layers"])[L]
        if window:
            visible &= (t_idx - j_idx < window)[None, None]
        visible &= (j_idx[None, None] < lengths[:, None, None, None])
        scores = np.where(visible, scores, -np.inf)
        top = np.max(scores, -1, keepdims=True)
        weights = np.where(visible, np.exp(scores - np.where(np.isfinite(top), top, 0)), 0.0)
        total = weights.sum(-1, keepdims=True)
        weights = np.divide(weights, total, out=np.zeros_like(weights), where=total > 0)
        z = at(f"blocks.{L}.attn.hook_z", (weights @ v).transpose(0, 2, 1, 3).reshape(S, T, H * dh))
        out = z @ b["w_o"] + (0 if b["b_o"] is None else b["b_o"])
        if b["post_attn_w"] is not None:
            out = normalized(out, cfg) * b["post_attn_w"]
        return at(f"blocks.{L}.hook_attn_out", out)

    def mlp(L, b, x_in):
        pre = at(f"blocks.{L}.mlp.hook_pre", x_in @ b["w_in"] + (0 if b["b_in"] is None else b["b_in"]))
        if cfg["gated"]:
            up = at(f"blocks.{L}.mlp.hook_pre_linear", x_in @ b["w_up"] + (0 if b["b_up"] is None else b["b_up"]))
            post = act(pre, cfg["act"]) * up
        else:
            post = act(pre, cfg["act"])
        post = at(f"blocks.{L}.mlp.hook_post", post)
        out = post @ b["w_out"] + (0 if b["b_out"] is None else b["b_out"])
        if b["post_mlp_w"] is not None:
            out = normalized(out, cfg) * b["post_mlp_w"]
        return at(f"blocks.{L}.hook_mlp_out", out)

    for L, block in enumerate(p["blocks"]):
        b = {k: (None if v is None else np.asarray(v, np.float64)) for k, v in block.items()}
        x = at(f"blocks.{L}.hook_resid_pre", x)
        if cfg["post_ln"]:
            x = at(f"blocks.{L}.hook_resid_mid", x + attention(L, b, x))
            x = norm_hook(f"blocks.{L}.ln1.hook_normalized", x, b["ln1_w"], b["ln1_b"])
            x = at(f"blocks.{L}.hook_resid_post", x + mlp(L, b, x))
            x = norm_hook(f"blocks.{L}.ln2.hook_normalized", x, b["ln2_w"], b["ln2_b"])
            x = at(f"blocks.{L}.hook_normalized_resid_post", x)
            continue
        n1 = norm_hook(f"blocks.{L}.ln1.hook_normalized", x, b["ln1_w"], b["ln1_b"])
        if cfg["parallel"]:
            n2 = norm_hook(f"blocks.{L}.ln2.hook_normalized", x, b["ln2_w"], b["ln2_b"])
            x = x + attention(L, b, n1) + mlp(L, b, n2)
        else:
            x = at(f"blocks.{L}.hook_resid_mid", x + attention(L, b, n1))
            x = x + mlp(L, b, norm_hook(f"blocks.{L}.ln2.hook_normalized", x, b["ln2_w"], b["ln2_b"]))
        x = at(f"blocks.{L}.hook_resid_post", x)
    if cfg["causal"]:
        final = norm_hook("ln_final.hook_normalized", x, f["ln_f_w"], f["ln_f_b"])
        w_u = f["wte"].T if cfg["tied"] else f["w_u"]
        logits = final @ w_u + (0 if f["b_u"] is None else f["b_u"])
        if cfg["final_softcap"]:
            logits = cfg["final_softcap"] * np.tanh(logits / cfg["final_softcap"])
        hooks["logits"] = logits.reshape(S * T, -1)
    return hooks


def hook_names(cfg):
    """Every hook coact lists for the config, in forward order."""
    names = ["hook_embed"] + (["hook_pos_embed"] if cfg["positions"] == "learned" else [])
    for L in range(cfg["n_layers"]):
        sites = ["hook_resid_pre", "ln1.hook_normalized", "attn.hook_z", "hook_attn_out"]
        sites += [] if cfg["parallel"] else ["hook_resid_mid"]
        sites += ["ln2.hook_normalized", "mlp.hook_pre"] + (["mlp.hook_pre_linear"] if cfg["gated"] else [])
        sites += ["mlp.hook_post", "hook_mlp_out", "hook_resid_post"]
        sites += ["hook_normalized_resid_post"] if cfg["post_ln"] else []
        names += [f"blocks.{L}.{s}" for s in sites]
    return names + (["ln_final.hook_normalized", "logits"] if cfg["causal"] else [])


# ---- random models -----------------------------------------------------------------------------

def random_model(rng, cfg):
    d, H, KV, dh, m, V, C = (cfg["d_model"], cfg["n_heads"], cfg["n_kv"], cfg["d_head"], cfg["d_mlp"], cfg["d_vocab"],
                             cfg["n_ctx"])

    def normal(*shape, scale=1.0):
        return (rng.standard_normal(shape) * scale).astype(np.float32)

    def maybe(flag, *shape, scale=0.1):
        return normal(*shape, scale=scale) if flag else None

    def norm_weight():
        return np.float32(1.0) + normal(d, scale=0.2)  # float32 1 + w, as Gemma's norm forms it

    ln = cfg["norm"] == "ln"
    p = {"wte": normal(V, d, scale=0.5), "blocks": [],
         "wpe": normal(C, d, scale=0.3) if cfg["positions"] == "learned" else None,
         "token_type": normal(d, scale=0.3) if cfg["post_ln"] else None,
         "token_type_1": normal(d, scale=0.3) if cfg["post_ln"] else None,
         "emb_ln_w": norm_weight() if cfg["post_ln"] else None, "emb_ln_b": maybe(cfg["post_ln"], d)}
    for _ in range(cfg["n_layers"]):
        b = {"ln1_w": norm_weight(), "ln1_b": maybe(ln, d), "ln2_w": norm_weight(), "ln2_b": maybe(ln, d),
             "w_q": normal(d, H * dh, scale=1 / math.sqrt(d)), "w_k": normal(d, KV * dh, scale=1 / math.sqrt(d)),
             "w_v": normal(d, KV * dh, scale=1 / math.sqrt(d)),
             "b_q": maybe(cfg["qkv_bias"], H * dh), "b_k": maybe(cfg["qkv_bias"], KV * dh),
             "b_v": maybe(cfg["qkv_bias"], KV * dh),
             "w_o": normal(H * dh, d, scale=1 / math.sqrt(H * dh)), "b_o": maybe(cfg["out_bias"], d),
             "w_in": normal(d, m, scale=1 / math.sqrt(d)), "b_in": maybe(cfg["mlp_bias"], m),
             "w_up": normal(d, m, scale=1 / math.sqrt(d)) if cfg["gated"] else None,
             "b_up": maybe(cfg["gated"] and cfg["mlp_bias"], m),
             "w_out": normal(m, d, scale=1 / math.sqrt(m)), "b_out": maybe(cfg["mlp_bias"], d),
             "post_attn_w": norm_weight() if cfg["post_norms"] else None,
             "post_mlp_w": norm_weight() if cfg["post_norms"] else None}
        p["blocks"].append(b)
    causal = cfg["causal"]
    p["ln_f_w"] = norm_weight() if causal else None
    p["ln_f_b"] = maybe(causal and ln, d)
    p["w_u"] = normal(d, V, scale=1 / math.sqrt(d)) if causal and not cfg["tied"] else None
    p["b_u"] = None
    return p


# ---- Hugging Face files ------------------------------------------------------------------------

def _t(a):
    return np.ascontiguousarray(np.asarray(a, np.float32).T)


def huggingface_tensors(p, cfg):
    fam = cfg["family"]
    if fam == "gpt2":
        canonical = {"wte": p["wte"], "wpe": p["wpe"], "ln_f_w": p["ln_f_w"], "ln_f_b": p["ln_f_b"], "blocks": []}
        for b in p["blocks"]:
            canonical["blocks"].append(dict(ln1_w=b["ln1_w"], ln1_b=b["ln1_b"], ln2_w=b["ln2_w"], ln2_b=b["ln2_b"],
                                            w_qkv=np.concatenate([b["w_q"], b["w_k"], b["w_v"]], 1),
                                            b_qkv=np.concatenate([b["b_q"], b["b_k"], b["b_v"]]), w_o=b["w_o"],
                                            b_o=b["b_o"], w_in=b["w_in"], b_in=b["b_in"], w_out=b["w_out"],
                                            b_out=b["b_out"]))
        return gpt2.huggingface_tensors(canonical, None)
    t = {}
    if fam in ("llama", "gemma", "gemma2"):
        gemma = fam != "llama"
        nw = (lambda w: np.asarray(w, np.float32) - np.float32(1.0)) if gemma else (lambda w: w)  # noqa: E731
        t["model.embed_tokens.weight"] = p["wte"]
        for L, b in enumerate(p["blocks"]):
            pre = f"model.layers.{L}."
            t[pre + "input_layernorm.weight"] = nw(b["ln1_w"])
            for part, name in (("q", "q_proj"), ("k", "k_proj"), ("v", "v_proj")):
                t[pre + f"self_attn.{name}.weight"] = _t(b["w_" + part])
                if b["b_" + part] is not None:
                    t[pre + f"self_attn.{name}.bias"] = b["b_" + part]
            t[pre + "self_attn.o_proj.weight"] = _t(b["w_o"])
            if b["b_o"] is not None:
                t[pre + "self_attn.o_proj.bias"] = b["b_o"]
            if fam == "gemma2":
                t[pre + "post_attention_layernorm.weight"] = nw(b["post_attn_w"])
                t[pre + "pre_feedforward_layernorm.weight"] = nw(b["ln2_w"])
                t[pre + "post_feedforward_layernorm.weight"] = nw(b["post_mlp_w"])
            else:
                t[pre + "post_attention_layernorm.weight"] = nw(b["ln2_w"])
            t[pre + "mlp.gate_proj.weight"] = _t(b["w_in"])
            t[pre + "mlp.up_proj.weight"] = _t(b["w_up"])
            t[pre + "mlp.down_proj.weight"] = _t(b["w_out"])
        t["model.norm.weight"] = nw(p["ln_f_w"])
        if not cfg["tied"]:
            t["lm_head.weight"] = _t(p["w_u"])
    elif fam == "gpt_neox":
        H, dh = cfg["n_heads"], cfg["d_head"]
        t["gpt_neox.embed_in.weight"] = p["wte"]
        for L, b in enumerate(p["blocks"]):
            pre = f"gpt_neox.layers.{L}."
            t[pre + "input_layernorm.weight"], t[pre + "input_layernorm.bias"] = b["ln1_w"], b["ln1_b"]
            t[pre + "post_attention_layernorm.weight"], t[pre + "post_attention_layernorm.bias"] = b["ln2_w"], b["ln2_b"]
            # Rows per head: [q (dh) | k (dh) | v (dh)].
            w = np.stack([b["w_q"].T.reshape(H, dh, -1), b["w_k"].T.reshape(H, dh, -1), b["w_v"].T.reshape(H, dh, -1)], 1)
            t[pre + "attention.query_key_value.weight"] = np.ascontiguousarray(w.reshape(3 * H * dh, -1))
            bias = np.stack([b["b_q"].reshape(H, dh), b["b_k"].reshape(H, dh), b["b_v"].reshape(H, dh)], 1)
            t[pre + "attention.query_key_value.bias"] = np.ascontiguousarray(bias.reshape(-1))
            t[pre + "attention.dense.weight"], t[pre + "attention.dense.bias"] = _t(b["w_o"]), b["b_o"]
            t[pre + "mlp.dense_h_to_4h.weight"], t[pre + "mlp.dense_h_to_4h.bias"] = _t(b["w_in"]), b["b_in"]
            t[pre + "mlp.dense_4h_to_h.weight"], t[pre + "mlp.dense_4h_to_h.bias"] = _t(b["w_out"]), b["b_out"]
        t["gpt_neox.final_layer_norm.weight"], t["gpt_neox.final_layer_norm.bias"] = p["ln_f_w"], p["ln_f_b"]
        t["embed_out.weight"] = _t(p["w_u"])
    elif fam == "bert":
        t["embeddings.word_embeddings.weight"] = p["wte"]
        t["embeddings.position_embeddings.weight"] = p["wpe"]
        t["embeddings.token_type_embeddings.weight"] = np.stack([p["token_type"], p["token_type_1"]])
        t["embeddings.LayerNorm.weight"], t["embeddings.LayerNorm.bias"] = p["emb_ln_w"], p["emb_ln_b"]
        for L, b in enumerate(p["blocks"]):
            pre = f"encoder.layer.{L}."
            for part, name in (("q", "query"), ("k", "key"), ("v", "value")):
                t[pre + f"attention.self.{name}.weight"] = _t(b["w_" + part])
                t[pre + f"attention.self.{name}.bias"] = b["b_" + part]
            t[pre + "attention.output.dense.weight"], t[pre + "attention.output.dense.bias"] = _t(b["w_o"]), b["b_o"]
            t[pre + "attention.output.LayerNorm.weight"] = b["ln1_w"]
            t[pre + "attention.output.LayerNorm.bias"] = b["ln1_b"]
            t[pre + "intermediate.dense.weight"], t[pre + "intermediate.dense.bias"] = _t(b["w_in"]), b["b_in"]
            t[pre + "output.dense.weight"], t[pre + "output.dense.bias"] = _t(b["w_out"]), b["b_out"]
            t[pre + "output.LayerNorm.weight"], t[pre + "output.LayerNorm.bias"] = b["ln2_w"], b["ln2_b"]
    return t


def huggingface_config(cfg):
    fam, mt = cfg["family"], cfg.get("model_type", cfg["family"])
    if fam == "gpt2":
        return gpt2.huggingface_config(dict(cfg, d_vocab_out=cfg["d_vocab"],
                                            act_fn="gelu_new" if cfg["act"] == "gelu_tanh" else "gelu"))
    c = {"model_type": mt, "hidden_size": cfg["d_model"], "num_hidden_layers": cfg["n_layers"],
         "num_attention_heads": cfg["n_heads"], "num_key_value_heads": cfg["n_kv"], "intermediate_size": cfg["d_mlp"],
         "vocab_size": cfg["d_vocab"], "max_position_embeddings": cfg["n_ctx"],
         "tie_word_embeddings": cfg["tied"], "bos_token_id": 1, "_name_or_path": f"tiny-{mt}"}
    hidden_act = {"silu": "silu", "gelu": "gelu", "gelu_tanh": "gelu_pytorch_tanh"}[cfg["act"]]
    if fam == "llama":
        c.update(rms_norm_eps=cfg["eps"], hidden_act=hidden_act, rope_theta=cfg["rope_base"],
                 rope_scaling=cfg["rope_scaling"], head_dim=cfg["d_head"])
        if mt == "llama":
            c.update(attention_bias=cfg["qkv_bias"], mlp_bias=cfg["mlp_bias"])
        if mt == "mistral":
            c["sliding_window"] = cfg["windows"][0]
    elif fam in ("gemma", "gemma2"):
        c.update(rms_norm_eps=cfg["eps"], hidden_act=hidden_act, hidden_activation=hidden_act,
                 rope_theta=cfg["rope_base"], head_dim=cfg["d_head"], attention_bias=False)
        if fam == "gemma2":
            c.update(query_pre_attn_scalar=cfg["query_pre_attn_scalar"], attn_logit_softcapping=cfg["attn_softcap"],
                     final_logit_softcapping=cfg["final_softcap"], sliding_window=cfg["windows"][0])
    elif fam == "gpt_neox":
        c.update(layer_norm_eps=cfg["eps"], hidden_act=hidden_act, rotary_pct=rotary_dim(cfg) / cfg["d_head"],
                 rotary_emb_base=cfg["rope_base"], use_parallel_residual=cfg["parallel"], attention_bias=True)
        del c["num_key_value_heads"]
    elif fam == "bert":
        c.update(layer_norm_eps=cfg["eps"], hidden_act=hidden_act, type_vocab_size=2, pad_token_id=cfg["pad_id"],
                 position_embedding_type="absolute")
        del c["num_key_value_heads"], c["tie_word_embeddings"]
    return c


def write_transformerlens(directory, p, cfg):
    """A Llama-family model under TransformerLens names (RMS, rotary, gated MLP, grouped key/value
    heads as _W_K/_W_V) with its HookedTransformerConfig as JSON: tl.safetensors, tl_config.json.
    Biases the model lacks are written as zeros, as TransformerLens holds them."""
    d, H, KV, dh, m, V = cfg["d_model"], cfg["n_heads"], cfg["n_kv"], cfg["d_head"], cfg["d_mlp"], cfg["d_vocab"]
    zeros = lambda *shape: np.zeros(shape, np.float32)  # noqa: E731
    t = {"embed.W_E": p["wte"]}
    for L, b in enumerate(p["blocks"]):
        pre = f"blocks.{L}."
        t[pre + "ln1.w"], t[pre + "ln2.w"] = b["ln1_w"], b["ln2_w"]
        t[pre + "attn.W_Q"] = np.ascontiguousarray(b["w_q"].reshape(d, H, dh).transpose(1, 0, 2))
        t[pre + "attn.b_Q"] = zeros(H, dh) if b["b_q"] is None else b["b_q"].reshape(H, dh)
        grouped = "_" if KV != H else ""
        for part in "KV":
            w, bias = b["w_" + part.lower()], b["b_" + part.lower()]
            t[pre + f"attn.{grouped}W_{part}"] = np.ascontiguousarray(w.reshape(d, KV, dh).transpose(1, 0, 2))
            t[pre + f"attn.{grouped}b_{part}"] = zeros(KV, dh) if bias is None else bias.reshape(KV, dh)
        t[pre + "attn.W_O"] = b["w_o"].reshape(H, dh, d)
        t[pre + "attn.b_O"] = zeros(d) if b["b_o"] is None else b["b_o"]
        t[pre + "mlp.W_gate"], t[pre + "mlp.W_in"], t[pre + "mlp.W_out"] = b["w_in"], b["w_up"], b["w_out"]
        t[pre + "mlp.b_in"], t[pre + "mlp.b_out"] = zeros(m), zeros(d) if b["b_out"] is None else b["b_out"]
    t["ln_final.w"] = p["ln_f_w"]
    t["unembed.W_U"] = p["wte"].T if cfg["tied"] else p["w_u"]
    t["unembed.b_U"] = zeros(V)
    gpt2.write_safetensors(os.path.join(directory, "tl.safetensors"), t)
    config = {"model_name": "tiny-tl-llama", "d_model": d, "n_layers": cfg["n_layers"], "n_heads": H, "d_head": dh,
              "d_mlp": m, "d_vocab": V, "d_vocab_out": V, "n_ctx": cfg["n_ctx"], "act_fn": cfg["act"],
              "normalization_type": "RMS", "final_rms": True, "positional_embedding_type": "rotary",
              "rotary_dim": rotary_dim(cfg), "rotary_base": cfg["rope_base"], "gated_mlp": True,
              "n_key_value_heads": KV, "eps": cfg["eps"], "attn_only": False}
    with open(os.path.join(directory, "tl_config.json"), "w") as f:
        json.dump(config, f)


def write_gguf(path, p, cfg, element_type="F32"):
    """The model as llama.cpp writes a Llama GGUF (family llama): GGUF names, Q/K rows permuted
    for its rotary layout, metadata of the sizes. Returns the parameters as the file holds them
    (rounded to float16 for element_type F16)."""
    sys.path.insert(0, os.path.join(gpt2.SOURCE, "tests", "io"))
    import gguf_writer as gw
    H, KV = cfg["n_heads"], cfg["n_kv"]
    tensors, stored = [], {"blocks": []}

    def unpermute(w, heads):  # the inverse of gw.permute_rotary: interleaved pairs -> halves
        return w.reshape(heads, w.shape[0] // heads // 2, 2, *w.shape[1:]).swapaxes(1, 2).reshape(w.shape)

    def add(name, values, kind=element_type):
        values = np.ascontiguousarray(values, np.float32)
        data = gw.plain_bytes(kind, values)
        tensors.append(gw.Tensor(name, kind, values.shape, data))
        return gw.plain_values(kind, data).reshape(values.shape)

    stored["wte"] = add("token_embd.weight", p["wte"])
    for L, b in enumerate(p["blocks"]):
        pre = f"blk.{L}."
        s = {"ln1_w": add(pre + "attn_norm.weight", b["ln1_w"], "F32"),
             "ln2_w": add(pre + "ffn_norm.weight", b["ln2_w"], "F32")}
        s["w_q"] = unpermute(add(pre + "attn_q.weight", gw.permute_rotary(_t(b["w_q"]), H)), H).T
        s["w_k"] = unpermute(add(pre + "attn_k.weight", gw.permute_rotary(_t(b["w_k"]), KV)), KV).T
        for key, name in (("w_v", "attn_v"), ("w_o", "attn_output"), ("w_in", "ffn_gate"), ("w_up", "ffn_up"),
                          ("w_out", "ffn_down")):
            s[key] = add(pre + name + ".weight", _t(b[key])).T
        stored["blocks"].append(dict(b, **s))
    stored["ln_f_w"] = add("output_norm.weight", p["ln_f_w"], "F32")
    stored["w_u"] = add("output.weight", _t(p["w_u"])).T
    for key in ("wpe", "token_type", "token_type_1", "emb_ln_w", "emb_ln_b", "ln_f_b", "b_u"):
        stored[key] = p[key]
    a = "llama."
    metadata = [("general.architecture", gw.STRING, "llama"), ("general.name", gw.STRING, "tiny-gguf-llama"),
                (a + "block_count", gw.U32, cfg["n_layers"]), (a + "context_length", gw.U32, cfg["n_ctx"]),
                (a + "embedding_length", gw.U32, cfg["d_model"]), (a + "feed_forward_length", gw.U32, cfg["d_mlp"]),
                (a + "attention.head_count", gw.U32, H), (a + "attention.head_count_kv", gw.U32, KV),
                (a + "attention.layer_norm_rms_epsilon", gw.F32, cfg["eps"]),
                (a + "rope.freq_base", gw.F32, cfg["rope_base"]), (a + "vocab_size", gw.U32, cfg["d_vocab"])]
    gw.write_gguf(path, metadata, tensors)
    return stored


def write_huggingface(directory, p, cfg, stem="model"):
    gpt2.write_safetensors(os.path.join(directory, stem + ".safetensors"), huggingface_tensors(p, cfg))
    with open(os.path.join(directory, "config.json"), "w") as f:
        json.dump(huggingface_config(cfg), f)
