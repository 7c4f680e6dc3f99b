"""A small GGUF writer and block quantisers in pure Python + NumPy, written from the GGUF spec
and ggml's block layouts (ggml-common.h), independent of coact and of the `gguf` package.

Used by the GGUF tests (fixtures with every metadata type and every block type coact reads) and
by fuzz/make_seeds.py. Each quantiser has a dequantiser beside it that follows the layout
formula in float32, the reference coact's values are compared with bit for bit.

  blocks = quantize("Q4_K", values)            # bytes, values.size a multiple of 256
  ref = dequantize("Q4_K", blocks, values.size)
  write_gguf(path, [("general.architecture", STRING, "llama"), ...],
             [Tensor("w", "Q4_K", (rows, cols), blocks)])
"""
import struct

import numpy as np

# Metadata value types (gguf_metadata_value_type).
U8, I8, U16, I16, U32, I32, F32, BOOL, STRING, ARRAY, U64, I64, F64 = range(13)
SCALAR_FORMATS = {U8: "<B", I8: "<b", U16: "<H", I16: "<h", U32: "<I", I32: "<i", F32: "<f", BOOL: "<?",
                  U64: "<Q", I64: "<q", F64: "<d"}

# ggml types: number, values per block, bytes per block.
TYPES = {
    "F32": (0, 1, 4), "F16": (1, 1, 2), "Q4_0": (2, 32, 18), "Q4_1": (3, 32, 20), "Q5_0": (6, 32, 22), "Q5_1": (7, 32, 24),
    "Q8_0": (8, 32, 34), "Q4_K": (12, 256, 144), "Q5_K": (13, 256, 176), "Q6_K": (14, 256, 210),
    "I8": (24, 1, 1), "I16": (25, 1, 2), "I32": (26, 1, 4), "I64": (27, 1, 8), "F64": (28, 1, 8),
    "BF16": (30, 1, 2),
}


class Tensor:
    """`shape` is row-major (the model's); GGUF stores it reversed. `data` is the stored bytes."""

    def __init__(self, name, type_name, shape, data, offset=None):
        self.name, self.type_name, self.shape, self.data, self.offset = name, type_name, tuple(shape), data, offset


def gguf_string(text):
    raw = text.encode("utf-8") if isinstance(text, str) else bytes(text)
    return struct.pack("<Q", len(raw)) + raw


def encode_value(value_type, value):
    if value_type == STRING:
        return gguf_string(value)
    if value_type == ARRAY:
        element_type, items = value
        out = struct.pack("<IQ", element_type, len(items))
        for item in items:
            out += encode_value(element_type, item)
        return out
    return struct.pack(SCALAR_FORMATS[value_type], value)


def encode_kv(key, value_type, value):
    return gguf_string(key) + struct.pack("<I", value_type) + encode_value(value_type, value)


def align(offset, alignment):
    return offset + (alignment - offset % alignment) % alignment


def build_gguf(metadata, tensors, alignment=32, version=3, raw_type_numbers=None):
    """The file's bytes. metadata: [(key, type, value)] written as given (a general.alignment
    entry is the caller's). Tensor offsets are laid out in order unless a Tensor gives one."""
    raw_type_numbers = raw_type_numbers or {}
    out = b"GGUF" + struct.pack("<IQQ", version, len(tensors), len(metadata))
    for key, value_type, value in metadata:
        out += encode_kv(key, value_type, value)
    offset = 0
    placed = []
    for t in tensors:
        at = t.offset if t.offset is not None else align(offset, alignment)
        placed.append(at)
        offset = max(offset, at + len(t.data))
        number = raw_type_numbers.get(t.name, TYPES[t.type_name][0] if t.type_name in TYPES else None)
        out += gguf_string(t.name) + struct.pack("<I", len(t.shape))
        for dim in reversed(t.shape):
            out += struct.pack("<Q", dim)
        out += struct.pack("<IQ", number, at)
    out += b"\0" * (align(len(out), alignment) - len(out))
    data = bytearray(align(offset, alignment) if tensors else 0)
    for t, at in zip(tensors, placed):
        data[at:at + len(t.data)] = t.data
    return bytes(out) + bytes(data)


