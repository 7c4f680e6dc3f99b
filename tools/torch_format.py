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
  <prefix>/.data/serialization_id  40 digits: hashes of the records' names and CRC-32s

Each record's bytes begin at a multiple of 64 in the file (PyTorch pads the local header's extra
field, id "FB"), and each record is followed by a data descriptor; the archive ends with zip64
end records. For the same object, save_bytes gives the bytes torch.save gives. The legacy format (before PyTorch 1.6: consecutive pickles, then the raw storages)
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
        if (array.size and not np.shares_memory(array, self.base)) or not 0 <= offset <= self.base.nbytes:
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

    torch.save calls the C pickler; this is the pure-Python one (whose dispatch table takes
    Global, a name in a module this process need not have), made to write what the C one writes:
    the two differ only in how they batch the items of a plain dict or list."""

    dispatch = dict(pickle._Pickler.dispatch)
    BATCH = 1000  # items per MARK ... SETITEMS / APPENDS, both picklers'

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

    def save_plain_dict(self, obj):
        # The C pickler's batch_dict_exact: one item alone takes SETITEM; otherwise batches of
        # BATCH, each in MARK ... SETITEMS, and one more (empty) batch after a full last one.
        self.write(pickle.EMPTY_DICT)
        self.memoize(obj)
        items = list(obj.items())
        if len(items) == 1:
            self.save(items[0][0])
            self.save(items[0][1])
            self.write(pickle.SETITEM)
            return
        start = 0
        while items:
            batch = items[start:start + self.BATCH]
            self.write(pickle.MARK)
            for key, value in batch:
                self.save(key)
                self.save(value)
            self.write(pickle.SETITEMS)
            start += len(batch)
            if len(batch) < self.BATCH:
                break

    def save_plain_list(self, obj):
        # The C pickler's batch_list_exact: one item alone takes APPEND; otherwise batches of
        # BATCH, each in MARK ... APPENDS (a last batch of one item included).
        self.write(pickle.EMPTY_LIST)
        self.memoize(obj)
        if len(obj) == 1:
            self.save(obj[0])
            self.write(pickle.APPEND)
            return
        for start in range(0, len(obj), self.BATCH):
            self.write(pickle.MARK)
            for item in obj[start:start + self.BATCH]:
                self.save(item)
            self.write(pickle.APPENDS)

    dispatch[dict] = save_plain_dict
    dispatch[list] = save_plain_list


def dumps(obj, protocol=2):
    """(data.pkl bytes, {key: Storage}) for obj."""
    buffer = io.BytesIO()
    pickler = _Pickler(buffer, protocol)
    pickler.dump(obj)
    return buffer.getvalue(), pickler.storages


# ---- the zip archive -------------------------------------------------------------------------
#
# PyTorch's C++ writer (PyTorchStreamWriter, on miniz) closes the archive with a serialization id:
# 20 digits of a hash of the record names (without the prefix), then 20 of a hash of the CRC-32s
# of the records that are not empty, both combined with c10::hash_combine. The names are hashed with libstdc++'s
# std::hash<std::string> in the order a std::unordered_set of them iterates, which follows from
# libstdc++'s bucket counts. Readers never check the id; reproducing it makes a file of this
# module byte-identical to torch.save's (the peers test compares them).

_MASK64 = (1 << 64) - 1
# libstdc++'s bucket counts: _Prime_rehash_policy's table for small sizes, then __prime_list
# (hashtable-aux.cc) from its seventh entry on.
_SMALL_BUCKET_COUNTS = (2, 2, 2, 3, 5, 5, 7, 7, 11, 11, 11, 11, 13, 13)
_BUCKET_PRIMES = (13, 17, 19, 23, 29, 31, 37, 41, 43, 47, 53, 59, 61, 67, 71, 73, 79, 83, 89, 97, 103, 109, 113,
                  127, 137, 139, 149, 157, 167, 179, 193, 199, 211, 227, 241, 257, 277, 293, 313, 337, 359, 383, 409,
                  439, 467, 503, 541, 577, 619, 661, 709, 761, 823, 887, 953, 1031, 1109, 1193, 1289, 1381, 1493,
                  1613, 1741, 1879, 2029, 2179, 2357, 2549, 2753, 2971, 3209, 3469, 3739, 4027, 4349, 4703, 5087,
                  5503, 5953, 6427, 6949, 7517, 8123, 8783, 9497, 10273, 11113, 12011, 12983, 14033, 15173, 16411,
                  17749, 19183, 20753, 22447, 24281, 26267, 28411, 30727, 33223, 35933, 38873, 42043, 45481, 49201,
                  53201, 57557, 62233, 67307, 72817, 78779, 85229, 92203, 99733, 107897, 116731, 126271, 136607,
                  147793)


def _hash_combine(seed, value):
    """c10::hash_combine on 64-bit size_t."""
    return (seed ^ ((value + 0x9E3779B9 + (seed << 6) + (seed >> 2)) & _MASK64)) & _MASK64


def _std_hash(data):
    """libstdc++'s std::hash<std::string> on 64 bits: _Hash_bytes (MurmurHash64A-like), seed 0xc70f6907."""
    mul = (0xC6A4A793 << 32) + 0x5BD1E995

    def shift_mix(v):
        return v ^ (v >> 47)

    whole = len(data) & ~7
    h = (0xC70F6907 ^ (len(data) * mul)) & _MASK64
    for at in range(0, whole, 8):
        h = ((h ^ (shift_mix(int.from_bytes(data[at:at + 8], "little") * mul & _MASK64) * mul & _MASK64)) * mul
             & _MASK64)
    if len(data) & 7:
        h = (h ^ int.from_bytes(data[whole:], "little")) * mul & _MASK64
    return shift_mix(shift_mix(h) * mul & _MASK64)


