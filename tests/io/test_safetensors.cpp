#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <fstream>
#include <random>

#include "coact/core/errors.h"
#include "coact/core/half.h"
#include "coact/core/json_value.h"
#include "coact/io/safetensors.h"
#include "support/temp_dir.h"

namespace coact::io {
namespace {

using Bytes = std::vector<std::uint8_t>;

// A safetensors image from a header text and a data buffer (no validation: tests break it).
Bytes image(const std::string& header, const Bytes& data) {
  Bytes out;
  out.reserve(8 + header.size() + data.size());
  for (int i = 0; i < 8; ++i) out.push_back(static_cast<std::uint8_t>(static_cast<std::uint64_t>(header.size()) >> (8 * i)));
  for (const char c : header) out.push_back(static_cast<std::uint8_t>(c));
  for (const std::uint8_t b : data) out.push_back(b);
  return out;
}

template <class T>
Bytes raw(const std::vector<T>& values) {
  Bytes out(values.size() * sizeof(T));
  std::memcpy(out.data(), values.data(), out.size());
  return out;
}

void write_file(const std::string& path, const Bytes& bytes) {
  std::ofstream out(path, std::ios::binary);
  out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
}

std::string header_error(const Bytes& bytes) {
  try {
    parse_safetensors_header(bytes, "f.safetensors");
  } catch (const InputError& e) {
    return e.what();
  }
  return "";
}

TEST(Safetensors, WriterOutputReadsBackBitExactWithTheReferenceLayout) {
  testing::TempDir dir;
  std::mt19937 gen(3);
  std::normal_distribution<float> normal;
  std::vector<float> w_enc(6 * 10), b_dec(6), scalar{-0.0f};
  for (auto& v : w_enc) v = normal(gen);
  for (auto& v : b_dec) v = normal(gen);
  b_dec[2] = std::nanf("");
  b_dec[3] = -INFINITY;
  const std::vector<NamedTensor> tensors{{"b_dec", {6}, b_dec}, {"W_enc", {6, 10}, w_enc}, {"s", {}, scalar}, {"e", {0, 4}, {}}};
  const std::string path = dir.file("sae_weights.safetensors");
  save_safetensors(path, false, tensors, {{"format", "pt"}});

  SafetensorsFile file(path);
  EXPECT_EQ(file.metadata().at("format"), "pt");
  std::vector<std::string> names;
  for (const auto& t : file.tensors()) names.push_back(t.name);
  EXPECT_EQ(names, (std::vector<std::string>{"W_enc", "b_dec", "e", "s"}));  // sorted by name (bytes)
  const auto back = file.read_f32("W_enc", {6, 10});
  EXPECT_EQ(std::memcmp(back.data(), w_enc.data(), w_enc.size() * 4), 0);
  const auto bias = file.read_f32("b_dec");
  EXPECT_EQ(std::memcmp(bias.data(), b_dec.data(), b_dec.size() * 4), 0);
  EXPECT_TRUE(std::signbit(file.read_f32("s", Shape{})[0]));
  EXPECT_TRUE(file.read_f32("e", {0, 4}).empty());

  // The header is padded with spaces so the data starts 8-byte aligned.
  const SafetensorsHeader header = [&] {
    std::ifstream in(path, std::ios::binary);
    const Bytes bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    return parse_safetensors_header(bytes, path);
  }();
  EXPECT_EQ(header.header_bytes % 8, 0u);
}

TEST(Safetensors, WriterRespectsForceAndRefusesBadArguments) {
  testing::TempDir dir;
  const std::string path = dir.file("out.safetensors");
  const std::vector<float> one{1.0f}, two{1.0f, 2.0f};
  save_safetensors(path, false, std::vector<NamedTensor>{{"a", {1}, one}});
  EXPECT_THROW(save_safetensors(path, false, std::vector<NamedTensor>{{"a", {2}, two}}), OutputExistsError);
  EXPECT_EQ(SafetensorsFile(path).info("a").shape, (Shape{1}));  // untouched
  save_safetensors(path, true, std::vector<NamedTensor>{{"a", {2}, two}});
  EXPECT_EQ(SafetensorsFile(path).info("a").shape, (Shape{2}));

  const std::string other = dir.file("other.safetensors");
  EXPECT_THROW(save_safetensors(other, false, std::vector<NamedTensor>{{"a", {3}, two}}), UsageError);
  EXPECT_THROW(save_safetensors(other, false, std::vector<NamedTensor>{{"a", {1}, one}, {"a", {1}, one}}), UsageError);
  EXPECT_THROW(save_safetensors(other, false, std::vector<NamedTensor>{{"__metadata__", {1}, one}}), UsageError);
  EXPECT_THROW(save_safetensors(other, false, std::vector<NamedTensor>{{"", {1}, one}}), UsageError);
  EXPECT_FALSE(std::filesystem::exists(other));
  EXPECT_EQ(std::distance(std::filesystem::directory_iterator(dir.path()), {}), 1);  // no temporaries left
}

TEST(Safetensors, ConvertsEveryDtypeToFloat32AndIntegers) {
  testing::TempDir dir;
  const std::vector<float> ref{1.5f, -2.25f, 65280.0f, 6.103515625e-05f};  // exact in half and bfloat16
  std::vector<std::uint16_t> f16, bf16;
  for (float v : ref) {
    f16.push_back(float_to_half(v));
    bf16.push_back(static_cast<std::uint16_t>(float_bits(v) >> 16));  // these values are exact in bf16
  }
  const std::vector<double> f64{1.0 / 3.0, -1e300, 5e-324, 2.5};
  const std::vector<std::int64_t> i64{-(std::int64_t{1} << 40), 7};
  const std::vector<std::uint8_t> e4m3{0x38, 0xb8, 0x01, 0x7e, 0x7f}, e5m2{0x3c, 0xc0};
  std::string header = "{";
  Bytes data;
  const auto add = [&](const std::string& name, const std::string& dtype, std::size_t n, const Bytes& bytes) {
    header += (data.empty() ? "" : ",") + str("\"", name, "\":{\"dtype\":\"", dtype, "\",\"shape\":[", n,
                                           "],\"data_offsets\":[", data.size(), ",", data.size() + bytes.size(), "]}");
    data.insert(data.end(), bytes.begin(), bytes.end());
  };
  add("f16", "F16", 4, raw(f16));
  add("bf16", "BF16", 4, raw(bf16));
  add("f64", "F64", 4, raw(f64));
  add("i64", "I64", 2, raw(i64));
  add("e4m3", "F8_E4M3", 5, e4m3);
  add("e5m2", "F8_E5M2", 2, e5m2);
  add("u64", "U64", 1, raw(std::vector<std::uint64_t>{~std::uint64_t{0}}));
  add("i32", "I32", 2, raw(std::vector<std::int32_t>{-3, 1 << 30}));
  header += "}";
  const std::string path = dir.file("dtypes.safetensors");
  write_file(path, image(header, data));

  SafetensorsFile file(path);
  EXPECT_EQ(file.read_f32("f16"), ref);
  EXPECT_EQ(file.read_f32("bf16"), ref);
  const auto f = file.read_f32("f64");
  for (std::size_t i = 0; i < f64.size(); ++i) EXPECT_EQ(f[i], static_cast<float>(f64[i]));
  EXPECT_EQ(file.read_f32("i64"), (std::vector<float>{-1099511627776.0f, 7.0f}));
  const auto e4 = file.read_f32("e4m3");  // 1, -1, smallest subnormal 2^-9, 448 (max), NaN
  EXPECT_EQ(std::vector<float>(e4.begin(), e4.begin() + 4), (std::vector<float>{1.0f, -1.0f, 0.001953125f, 448.0f}));
  EXPECT_TRUE(std::isnan(e4[4]));
  EXPECT_EQ(file.read_f32("e5m2"), (std::vector<float>{1.0f, -2.0f}));

  std::vector<std::int64_t> ints(2);
  file.read_i64("i64", ints);
  EXPECT_EQ(ints, i64);
  std::vector<std::int32_t> small(2);
  file.read_i32("i32", small);
  EXPECT_EQ(small, (std::vector<std::int32_t>{-3, 1 << 30}));
  EXPECT_THROW(file.read_i32("i64", small), InputError);  // -2^40 does not fit
  std::vector<std::int64_t> one(1);
  EXPECT_THROW(file.read_i64("u64", one), InputError);    // 2^64 - 1 does not fit
  std::vector<std::int64_t> four(4);
  EXPECT_THROW(file.read_i64("f16", four), InputError);   // not an integer tensor
  std::vector<float> wrong(3);
  EXPECT_THROW(file.read_f32("f16", wrong), UsageError);  // caller's buffer size
}

TEST(Safetensors, HeaderValidationNamesTheProblem) {
  const auto one = [](const std::string& name, const std::string& spec) { return "{\"" + name + "\":" + spec + "}"; };
  const Bytes eight(8, 0);
  EXPECT_NE(header_error({1, 2, 3}).find("too short"), std::string::npos);
  Bytes huge = image("{}", {});
  huge[7] = 0x01;
  EXPECT_NE(header_error(huge).find("exceeds the limit"), std::string::npos);
  Bytes longer = image("{}", {});
  longer[0] = 3;
  EXPECT_NE(header_error(longer).find("larger than the rest of the file"), std::string::npos);
  EXPECT_NE(header_error(image("{\"a\":", {})).find("f.safetensors: safetensors header: byte 5"), std::string::npos);
  EXPECT_EQ(header_error(image(one("a", R"({"dtype":"F32","shape":[2],"data_offsets":[0,8]})"), Bytes(8))), "");
  EXPECT_EQ(header_error(image(one("a", R"({"dtype":"Q8","shape":[2],"data_offsets":[0,8]})"), eight)),
            "f.safetensors: tensor a: unknown dtype \"Q8\"");
  EXPECT_EQ(header_error(image(one("a", R"({"dtype":"F32","shape":[3],"data_offsets":[0,8]})"), eight)),
            "f.safetensors: tensor a: data_offsets [0, 8] hold 8 bytes, but dtype F32 and shape [3] need 12");
  EXPECT_EQ(header_error(image(one("a", R"({"dtype":"F32","shape":[2],"data_offsets":[0,8]})"), Bytes(12))),
            "f.safetensors: 4 bytes of trailing data after the last tensor (the data buffer is 12 bytes, the tensors cover 8)");
  EXPECT_NE(header_error(image(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}})", eight))
                .find("tensors a and b overlap"),
            std::string::npos);
  EXPECT_NE(header_error(image(one("a", R"({"dtype":"F32","shape":[1],"data_offsets":[4,8]})"), eight)).find("belong to no tensor"),
            std::string::npos);
  EXPECT_NE(header_error(image(one("a", R"({"dtype":"F32","shape":[2,-1],"data_offsets":[0,8]})"), eight)).find("non-negative"),
            std::string::npos);
  EXPECT_NE(header_error(image(one("a", R"({"dtype":"F32","shape":[2],"data_offsets":[0,1e30]})"), eight)).find("non-negative integers"),
            std::string::npos);
  EXPECT_NE(header_error(image(one("a", R"({"dtype":"F32","shape":"2","data_offsets":[0,8]})"), eight)).find("a.shape: expected an array"),
            std::string::npos);
  EXPECT_NE(header_error(image(one("a", "[]"), eight)).find("tensor a: expected an object"), std::string::npos);
  EXPECT_NE(header_error(image(R"({"__metadata__":{"k":["v"]}})", {})).find("__metadata__ k: expected a string"), std::string::npos);
  // Zero-size tensors may share an offset; empty files hold nothing.
  EXPECT_EQ(header_error(image(R"({"a":{"dtype":"F32","shape":[0],"data_offsets":[0,0]},"b":{"dtype":"I64","shape":[0,5],"data_offsets":[0,0]}})", {})), "");
  EXPECT_EQ(header_error(image("{}", {})), "");
}

TEST(Safetensors, EveryTruncationOfAValidFileIsAnErrorNotACrash) {
  testing::TempDir dir;
  const std::string path = dir.file("full.safetensors");
  const std::vector<float> a{1, 2, 3, 4, 5, 6}, b{7, 8};
  save_safetensors(path, false, std::vector<NamedTensor>{{"a", {2, 3}, a}, {"b", {2}, b}}, {{"k", "v"}});
  std::ifstream in(path, std::ios::binary);
  const Bytes bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  for (std::size_t n = 0; n < bytes.size(); ++n) {
    const Bytes cut(bytes.begin(), bytes.begin() + static_cast<std::ptrdiff_t>(n));
    EXPECT_NE(header_error(cut), "") << n;
  }
  EXPECT_EQ(header_error(bytes), "");
}

TEST(Safetensors, MissingTensorsAndWrongShapesNameTheFileAndTensor) {
  testing::TempDir dir;
  const std::string path = dir.file("sae.safetensors");
  const std::vector<float> w(12);
  save_safetensors(path, false, std::vector<NamedTensor>{{"W_enc", {3, 4}, w}});
  const auto file = open_tensor_file(path);
  EXPECT_STREQ(file->format(), "safetensors");
  try {
    file->read_f32("W_enc", {4, 3});
    FAIL();
  } catch (const InputError& e) {
    EXPECT_EQ(std::string(e.what()), path + ": tensor W_enc: expected shape [4, 3], found [3, 4]");
  }
  try {
    file->info("W_dec");
    FAIL();
  } catch (const InputError& e) {
    EXPECT_EQ(std::string(e.what()), path + ": no tensor \"W_dec\" (the file holds 1: W_enc)");
  }
  const TensorMap all = load_tensors(path);
  ASSERT_EQ(all.size(), 1u);
  EXPECT_EQ(all.at("W_enc").shape, (Shape{3, 4}));
  EXPECT_THROW(open_tensor_file(dir.file("absent.safetensors")), InputError);
}

// Whatever the damage to a header, parsing succeeds or throws InputError (never reads outside
// the image: the sanitizer build checks that).
TEST(Safetensors, RandomDamageOnlyEverThrowsInputError) {
  const Bytes seed = image(R"({"__metadata__":{"k":"v"},"W_enc":{"dtype":"BF16","shape":[2,3],"data_offsets":[0,12]},)"
                           R"("b":{"dtype":"F64","shape":[1],"data_offsets":[12,20]}})",
                           Bytes(20, 7));
  ASSERT_EQ(header_error(seed), "");
  std::mt19937 gen(11);
  for (int i = 0; i < 20000; ++i) {
    Bytes b = seed;
    const int edits = std::uniform_int_distribution<int>(1, 3)(gen);
    for (int e = 0; e < edits; ++e) {
      const std::size_t at = std::uniform_int_distribution<std::size_t>(0, b.size() - 1)(gen);
      b[at] = std::uniform_int_distribution<int>(0, 1)(gen) ? static_cast<std::uint8_t>(gen())
                                                             : static_cast<std::uint8_t>(b[at] ^ (1u << (gen() % 8)));
    }
    if (gen() % 4 == 0) b.resize(std::uniform_int_distribution<std::size_t>(0, b.size())(gen));
    try {
      parse_safetensors_header(b, "fuzz");
    } catch (const InputError&) {
    }
  }
}

}  // namespace
}  // namespace coact::io