def write_gguf(path, metadata, tensors, **options):
    with open(path, "wb") as f:
        f.write(build_gguf(metadata, tensors, **options))


# ---- quantisers (float32 values -> block bytes) ---------------------------------------------------

def _f16(x):
    return np.asarray(x, np.float32).astype(np.float16)


def _blocks(values, size):
    values = np.asarray(values, np.float32).reshape(-1)
    assert values.size % size == 0, (values.size, size)
    return values.reshape(-1, size)


def quantize_q8_0(values):
    x = _blocks(values, 32)
    d = _f16(np.abs(x).max(axis=1) / 127.0)
    inv = np.where(d.astype(np.float32) > 0, 1.0 / np.maximum(d.astype(np.float32), 1e-30), 0.0)
    q = np.clip(np.rint(x * inv[:, None]), -127, 127).astype(np.int8)
    out = np.zeros((x.shape[0], 34), np.uint8)
    out[:, 0:2] = d.view(np.uint8).reshape(-1, 2)
    out[:, 2:] = q.view(np.uint8)
    return out.tobytes()


def _pack_nibbles(q):  # q: [blocks, 32] values 0..15 -> low nibble j, high nibble j + 16
    return (q[:, :16] | (q[:, 16:] << 4)).astype(np.uint8)


def quantize_q4_0(values):
    x = _blocks(values, 32)
    d = _f16(np.abs(x).max(axis=1) / 7.0)
    df = d.astype(np.float32)
    inv = np.where(df > 0, 1.0 / np.maximum(df, 1e-30), 0.0)
    q = np.clip(np.rint(x * inv[:, None]) + 8, 0, 15).astype(np.uint8)
    out = np.zeros((x.shape[0], 18), np.uint8)
    out[:, 0:2] = d.view(np.uint8).reshape(-1, 2)
    out[:, 2:] = _pack_nibbles(q)
    return out.tobytes()


def quantize_q4_1(values):
    x = _blocks(values, 32)
    lo, hi = x.min(axis=1), x.max(axis=1)
    d, m = _f16((hi - lo) / 15.0), _f16(lo)
    df, mf = d.astype(np.float32), m.astype(np.float32)
    inv = np.where(df > 0, 1.0 / np.maximum(df, 1e-30), 0.0)
    q = np.clip(np.rint((x - mf[:, None]) * inv[:, None]), 0, 15).astype(np.uint8)
    out = np.zeros((x.shape[0], 20), np.uint8)
    out[:, 0:2] = d.view(np.uint8).reshape(-1, 2)
    out[:, 2:4] = m.view(np.uint8).reshape(-1, 2)
    out[:, 4:] = _pack_nibbles(q)
    return out.tobytes()


def _pack_q5(q):
    """[blocks, 32] values 0..31 -> (qh as 4 bytes, qs nibbles): the fifth bit of value j is bit j."""
    high = ((q >> 4) & 1).astype(np.uint32)
    qh = (high << np.arange(32, dtype=np.uint32)).sum(axis=1).astype("<u4")
    return qh.view(np.uint8).reshape(-1, 4), _pack_nibbles(q & 0xF)


def quantize_q5_0(values):
    x = _blocks(values, 32)
    d = _f16(np.abs(x).max(axis=1) / 15.0)
    df = d.astype(np.float32)
    inv = np.where(df > 0, 1.0 / np.maximum(df, 1e-30), 0.0)
    q = np.clip(np.rint(x * inv[:, None]) + 16, 0, 31).astype(np.uint8)
    out = np.zeros((x.shape[0], 22), np.uint8)
    out[:, 0:2] = d.view(np.uint8).reshape(-1, 2)
    out[:, 2:6], out[:, 6:] = _pack_q5(q)
    return out.tobytes()


