#include <gtest/gtest.h>

#include <cstring>
#include <fstream>
#include <random>

#include "coact/core/errors.h"
#include "coact/io/torch_pickle.h"
#include "coact/io/zip_reader.h"
#include "support/temp_dir.h"

namespace coact::io {
namespace {

using Bytes = std::vector<std::uint8_t>;
using Kind = PickleValue::Kind;

// Pickle opcodes by hand (protocol 2 unless a test says otherwise).
class Pickle {
 public:
  Pickle() : out_{0x80, 0x02} {}  // PROTO 2
  Pickle& op(std::string_view raw) {
    out_.insert(out_.end(), raw.begin(), raw.end());
    return *this;
  }
  // Literals keep their embedded NUL bytes (opcode arguments are often zero).
  template <std::size_t N>
  Pickle& op(const char (&raw)[N]) {
    return op(std::string_view(raw, N - 1));
  }
  Pickle& byte(std::uint8_t b) {
    out_.push_back(b);
    return *this;
  }
  Pickle& u32(std::uint32_t v) {
    for (int i = 0; i < 4; ++i) out_.push_back(static_cast<std::uint8_t>(v >> (8 * i)));
    return *this;
  }
  Pickle& string(std::string_view text) {
    op("X").u32(static_cast<std::uint32_t>(text.size()));
    return op(text);
  }
  Pickle& integer(std::int32_t v) { return op("J").u32(static_cast<std::uint32_t>(v)); }
  Pickle& global(std::string_view module, std::string_view name) {
    op("c").op(module).op("\n").op(name);
    return op("\n");
  }
  Pickle& ints(std::initializer_list<std::int32_t> values) {
    op("(");
    for (const auto v : values) integer(v);
    return op("t");
  }
  // _rebuild_tensor_v2(storage(type, key, numel), offset, size, stride, False, OrderedDict())
  Pickle& tensor(std::string_view type, std::string_view key, std::int32_t numel, std::int32_t offset,
                 std::initializer_list<std::int32_t> size, std::initializer_list<std::int32_t> stride) {
    global("torch._utils", "_rebuild_tensor_v2").op("(");
    op("(").string("storage").global("torch", type).string(key).string("cpu").integer(numel).op("tQ");
    integer(offset).ints(size).ints(stride).op("\x89").global("collections", "OrderedDict").op(")R");
    return op("tR");
  }
  Bytes bytes() const {
    Bytes b = out_;
    b.push_back('.');
    return b;
  }

