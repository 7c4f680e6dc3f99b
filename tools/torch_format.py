"""PyTorch checkpoints (the files torch.save writes) from numpy arrays, without torch.

The default tests write their .pt fixtures with this module, so they need only numpy; the
`peers` test tests/io/torch_format_peers_test.py proves the format against the real torch
(torch.load reads these files bit for bit, and coact reads torch.save's files alike).

torch.save (PyTorch >= 1.6) writes a zip archive, stored (not compressed), whose records all
sit in one folder, `archive` for a buffer or the file name without its extension for a path:

  <prefix>/data.pkl                the object, pickled (protocol 2 unless asked otherwise) by
                                   Python's pickler with each storage replaced by the persistent
                                   id ('storage', torch.<Type>Storage, key, 'cpu', numel) and each
                                   tensor by torch._utils._rebuild_tensor_v2(storage, offset, size,
                                   stride, requires_grad, OrderedDict())
  <prefix>/.format_version         "1": storages are numbered in the order the pickle meets them
  <prefix>/.storage_alignment      "64": where each record's bytes begin (a multiple of it)
  <prefix>/byteorder               "little"
  <prefix>/data/<key>              each storage's elements, raw little-endian, keys "0", "1", ...
  <prefix>/version                 "3\\n", the archive format version
  <prefix>/.data/serialization_id  40 decimal digits derived from the records written

Each record's bytes begin at a multiple of 64 in the file (PyTorch pads the local header's extra
field, id "FB"), and each record is followed by a data descriptor; the archive ends with zip64
end records. The legacy format (before PyTorch 1.6: consecutive pickles, then the raw storages)
is written by legacy_save_bytes.

    t = tensor(np.arange(6, dtype=np.float32).reshape(2, 3))   one tensor, its own storage
    s = Storage(big)                                           a storage several views share
    v = s.view(big[:, 1:3])                                    a view: offset, shape, strides of
                                                               the numpy view of the same array
    p = Parameter(tensor(w))                                   torch.nn.Parameter
    tensor(bits, dtype="bfloat16")                             bfloat16 from uint16 bit patterns
    save(obj, path) / save_bytes(obj)                          dicts, OrderedDicts, lists, tuples,
                                                               numbers, strings, None, nested
"""
import collections
import io
import pickle
import struct
import zlib

import numpy as np

# dtype name -> (numpy dtype of the stored elements, torch storage class, safetensors-style name)
DTYPES = {
    "float32": (np.float32, "FloatStorage", "F32"),
    "float16": (np.float16, "HalfStorage", "F16"),
    "bfloat16": (np.uint16, "BFloat16Storage", "BF16"),  # numpy has no bfloat16: the bit patterns
    "float64": (np.float64, "DoubleStorage", "F64"),
    "int64": (np.int64, "LongStorage", "I64"),
    "int32": (np.int32, "IntStorage", "I32"),
    "int16": (np.int16, "ShortStorage", "I16"),
    "int8": (np.int8, "CharStorage", "I8"),
    "uint8": (np.uint8, "ByteStorage", "U8"),
    "bool": (np.bool_, "BoolStorage", "BOOL"),
}
ALIGNMENT = 64  # where PyTorch's writer puts each record's first byte
FORMAT_VERSION = b"3\n"
LEGACY_MAGIC = 0x1950A86A20F9469CFC6C  # torch.serialization.MAGIC_NUMBER
LEGACY_PROTOCOL = 1001


def dtype_of(array):
    """The dtype name of a numpy array's elements (uint16 is not one: bfloat16 must be named)."""
    for name, (numpy_dtype, _, _) in DTYPES.items():
        if name != "bfloat16" and np.dtype(numpy_dtype) == array.dtype:
            return name
    raise TypeError(f"torch_format: numpy dtype {array.dtype} has no torch storage here "
                    f"(one of {', '.join(DTYPES)}; bfloat16 takes uint16 bit patterns)")