def _unordered_set_order(names):
    """The order a libstdc++ std::unordered_set<std::string> iterates in after inserting names
    in turn: a bucket's entries stand together, the newest first, and a bucket that gets its
    first entry goes to the front; a rehash re-inserts every entry in the old order."""
    hashes = {name: _std_hash(name.encode("utf-8")) for name in names}
    buckets, next_resize = 1, 0
    chains, order = {}, []  # bucket -> its names, newest first; buckets in iteration order

    def insert(name):
        bucket = hashes[name] % buckets
        if bucket not in chains:
            chains[bucket] = []
            order.insert(0, bucket)
        chains[bucket].insert(0, name)

    for count, name in enumerate(names):
        if count + 1 > next_resize:  # _Prime_rehash_policy::_M_need_rehash
            wanted = max(count + 1, 0 if next_resize else 11)  # the first insert asks for 11
            if wanted >= buckets:
                request = max(wanted + 1, 2 * buckets)
                buckets = _SMALL_BUCKET_COUNTS[request] if request < len(_SMALL_BUCKET_COUNTS) else \
                    next((p for p in _BUCKET_PRIMES if p >= request), None)
                if buckets is None:
                    raise ValueError(f"torch_format: {len(names)} records: more than this writer numbers")
                old = [n for bucket in order for n in chains[bucket]]
                chains, order = {}, []
                for n in old:
                    insert(n)
            next_resize = buckets
        insert(name)
    return [n for bucket in order for n in chains[bucket]]


def _serialization_id(records):
    """PyTorch's .data/serialization_id for the records (full names, bytes) written before it."""
    names = 0
    for name in _unordered_set_order([name.split("/", 1)[1] for name, _ in records]):
        names = _hash_combine(names, _std_hash(name.encode("utf-8")))
    crcs = 0
    for _, data in records:
        if data:  # an empty record (an empty storage) adds no CRC
            crcs = _hash_combine(crcs, zlib.crc32(data))
    return f"{names:020d}{crcs:020d}".encode()


def zip_archive(records):
    """The zip file of (name, bytes) records as PyTorch's writer lays it out: stored, no time
    stamps, UTF-8 names, each record's bytes 64-aligned by an "FB" extra field of 'Z' padding in
    its local header and followed by a data descriptor unless empty; the central directory;
    zip64 end records, then the end of central directory record."""
    out = bytearray()
    central = bytearray()
    for name, data in records:
        name = name.encode("utf-8")
        crc = zlib.crc32(data)
        # UTF-8 names (bit 11); sizes in a data descriptor after the bytes (bit 3), which an
        # empty record goes without.
        flags = 0x0808 if data else 0x0800
        header_at = len(out)
        padding = -(header_at + 30 + len(name) + 4) % ALIGNMENT
        extra = b"FB" + struct.pack("<H", padding) + b"Z" * padding
        out += struct.pack("<IHHHHHIIIHH", 0x04034B50, 0, flags, 0, 0, 0, 0, 0, 0, len(name), len(extra))
        out += name + extra + data
        if data:
            out += struct.pack("<IIII", 0x08074B50, crc, len(data), len(data))
        central += struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 0, 0, flags, 0, 0, 0, crc, len(data), len(data),
                               len(name), 0, 0, 0, 0, 0, header_at) + name
    if len(out) + len(central) >= 1 << 32:
        raise ValueError("torch_format: archives of 4 GiB or more need zip64 fields this writer does not write")
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