 private:
  Bytes out_;
};

std::string unpickle_error(const Bytes& pickle, const PickleLimits& limits = {}) {
  try {
    const PickleTree tree = unpickle_restricted(pickle, "m.pt: data.pkl", limits);
    flatten_tensors(tree.root(), "m.pt", limits);
  } catch (const InputError& e) {
    return e.what();
  }
  return "";
}

TEST(TorchPickle, RebuildsAStateDictWithoutRunningAnything) {
  const Bytes pickle = Pickle()
                           .global("collections", "OrderedDict").op(")R")
                           .op("(").string("encoder.weight").tensor("FloatStorage", "0", 12, 0, {3, 4}, {4, 1})
                           .string("encoder.bias").tensor("HalfStorage", "1", 3, 0, {3}, {1})
                           .string("view").tensor("FloatStorage", "0", 12, 1, {2, 2}, {1, 4})
                           .op("u").bytes();
  const PickleTree tree = unpickle_restricted(pickle, "m.pt: data.pkl");
  ASSERT_EQ(tree.root().kind, Kind::Dict);
  ASSERT_EQ(tree.storages().size(), 2u);  // storage "0" is shared by two tensors
  const PickleValue* view = tree.root().get("view");
  ASSERT_NE(view, nullptr);
  EXPECT_EQ(view->kind, Kind::Tensor);
  EXPECT_EQ(view->shape, (Shape{2, 2}));
  EXPECT_EQ(view->strides, (Shape{1, 4}));
  EXPECT_EQ(view->storage_offset, 1);
  EXPECT_EQ(view->storage, tree.root().get("encoder.weight")->storage);
  EXPECT_EQ(tree.root().get("encoder.bias")->dtype, DType::F16);
  const auto named = flatten_tensors(tree.root(), "m.pt");
  ASSERT_EQ(named.size(), 3u);
  EXPECT_EQ(named[0].first, "encoder.weight");
  EXPECT_EQ(named[2].first, "view");
}

TEST(TorchPickle, RefusesEveryGlobalOutsideTheWhitelistByName) {
  EXPECT_EQ(unpickle_error(Pickle().global("os", "system").string("touch x").op("\x85R").bytes()),
            "m.pt: data.pkl: byte 2 (GLOBAL): pickle asks for os.system, which is not in the tensor-rebuild whitelist "
            "(refused; nothing was executed)");
  for (const auto& [module, name] : std::vector<std::pair<std::string, std::string>>{
           {"builtins", "eval"}, {"subprocess", "Popen"}, {"torch", "load"}, {"torch._utils", "_rebuild_qtensor"},
           {"numpy.core.multiarray", "_reconstruct"}, {"collections", "defaultdict"}}) {
    const std::string error = unpickle_error(Pickle().global(module, name).bytes());
    EXPECT_NE(error.find("pickle asks for " + module + "." + name + ", which is not in the tensor-rebuild whitelist"),
              std::string::npos)
        << error;
  }
  // STACK_GLOBAL (protocol 4) and INST are held to the same list.
  EXPECT_NE(unpickle_error(Pickle().string("builtins").string("exec").op("\x93").bytes()).find("builtins.exec"), std::string::npos);
  EXPECT_NE(unpickle_error(Pickle().op("(ios\nsystem\n").bytes()).find("os.system, which is not"), std::string::npos);
  // Whitelisted names used the wrong way.
  EXPECT_NE(unpickle_error(Pickle().global("torch", "FloatStorage").op(")R").bytes()).find("only as a type marker"), std::string::npos);
  EXPECT_NE(unpickle_error(Pickle().global("collections", "OrderedDict").op(")\x81").bytes()).find("NEWOBJ"), std::string::npos);
  EXPECT_NE(unpickle_error(Pickle().string("x").op(")R").bytes()).find("REDUCE calls a str"), std::string::npos);
  EXPECT_NE(unpickle_error(Pickle().op("(X\x03\0\0\0abcX\x00\0\0\0X\0\0\0\0X\0\0\0\0J\x01\0\0\0tQ").bytes()).find("not a torch storage"),
            std::string::npos);
  EXPECT_NE(unpickle_error(Pickle().global("torch._utils", "_rebuild_tensor_v2").op("(NJ\0\0\0\0))\x89}tR").bytes())
                .find("the tensor's storage must be a storage, found None"),
            std::string::npos);
}

TEST(TorchPickle, ChecksViewsAgainstTheirStorage) {
  const auto view = [](std::int32_t numel, std::int32_t offset, std::initializer_list<std::int32_t> size,
                       std::initializer_list<std::int32_t> stride) {
    return unpickle_error(Pickle().tensor("FloatStorage", "0", numel, offset, size, stride).bytes());
  };
  EXPECT_EQ(view(6, 0, {2, 3}, {3, 1}), "");
  EXPECT_EQ(view(6, 5, {4}, {0}), "");     // a broadcast (stride 0) view of one element
  EXPECT_EQ(view(0, 9, {0, 3}, {3, 1}), "");  // empty tensors touch nothing
  EXPECT_NE(view(6, 1, {2, 3}, {3, 1}).find("reaches element 6 of storage 0, which holds 6"), std::string::npos);
  EXPECT_NE(view(6, 0, {2, 3}, {1}).find("differ in rank"), std::string::npos);
  EXPECT_NE(view(6, -1, {1}, {1}).find("negative storage offset"), std::string::npos);
  EXPECT_NE(view(6, 0, {-1}, {1}).find("non-negative ints"), std::string::npos);
  EXPECT_NE(view(6, 0, {2, 2}, {2147483647, 2147483647}).find("reaches element"), std::string::npos);
  EXPECT_NE(view(-4, 0, {1}, {1}).find("negative size"), std::string::npos);
}

TEST(TorchPickle, SupportsTheOpcodesOfProtocolsTwoToFive) {
  // FRAME, SHORT_BINUNICODE, MEMOIZE, BINGET, STACK_GLOBAL, BINBYTES, SHORT_BINBYTES, LONG1,
  // BININT1/2, BINFLOAT, NEWTRUE, NONE, EMPTY_LIST + APPENDS, LIST, DICT, TUPLE1-3, DUP, POP,
  // POP_MARK, and protocol 0 INT/LONG/FLOAT/PUT/GET text forms.
  Pickle p;
  p.op("\x95").u32(0).u32(0);  // FRAME with an 8-byte length (0: a hint only)
  p.op("(").op("\x8c\x01").op("a").op("\x94");        // 'a' memoised as 0
  p.op("K\x07");                                       // 7
  p.op("\x8c\x01").op("b").op("M\x10\x27");            // 'b': 10000
  p.op("\x8c\x01").op("c").op("\x8a\x02\x00\x80");     // 'c': LONG1 -32768
  p.op("\x8c\x01").op("d").op("G\x3f\xf8\x00\x00\x00\x00\x00\x00");  // 'd': 1.5
  p.op("\x8c\x01").op("e").op("C\x02hi");              // 'e': b"hi"
  p.op("\x8c\x01").op("f").op("](\x88N").op("I42\nL-5L\nF0.25\ne");  // 'f': [True, None, 42, -5, 0.25]
  p.op("\x8c\x01").op("g").op("(K\x01K\x02l");         // 'g': [1, 2]
  p.op("\x8c\x01").op("h").op("K\x01K\x02\x86");       // 'h': (1, 2)
  p.op("\x8c\x01").op("i").op("h\x00");                // 'i': 'a' via BINGET
  p.op("\x8c\x01").op("j").op("K\x05p9\n0g9\n");       // PUT 9, POP, GET 9 -> 5
  p.op("\x8c\x01").op("k").op("K\x01(K\x02K\x03").op("1");    // POP_MARK drops 2, 3 -> 1
  p.op("\x8c\x01").op("l").op("I01\n2\x86");           // DUP: (True, True)
  p.op("d");
  const PickleTree tree = unpickle_restricted(p.bytes(), "t");
  const PickleValue& d = tree.root();
  ASSERT_EQ(d.kind, Kind::Dict);
  ASSERT_EQ(d.entries.size(), 12u);
  EXPECT_EQ(d.get("a")->integer, 7);
  EXPECT_EQ(d.get("b")->integer, 10000);
  EXPECT_EQ(d.get("c")->integer, -32768);
  EXPECT_EQ(d.get("d")->real, 1.5);
  EXPECT_EQ(d.get("e")->kind, Kind::Bytes);
  EXPECT_EQ(d.get("e")->text, "hi");
  const PickleValue* f = d.get("f");
  ASSERT_EQ(f->items.size(), 5u);
  EXPECT_TRUE(f->items[0]->boolean);
  EXPECT_EQ(f->items[1]->kind, Kind::None);
  EXPECT_EQ(f->items[2]->integer, 42);
  EXPECT_EQ(f->items[3]->integer, -5);
  EXPECT_EQ(f->items[4]->real, 0.25);
  EXPECT_EQ(d.get("g")->items.size(), 2u);
  EXPECT_EQ(d.get("h")->kind, Kind::Tuple);
  EXPECT_EQ(d.get("i")->text, "a");
  EXPECT_EQ(d.get("j")->integer, 5);
  EXPECT_EQ(d.get("k")->integer, 1);
  EXPECT_EQ(d.get("l")->items[0], d.get("l")->items[1]);
}

TEST(TorchPickle, DictKeysFollowPythonEquality) {
  // {1: 'x', True: 'y', 1.0: 'z', 'k': 'v'} has two keys in Python; the last value wins.
  const Bytes pickle = Pickle().op("}(K\x01").string("x").op("\x88").string("y").op("G\x3f\xf0\0\0\0\0\0\0").string("z")
                           .string("k").string("v").op("u").bytes();
  const PickleTree tree = unpickle_restricted(pickle, "t");
  ASSERT_EQ(tree.root().entries.size(), 2u);
  EXPECT_EQ(tree.root().entries[0].second->text, "z");
  EXPECT_NE(unpickle_error(Pickle().op("}]K\x01s").bytes()).find("dict key must be hashable, found a list"), std::string::npos);
}

TEST(TorchPickle, LimitsStopHostileStreams) {
  PickleLimits limits;
  limits.max_values = 10;
  EXPECT_NE(unpickle_error(Pickle().op("(NNNNNNNNNNNNl").bytes(), limits).find("more than 10 values"), std::string::npos);
  limits = {};
  limits.max_stack = 8;
  EXPECT_NE(unpickle_error(Pickle().op("N22222222").bytes(), limits).find("stack deeper than 8"), std::string::npos);
  limits = {};
  limits.max_marks = 3;
  EXPECT_NE(unpickle_error(Pickle().op("((((").bytes(), limits).find("more than 3 open MARKs"), std::string::npos);
  limits = {};
  limits.max_memo = 2;
  EXPECT_NE(unpickle_error(Pickle().op("Nq\x00q\x01q\x02").bytes(), limits).find("more than 2 memo entries"), std::string::npos);
  limits = {};
  limits.max_items = 5;  // one list referenced again and again costs no values, only elements
  EXPECT_NE(unpickle_error(Pickle().op("]q\x00(h\x00h\x00h\x00h\x00h\x00h\x00l").bytes(), limits).find("more than 5 container elements"),
            std::string::npos);
  limits = {};
  limits.max_pickle_bytes = 4;
  EXPECT_NE(unpickle_error(Pickle().op("NN").bytes(), limits).find("exceeds the limit"), std::string::npos);
  limits = {};
  limits.max_depth = 3;  // [[[[t]]]] nests four containers
  const Bytes deep = Pickle().op("]]]]").tensor("FloatStorage", "0", 1, 0, {}, {}).op("aaaa").bytes();
  EXPECT_EQ(unpickle_error(deep), "");
  EXPECT_NE(unpickle_error(deep, limits).find("nested deeper than 3"), std::string::npos);

  // Malformed streams: truncations, underflow, bad memo, absurd lengths, unknown opcodes.
  EXPECT_NE(unpickle_error({0x80, 0x02}).find("ends without STOP"), std::string::npos);
  EXPECT_NE(unpickle_error(Pickle().op("0").bytes()).find("stack underflow"), std::string::npos);
  EXPECT_NE(unpickle_error(Pickle().op("t").bytes()).find("no MARK"), std::string::npos);
  EXPECT_NE(unpickle_error(Pickle().op("j\x10\0\0\0").bytes()).find("memo entry 16"), std::string::npos);
  EXPECT_NE(unpickle_error(Pickle().op("\x8d\xff\xff\xff\xff\xff\xff\xff\xff").bytes()).find("truncated"), std::string::npos);
  EXPECT_NE(unpickle_error(Pickle().op("\x8a\x09").bytes()).find("does not fit in 64 bits"), std::string::npos);
  EXPECT_NE(unpickle_error(Pickle().op("X\x02\0\0\0\xc3\x28").bytes()).find("not valid UTF-8"), std::string::npos);
  EXPECT_NE(unpickle_error(Pickle().op("\x80\x06").bytes()).find("newer than 5"), std::string::npos);
  EXPECT_NE(unpickle_error(Pickle().op("\xfe").bytes()).find("byte 2 (0xfe): unknown pickle opcode"), std::string::npos);
  EXPECT_NE(unpickle_error(Pickle().op("\x8f").bytes()).find("EMPTY_SET is not supported"), std::string::npos);
  EXPECT_NE(unpickle_error(Pickle().op("]Nb").bytes()).find("BUILD on a list"), std::string::npos);
  // Every prefix of a valid pickle fails cleanly.
  const Bytes whole = Pickle().op("}").string("w").tensor("FloatStorage", "0", 6, 0, {2, 3}, {3, 1}).op("s").bytes();
  for (std::size_t n = 0; n < whole.size(); ++n)
    EXPECT_NE(unpickle_error(Bytes(whole.begin(), whole.begin() + static_cast<std::ptrdiff_t>(n))), "") << n;
}

TEST(TorchPickle, FlatteningNamesNestedTensorsAndRejectsCyclesAndCollisions) {
  const Bytes nested = Pickle().op("}(").string("state_dict").op("}").string("W").tensor("FloatStorage", "0", 1, 0, {}, {}).op("s")
                           .string("layers").op("]").tensor("FloatStorage", "0", 1, 0, {}, {}).op("a")
                           .op("K\x07").tensor("FloatStorage", "0", 1, 0, {}, {}).op("u").bytes();
  const PickleTree tree = unpickle_restricted(nested, "t");
  std::vector<std::string> names;
  for (const auto& [name, _] : flatten_tensors(tree.root(), "t")) names.push_back(name);
  EXPECT_EQ(names, (std::vector<std::string>{"state_dict.W", "layers.0", "7"}));

  EXPECT_NE(unpickle_error(Pickle().op("]q\x00h\x00").op("a").bytes()).find("contains a cycle"), std::string::npos);
  const Bytes collision = Pickle().op("}(").string("a.b").tensor("FloatStorage", "0", 1, 0, {}, {})
                              .string("a").op("}").string("b").tensor("FloatStorage", "0", 1, 0, {}, {}).op("su").bytes();
  EXPECT_NE(unpickle_error(collision).find("both named \"a.b\""), std::string::npos);
}

// ---- zip ----------------------------------------------------------------------------------

void put16(Bytes& out, std::uint32_t v) {
  out.push_back(static_cast<std::uint8_t>(v));
  out.push_back(static_cast<std::uint8_t>(v >> 8));
}
void put32(Bytes& out, std::uint32_t v) {
  put16(out, v & 0xffffu);
  put16(out, v >> 16);
}

void put64(Bytes& out, std::uint64_t v) {
  put32(out, static_cast<std::uint32_t>(v));
  put32(out, static_cast<std::uint32_t>(v >> 32));
}

// A zip of STORED records, as a minimal writer would lay it out. With `zip64`, the central
// directory defers sizes and offsets to zip64 extra fields, as writers do past 4 GiB.
Bytes make_zip(const std::vector<std::pair<std::string, Bytes>>& records, bool zip64 = false) {
  Bytes out, central;
  for (const auto& [name, data] : records) {
    const auto offset = static_cast<std::uint32_t>(out.size());
    const std::uint32_t crc = zip_crc32(data);
    const auto size = static_cast<std::uint32_t>(data.size());
    put32(out, 0x04034b50);
    for (std::uint32_t v : {20u, 0u, 0u, 0u, 0u}) put16(out, v);
    put32(out, crc);
    put32(out, size);
    put32(out, size);
    put16(out, static_cast<std::uint32_t>(name.size()));
    put16(out, 0);
    out.insert(out.end(), name.begin(), name.end());
    out.insert(out.end(), data.begin(), data.end());
    put32(central, 0x02014b50);
    for (std::uint32_t v : {45u, 45u, 0u, 0u, 0u, 0u}) put16(central, v);
    put32(central, crc);
    put32(central, zip64 ? 0xffffffffu : size);
    put32(central, zip64 ? 0xffffffffu : size);
    put16(central, static_cast<std::uint32_t>(name.size()));
    put16(central, zip64 ? 28u : 0u);  // extra field: id, length, three 64-bit values
    for (std::uint32_t v : {0u, 0u, 0u}) put16(central, v);
    put32(central, 0);
    put32(central, zip64 ? 0xffffffffu : offset);
    central.insert(central.end(), name.begin(), name.end());
    if (zip64) {
      put16(central, 0x0001);
      put16(central, 24);
      put64(central, size);    // uncompressed
      put64(central, size);    // compressed
      put64(central, offset);  // local header
    }
  }
  const auto directory_offset = static_cast<std::uint32_t>(out.size());
  out.insert(out.end(), central.begin(), central.end());
  put32(out, 0x06054b50);
  put16(out, 0);
  put16(out, 0);
  put16(out, static_cast<std::uint32_t>(records.size()));
  put16(out, static_cast<std::uint32_t>(records.size()));
  put32(out, static_cast<std::uint32_t>(central.size()));
  put32(out, directory_offset);
  put16(out, 0);
  return out;
}

Bytes text_bytes(std::string_view text) { return Bytes(text.begin(), text.end()); }

TEST(ZipReader, ReadsStoredEntriesAndRejectsEveryTruncation) {
  const Bytes zip = make_zip({{"a/data.pkl", text_bytes("hello")}, {"a/data/0", text_bytes("0123456789")}});
  const ZipReader reader(zip, "z.pt");
  ASSERT_EQ(reader.entries().size(), 2u);
  const ZipEntry* e = reader.find("a/data/0");
  ASSERT_NE(e, nullptr);
  const ZipBlob blob = reader.read(*e);
  EXPECT_EQ(std::string(blob.bytes().begin(), blob.bytes().end()), "0123456789");
  EXPECT_EQ(reader.find("missing"), nullptr);
  EXPECT_EQ(zip_crc32(text_bytes("123456789")), 0xcbf43926u);  // the standard check value

  for (std::size_t n = 0; n < zip.size(); ++n) {
    const Bytes cut(zip.begin(), zip.begin() + static_cast<std::ptrdiff_t>(n));
    EXPECT_THROW(ZipReader(cut, "z.pt"), InputError) << n;
  }
  Bytes corrupt = zip;
  corrupt[30 + 10 + 2] ^= 0x01;  // a byte of "hello"
  const ZipReader damaged(corrupt, "z.pt");
  EXPECT_THROW(damaged.read(*damaged.find("a/data.pkl")), InputError);
  Bytes twice = make_zip({{"x", text_bytes("1")}, {"x", text_bytes("2")}});
  EXPECT_THROW(ZipReader(twice, "z.pt"), InputError);
}

TEST(ZipReader, TakesSizesAndOffsetsFromZip64ExtraFields) {
  const Bytes zip = make_zip({{"a/data.pkl", text_bytes("hello")}, {"a/data/0", text_bytes("0123456789")}}, true);
  const ZipReader reader(zip, "z.pt");
  const ZipEntry* e = reader.find("a/data/0");
  ASSERT_NE(e, nullptr);
  EXPECT_EQ(e->size, 10u);
  const ZipBlob blob = reader.read(*e);
  EXPECT_EQ(std::string(blob.bytes().begin(), blob.bytes().end()), "0123456789");
  // A zip64 field too short for the values it must hold.
  Bytes broken = zip;
  const std::size_t field = std::string(broken.begin(), broken.end()).find(std::string("\x01\x00\x18\x00", 4));
  ASSERT_NE(field, std::string::npos);
  broken[field + 2] = 8;
  EXPECT_THROW(ZipReader(broken, "z.pt"), InputError);
}

TEST(TorchFile, ReadsHandBuiltCheckpointsIncludingStridedViews) {
  coact::testing::TempDir dir;
  std::vector<float> storage(12);
  for (std::size_t i = 0; i < storage.size(); ++i) storage[i] = static_cast<float>(i);
  Bytes data(storage.size() * 4);
  std::memcpy(data.data(), storage.data(), data.size());
  const Bytes pickle = Pickle().op("}(").string("w").tensor("FloatStorage", "0", 12, 0, {3, 4}, {4, 1})
                           .string("wt").tensor("FloatStorage", "0", 12, 1, {3, 2}, {1, 4})
                           .string("ids").tensor("LongStorage", "1", 2, 0, {2}, {1}).op("u").bytes();
  Bytes ids(16, 0);
  ids[0] = 5;
  ids[8] = 0xff;
  ids[15] = 0xff;  // int64 -(2^56) + 255 ... little-endian: low byte 0xff, high byte 0xff
  const std::string path = dir.file("model.pt");
  {
    const Bytes zip = make_zip({{"model/data.pkl", pickle}, {"model/data/0", data}, {"model/data/1", ids}, {"model/version", text_bytes("3\n")}});
    std::ofstream(path, std::ios::binary).write(reinterpret_cast<const char*>(zip.data()), static_cast<std::streamsize>(zip.size()));
  }
  const auto file = open_tensor_file(path);
  EXPECT_STREQ(file->format(), "pytorch");
  EXPECT_EQ(file->read_f32("w", {3, 4}), storage);
  // wt[i][j] = storage[1 + i + 4 j]: a transposed, offset view materialised contiguously.
  EXPECT_EQ(file->read_f32("wt", {3, 2}), (std::vector<float>{1, 5, 2, 6, 3, 7}));
  std::vector<std::int64_t> values(2);
  file->read_i64("ids", values);
  EXPECT_EQ(values[0], 5);
  std::int64_t expected = 0;
  std::memcpy(&expected, ids.data() + 8, 8);
  EXPECT_EQ(values[1], expected);
  EXPECT_EQ(dynamic_cast<const TorchFile&>(*file).prefix(), "model");
}

// Random byte-level damage (flips, overwrites, cuts, insertions) of `seed`.
Bytes mutate(const Bytes& seed, std::mt19937& gen) {
  Bytes b = seed;
  const int edits = std::uniform_int_distribution<int>(1, 4)(gen);
  for (int e = 0; e < edits && !b.empty(); ++e) {
    const std::size_t at = std::uniform_int_distribution<std::size_t>(0, b.size() - 1)(gen);
    switch (std::uniform_int_distribution<int>(0, 3)(gen)) {
      case 0: b[at] ^= static_cast<std::uint8_t>(1u << std::uniform_int_distribution<int>(0, 7)(gen)); break;
      case 1: b[at] = static_cast<std::uint8_t>(std::uniform_int_distribution<int>(0, 255)(gen)); break;
      case 2: b.resize(at); break;
      default: b.insert(b.begin() + static_cast<std::ptrdiff_t>(at), static_cast<std::uint8_t>(gen())); break;
    }
  }
  return b;
}

// Whatever the damage, the readers either succeed or throw InputError: no other exception, no
// out-of-bounds access (the sanitizer build checks the latter).
TEST(TorchPickle, RandomDamageOnlyEverThrowsInputError) {
  const Bytes state_dict = Pickle().global("collections", "OrderedDict").op(")R").op("q\x00(")
                               .string("a").tensor("FloatStorage", "0", 12, 0, {3, 4}, {4, 1})
                               .string("b").tensor("HalfStorage", "1", 3, 1, {2}, {1})
                               .op("u}").string("_metadata").op("h\x00").op("sb")
                               .op("]K\x01").op("a").op("G\x3f\xf0\0\0\0\0\0\0").op("a").op("(N\x88I7\ne").op("0")
                               .bytes();
  ASSERT_EQ(unpickle_error(state_dict), "");
  std::mt19937 gen(7);
  std::size_t accepted = 0;
  for (int i = 0; i < 20000; ++i) {
    const Bytes damaged = mutate(state_dict, gen);
    try {
      const PickleTree tree = unpickle_restricted(damaged, "fuzz");
      flatten_tensors(tree.root(), "fuzz");
      ++accepted;
    } catch (const InputError&) {
    }
  }
  EXPECT_GT(accepted, 0u);  // some damage is harmless (a changed value)

  const Bytes zip = make_zip({{"a/data.pkl", state_dict}, {"a/data/0", Bytes(48, 1)}, {"a/data/1", Bytes(6, 2)}});
  for (int i = 0; i < 5000; ++i) {
    const Bytes damaged = mutate(zip, gen);
    try {
      const ZipReader reader(damaged, "fuzz.pt");
      for (const ZipEntry& e : reader.entries()) reader.read(e);
    } catch (const InputError&) {
    }
  }
}

}  // namespace
}  // namespace coact::io