class Storage:
    """A flat run of elements of one dtype; the tensors that share it are views of it."""

    def __init__(self, values, dtype=None):
        values = np.asarray(values)
        if not values.flags.c_contiguous:
            raise ValueError("torch_format: a storage is made from a C-contiguous array")
        self.dtype = dtype or dtype_of(values)
        if np.dtype(DTYPES[self.dtype][0]) != values.dtype:
            raise TypeError(f"torch_format: {self.dtype} storage from {values.dtype} values")
        self.base = values  # the views' numpy arrays are views of this one
        self.elements = values.reshape(-1)

    @property
    def numel(self):
        return self.elements.size

    def raw(self):
        return self.elements.astype(self.elements.dtype.newbyteorder("<"), copy=False).tobytes()

    def view(self, array, requires_grad=False):
        """The tensor whose elements are `array`, a numpy view of this storage's array."""
        itemsize = self.elements.itemsize
        offset = array.__array_interface__["data"][0] - self.base.__array_interface__["data"][0]
        if array.size and not np.shares_memory(array, self.base) or not 0 <= offset <= self.base.nbytes:
            raise ValueError("torch_format: the array is not a view of this storage's array")
        if array.dtype != self.elements.dtype or offset % itemsize or any(s % itemsize for s in array.strides):
            raise ValueError("torch_format: the view does not fall on this storage's elements")
        stride = tuple(s // itemsize for s in array.strides)
        if any(s < 0 for s in stride):
            raise ValueError("torch_format: torch tensors have no negative strides")
        return Tensor(self, offset // itemsize, array.shape, stride, requires_grad)


class Tensor:
    """A tensor: `shape` elements of `storage` from `offset` (in elements), `stride` apart."""

    def __init__(self, storage, offset, shape, stride, requires_grad=False):
        self.storage, self.offset = storage, int(offset)
        self.shape, self.stride = tuple(int(n) for n in shape), tuple(int(s) for s in stride)
        self.requires_grad = bool(requires_grad)
        if len(self.shape) != len(self.stride):
            raise ValueError("torch_format: shape and stride differ in length")
        if 0 not in self.shape:
            last = self.offset + sum((n - 1) * s for n, s in zip(self.shape, self.stride))
            if self.offset < 0 or last >= storage.numel:
                raise ValueError(f"torch_format: the view reaches element {last} of a storage of {storage.numel}")

    @property
    def dtype(self):
        return self.storage.dtype

    def numpy(self):
        """The elements as numpy (bfloat16 as uint16 bit patterns)."""
        itemsize = self.storage.elements.itemsize
        if 0 in self.shape:
            return np.zeros(self.shape, self.storage.elements.dtype)
        return np.lib.stride_tricks.as_strided(self.storage.elements[self.offset:], self.shape,
                                               [s * itemsize for s in self.stride], writeable=False)

    def __reduce_ex__(self, protocol):
        # Tensor._reduce_ex_internal for a CPU tensor; the empty OrderedDict stands for the
        # backward hooks, which torch.save never keeps.
        return REBUILD_TENSOR, (self.storage, self.offset, self.shape, self.stride, self.requires_grad,
                                collections.OrderedDict())


class Parameter:
    """torch.nn.Parameter around a tensor (rebuilt by torch._utils._rebuild_parameter)."""

    def __init__(self, data, requires_grad=True):
        self.data, self.requires_grad = data, bool(requires_grad)

    @property
    def dtype(self):
        return self.data.dtype

    @property
    def shape(self):
        return self.data.shape

    def numpy(self):
        return self.data.numpy()

    def __reduce_ex__(self, protocol):
        return REBUILD_PARAMETER, (self.data, self.requires_grad, collections.OrderedDict())


def tensor(values, dtype=None, requires_grad=False):
    """A contiguous tensor with a storage of its own holding a copy of `values`."""
    values = np.array(values, copy=True, order="C")
    storage = Storage(values, dtype)
    return storage.view(storage.base, requires_grad)


class Global:
    """A name the pickle refers to by module and name (GLOBAL), torch's rebuild functions and
    storage classes included, without importing the module."""

    _interned = {}

    def __new__(cls, module, name):
        # One object per name, so the pickler memoizes it as it does torch's own classes.
        key = (module, name)
        if key not in cls._interned:
            obj = super().__new__(cls)
            obj.module, obj.name = module, name
            cls._interned[key] = obj
        return cls._interned[key]

    def __call__(self, *args):  # the pickler requires a callable REDUCE function
        raise TypeError(f"{self.module}.{self.name} exists only in a pickle here")


REBUILD_TENSOR = Global("torch._utils", "_rebuild_tensor_v2")
REBUILD_PARAMETER = Global("torch._utils", "_rebuild_parameter")


class _Pickler(pickle._Pickler):
    """Python's pickler, as torch.save uses it, with storages as persistent ids.

    The pure-Python pickler writes the same opcodes as the C one torch.save calls; it is the
    one whose dispatch table takes Global (which names a module this process need not have)."""

    dispatch = dict(pickle._Pickler.dispatch)

    def __init__(self, file, protocol, legacy=False):
        super().__init__(file, protocol)
        self.legacy = legacy
        self.storages = {}  # key -> Storage, numbered in the order the pickle meets them
        self.keys = {}  # id(Storage) -> key

    def persistent_id(self, obj):
        if not isinstance(obj, Storage):
            return None
        key = self.keys.setdefault(id(obj), str(len(self.keys)))
        self.storages[key] = obj
        pid = ("storage", Global("torch", DTYPES[obj.dtype][1]), key, "cpu", obj.numel)
        return pid + (None,) if self.legacy else pid  # the legacy format adds view metadata

    def save_global_name(self, obj):
        if self.proto >= 4:
            self.save(obj.module)
            self.save(obj.name)
            self.write(pickle.STACK_GLOBAL)
        else:
            self.write(pickle.GLOBAL + obj.module.encode("ascii") + b"\n" + obj.name.encode("ascii") + b"\n")
        self.memoize(obj)

    dispatch[Global] = save_global_name


def dumps(obj, protocol=2):
    """(data.pkl bytes, {key: Storage}) for obj."""
    buffer = io.BytesIO()
    pickler = _Pickler(buffer, protocol)
    pickler.dump(obj)
    return buffer.getvalue(), pickler.storages


# ---- the zip archive -------------------------------------------------------------------------

def _serialization_id(records):
    """40 digits from the record names and contents, as PyTorch's writer derives its id (its
    value is a fingerprint only; readers do not check it)."""
    names = zlib.crc32("".join(name for name, _ in records).encode())
    contents = 0
    for _, data in records:
        contents = zlib.crc32(data, contents)
    return f"{names:020d}{contents:020d}".encode()


def zip_archive(records):
    """The zip file of (name, bytes) records as PyTorch's writer lays it out: stored, each
    record's bytes 64-aligned by an "FB" extra field of 'Z' padding in the local header,
    followed by a data descriptor; the central directory; zip64 end records, then the end of
    central directory record."""
    out = bytearray()
    central = bytearray()
    for name, data in records:
        name = name.encode("utf-8")
        crc = zlib.crc32(data)
        header_at = len(out)
        start = header_at + 30 + len(name) + 4
        padding = -start % ALIGNMENT
        extra = b"FB" + struct.pack("<H", padding) + b"Z" * padding
        # version 2.0, flags: data descriptor follows (bit 3); method 0 (stored); no time stamp.
        out += struct.pack("<IHHHHHIIIHH", 0x04034B50, 20, 0x0008, 0, 0, 0x21, 0, 0, 0, len(name), len(extra))
        out += name + extra
        assert len(out) % ALIGNMENT == 0
        out += data
        out += struct.pack("<IIII", 0x08074B50, crc, len(data), len(data))
        central += struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 0x031E, 20, 0x0008, 0, 0, 0x21, crc, len(data),
                               len(data), len(name), 0, 0, 0, 0, 0o100644 << 16, header_at)
        central += name
    central_at = len(out)
    out += central
    zip64_end_at = len(out)
    out += struct.pack("<IQHHIIQQQQ", 0x06064B50, 44, 0x031E, 45, 0, 0, len(records), len(records), len(central),
                       central_at)
    out += struct.pack("<IIQI", 0x07064B50, 0, zip64_end_at, 1)
    out += struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, len(records), len(records), len(central), central_at, 0)
    return bytes(out)