def quantize_q5_1(values):
    x = _blocks(values, 32)
    lo, hi = x.min(axis=1), x.max(axis=1)
    d, m = _f16((hi - lo) / 31.0), _f16(lo)
    df, mf = d.astype(np.float32), m.astype(np.float32)
    inv = np.where(df > 0, 1.0 / np.maximum(df, 1e-30), 0.0)
    q = np.clip(np.rint((x - mf[:, None]) * inv[:, None]), 0, 31).astype(np.uint8)
    out = np.zeros((x.shape[0], 24), np.uint8)
    out[:, 0:2] = d.view(np.uint8).reshape(-1, 2)
    out[:, 2:4] = m.view(np.uint8).reshape(-1, 2)
    out[:, 4:8], out[:, 8:] = _pack_q5(q)
    return out.tobytes()


def _pack_q4_k_scales(scales, mins):
    """Eight 6-bit scales and mins per block into 12 bytes (the layout get_scale_min_k4 reads)."""
    s, m = scales.astype(np.uint8), mins.astype(np.uint8)
    out = np.zeros((s.shape[0], 12), np.uint8)
    out[:, 0:4] = (s[:, 0:4] & 63) | ((s[:, 4:8] >> 4) << 6)
    out[:, 4:8] = (m[:, 0:4] & 63) | ((m[:, 4:8] >> 4) << 6)
    out[:, 8:12] = (s[:, 4:8] & 0xF) | ((m[:, 4:8] & 0xF) << 4)
    return out


def quantize_q4_k(values):
    x = _blocks(values, 256)
    sub = x.reshape(-1, 8, 32)
    lo = np.minimum(sub.min(axis=2), 0.0)
    scale = (sub.max(axis=2) - lo) / 15.0
    d = _f16(scale.max(axis=1) / 63.0)
    dmin = _f16(-lo.min(axis=1) / 63.0)
    df, dminf = d.astype(np.float32), dmin.astype(np.float32)
    sc = np.clip(np.rint(scale / np.maximum(df, 1e-30)[:, None]), 0, 63).astype(np.uint8)
    mn = np.clip(np.rint(-lo / np.maximum(dminf, 1e-30)[:, None]), 0, 63).astype(np.uint8)
    eff_d = (df[:, None] * sc.astype(np.float32))[:, :, None]
    eff_m = (dminf[:, None] * mn.astype(np.float32))[:, :, None]
    q = np.clip(np.rint((sub + eff_m) / np.maximum(eff_d, 1e-30)), 0, 15).astype(np.uint8)  # [b, 8, 32]
    packed = (q[:, 0::2, :] | (q[:, 1::2, :] << 4)).reshape(-1, 128)  # group g: sub-blocks 2g, 2g+1
    out = np.zeros((x.shape[0], 144), np.uint8)
    out[:, 0:2] = d.view(np.uint8).reshape(-1, 2)
    out[:, 2:4] = dmin.view(np.uint8).reshape(-1, 2)
    out[:, 4:16] = _pack_q4_k_scales(sc, mn)
    out[:, 16:] = packed
    return out.tobytes()


def quantize_q6_k(values):
    x = _blocks(values, 256)
    sub = x.reshape(-1, 16, 16)
    amax = np.abs(sub).max(axis=2)
    d = _f16(amax.max(axis=1) / (31.0 * 127.0))
    df = d.astype(np.float32)
    sc = np.clip(np.rint(amax / 31.0 / np.maximum(df, 1e-30)[:, None]), -128, 127).astype(np.int8)
    eff = (df[:, None] * sc.astype(np.float32))[:, :, None]
    q = (np.clip(np.rint(sub / np.where(eff == 0, 1.0, eff)), -32, 31) + 32).astype(np.uint8).reshape(-1, 2, 128)
    ql = np.zeros((x.shape[0], 2, 64), np.uint8)
    qh = np.zeros((x.shape[0], 2, 32), np.uint8)
    # Within each half of 128: value l + 32k (l < 32) -> nibble of ql[l] (k even) or ql[l + 32]
    # (k odd), low nibble for k < 2, high for k >= 2; its top two bits -> bits 2k of qh[l].
    for k in range(4):
        part = q[:, :, 32 * k:32 * (k + 1)]
        low, high = part & 0xF, part >> 4
        column = slice(0, 32) if k % 2 == 0 else slice(32, 64)
        ql[:, :, column] |= low if k < 2 else (low << 4)
        qh[:, :, :] |= (high << (2 * k)).astype(np.uint8)
    out = np.zeros((x.shape[0], 210), np.uint8)
    out[:, 0:128] = ql.reshape(-1, 128)
    out[:, 128:192] = qh.reshape(-1, 64)
    out[:, 192:208] = sc.view(np.uint8)
    out[:, 208:210] = d.view(np.uint8).reshape(-1, 2)
    return out.tobytes()