def archive(pickle_bytes, storages=(), prefix="archive"):
    """The checkpoint of a data.pkl and its storages ((key, bytes) pairs), in torch.save's
    record order; for pickles built by hand (PickleBuilder) as well as by save_bytes."""
    records = [(f"{prefix}/data.pkl", pickle_bytes), (f"{prefix}/.format_version", b"1"),
               (f"{prefix}/.storage_alignment", str(ALIGNMENT).encode()), (f"{prefix}/byteorder", b"little")]
    records += [(f"{prefix}/data/{key}", raw) for key, raw in storages]
    records.append((f"{prefix}/version", FORMAT_VERSION))
    records.append((f"{prefix}/.data/serialization_id", _serialization_id(records)))
    return zip_archive(records)


def save_bytes(obj, pickle_protocol=2, prefix="archive"):
    """torch.save(obj, buffer)'s bytes."""
    data, storages = dumps(obj, pickle_protocol)
    return archive(data, [(key, s.raw()) for key, s in sorted(storages.items(), key=lambda kv: int(kv[0]))], prefix)


def archive_prefix(path):
    """The folder PyTorch names after the file: its base name without the extension."""
    base = str(path).replace("\\", "/").rsplit("/", 1)[-1]
    return base.rsplit(".", 1)[0] if "." in base else base