QUANTIZERS = {"Q8_0": quantize_q8_0, "Q4_0": quantize_q4_0, "Q4_1": quantize_q4_1, "Q5_0": quantize_q5_0,
              "Q5_1": quantize_q5_1, "Q4_K": quantize_q4_k, "Q6_K": quantize_q6_k}


def quantize(type_name, values):
    return QUANTIZERS[type_name](values)


# ---- dequantisers (block bytes -> float32), the layout formulas in float32 ------------------------

def _half(raw):  # [blocks, 2] uint8 -> float32
    return np.ascontiguousarray(raw).view(np.float16).reshape(-1).astype(np.float32)


def _unpack_nibbles(qs):  # [blocks, 16] -> [blocks, 32]: low nibbles first
    return np.concatenate([qs & 0xF, qs >> 4], axis=1)


def dequantize(type_name, data, count):
    _, per_block, size = TYPES[type_name]
    b = np.frombuffer(data, np.uint8).reshape(-1, size)
    assert b.shape[0] * per_block == count
    f = np.float32
    if type_name == "Q8_0":
        d = _half(b[:, 0:2])
        return (b[:, 2:].view(np.int8).astype(f) * d[:, None]).reshape(-1)
    if type_name == "Q4_0":
        d = _half(b[:, 0:2])
        return ((_unpack_nibbles(b[:, 2:]).astype(np.int32) - 8).astype(f) * d[:, None]).reshape(-1)
    if type_name == "Q4_1":
        d, m = _half(b[:, 0:2]), _half(b[:, 2:4])
        return (_unpack_nibbles(b[:, 4:]).astype(f) * d[:, None] + m[:, None]).reshape(-1)
    if type_name in ("Q5_0", "Q5_1"):
        at = 2 if type_name == "Q5_0" else 4
        d = _half(b[:, 0:2])
        qh = np.ascontiguousarray(b[:, at:at + 4]).view("<u4").reshape(-1, 1)
        high = ((qh >> np.arange(32, dtype=np.uint32)) & 1).astype(np.int32) << 4
        q = _unpack_nibbles(b[:, at + 4:]).astype(np.int32) | high
        if type_name == "Q5_0":
            return ((q - 16).astype(f) * d[:, None]).reshape(-1)
        return (q.astype(f) * d[:, None] + _half(b[:, 2:4])[:, None]).reshape(-1)
    if type_name == "Q4_K":
        d, dmin, s = _half(b[:, 0:2]), _half(b[:, 2:4]), b[:, 4:16].astype(np.uint8)
        scales = np.concatenate([s[:, 0:4] & 63, (s[:, 8:12] & 0xF) | ((s[:, 0:4] >> 6) << 4)], axis=1)
        mins = np.concatenate([s[:, 4:8] & 63, (s[:, 8:12] >> 4) | ((s[:, 4:8] >> 6) << 4)], axis=1)
        q = b[:, 16:].reshape(-1, 4, 32)
        nib = np.stack([q & 0xF, q >> 4], axis=2).reshape(-1, 8, 32).astype(f)  # sub-block 2g, 2g+1
        scale = (d[:, None] * scales.astype(f))[:, :, None]
        minimum = (dmin[:, None] * mins.astype(f))[:, :, None]
        return (scale * nib - minimum).reshape(-1)
    if type_name == "Q6_K":
        ql, qh = b[:, 0:128].reshape(-1, 2, 64), b[:, 128:192].reshape(-1, 2, 32)
        sc = b[:, 192:208].view(np.int8).reshape(-1, 2, 8).astype(f)
        d = _half(b[:, 208:210])
        out = np.zeros((b.shape[0], 2, 128), f)
        for k in range(4):
            low = ql[:, :, 0:32] if k % 2 == 0 else ql[:, :, 32:64]
            low = (low & 0xF) if k < 2 else (low >> 4)
            q = (low | (((qh >> (2 * k)) & 3) << 4)).astype(np.int32) - 32
            for half_l in range(2):  # l < 16 uses scale is = 0, l >= 16 uses is = 1
                cols = slice(16 * half_l, 16 * (half_l + 1))
                scale = d[:, None] * sc[:, :, half_l + 2 * k]
                out[:, :, 32 * k + 16 * half_l:32 * k + 16 * (half_l + 1)] = scale[:, :, None] * q[:, :, cols].astype(f)
        return out.reshape(-1)
    raise ValueError(type_name)