def save(obj, path, pickle_protocol=2):
    """torch.save(obj, path)."""
    with open(path, "wb") as f:
        f.write(save_bytes(obj, pickle_protocol, archive_prefix(path)))


def legacy_save_bytes(obj, pickle_protocol=2):
    """torch.save(obj, buffer, _use_new_zipfile_serialization=False)'s bytes: pickles of the
    magic number, the protocol version and the system's sizes, then the object (storages as
    persistent ids with a view-metadata slot), the sorted storage keys, and each storage as an
    int64 element count followed by its elements."""
    buffer = io.BytesIO()
    for header in (LEGACY_MAGIC, LEGACY_PROTOCOL,
                   {"protocol_version": LEGACY_PROTOCOL, "little_endian": True,
                    "type_sizes": {"short": 2, "int": 4, "long": 4}}):
        pickle.dump(header, buffer, protocol=pickle_protocol)
    pickler = _Pickler(buffer, pickle_protocol, legacy=True)
    pickler.dump(obj)
    keys = sorted(pickler.storages)
    pickle.dump(keys, buffer, protocol=pickle_protocol)
    for key in keys:
        storage = pickler.storages[key]
        buffer.write(struct.pack("<q", storage.numel) + storage.raw())
    return buffer.getvalue()


# ---- pickles written opcode by opcode --------------------------------------------------------

class PickleBuilder:
    """Hand-written pickle opcodes (protocol 2), for what no pickler writes: hostile and
    malformed checkpoints."""

    def __init__(self):
        self.out = bytearray(b"\x80\x02")

    def op(self, raw):
        self.out += raw
        return self

    def string(self, text):
        raw = text.encode()
        return self.op(b"X" + struct.pack("<I", len(raw)) + raw)

    def int(self, value):
        return self.op(b"J" + struct.pack("<i", value))

    def glob(self, module, name):
        return self.op(b"c" + module.encode() + b"\n" + name.encode() + b"\n")

    def storage_pid(self, storage_type, key, numel):
        self.op(b"(").string("storage").glob("torch", storage_type).string(key).string("cpu").int(numel)
        return self.op(b"tQ")

    def int_tuple(self, values):
        self.op(b"(")
        for v in values:
            self.int(v)
        return self.op(b"t")

    def tensor_v2(self, storage_type, key, numel, offset, shape, stride):
        self.glob("torch._utils", "_rebuild_tensor_v2").op(b"(")
        self.storage_pid(storage_type, key, numel).int(offset).int_tuple(shape).int_tuple(stride)
        return self.op(b"\x89").glob("collections", "OrderedDict").op(b")R").op(b"tR")

    def bytes(self):
        return bytes(self.out + b".")