def plain_bytes(type_name, values):
    """Element types: the stored bytes of `values` (F16/BF16 rounded by NumPy / truncated)."""
    values = np.asarray(values)
    if type_name == "F32":
        return values.astype("<f4").tobytes()
    if type_name == "F16":
        return values.astype("<f2").tobytes()
    if type_name == "BF16":  # round to nearest even on the top 16 bits
        bits = values.astype("<f4").view("<u4").astype(np.uint64)
        rounded = ((bits + 0x7FFF + ((bits >> 16) & 1)) >> 16).astype("<u2")
        return rounded.tobytes()
    if type_name == "F64":
        return values.astype("<f8").tobytes()
    return values.astype({"I8": "<i1", "I16": "<i2", "I32": "<i4", "I64": "<i8"}[type_name]).tobytes()


def plain_values(type_name, data):
    """The float32 values coact reads from element types."""
    if type_name == "BF16":
        return (np.frombuffer(data, "<u2").astype(np.uint32) << 16).view(np.float32)
    dtype = {"F32": "<f4", "F16": "<f2", "F64": "<f8", "I8": "<i1", "I16": "<i2", "I32": "<i4", "I64": "<i8"}[type_name]
    return np.frombuffer(data, dtype).astype(np.float32)


def permute_rotary(weights, n_head):
    """llama.cpp's converter (LlamaModel.permute): halves -> interleaved pairs, per head."""
    shape = weights.shape
    return weights.reshape(n_head, 2, shape[0] // n_head // 2, *shape[1:]).swapaxes(1, 2).reshape(shape)


# ---- tokenizers --------------------------------------------------------------------------------

# llama.cpp's token types.
NORMAL, UNKNOWN, CONTROL, USER_DEFINED, UNUSED, BYTE = 1, 2, 3, 4, 5, 6


def gpt2_tokenizer_metadata(tokens, merges, token_types=None, pre="smollm", bos=None, eos=None, add_bos=None):
    """tokenizer.ggml.* entries of a byte-level BPE as llama.cpp's converter writes them:
    `tokens` in id order (GPT-2's byte alphabet), `merges` as "left right" strings."""
    entries = [("tokenizer.ggml.model", STRING, "gpt2")]
    if pre is not None:
        entries.append(("tokenizer.ggml.pre", STRING, pre))
    entries.append(("tokenizer.ggml.tokens", ARRAY, (STRING, list(tokens))))
    if token_types is not None:
        entries.append(("tokenizer.ggml.token_type", ARRAY, (I32, list(token_types))))
    entries.append(("tokenizer.ggml.merges", ARRAY, (STRING, list(merges))))
    if bos is not None:
        entries.append(("tokenizer.ggml.bos_token_id", U32, bos))
    if eos is not None:
        entries.append(("tokenizer.ggml.eos_token_id", U32, eos))
    if add_bos is not None:
        entries.append(("tokenizer.ggml.add_bos_token", BOOL, add_bos))
    return entries
