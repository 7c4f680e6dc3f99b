#include <gtest/gtest.h>

#include <vector>

#include <cmath>
#include <cstring>
#include <limits>
#include <random>

#include "coact/core/half.h"
#include "coact/core/json.h"

namespace coact {
namespace {

// GCC's _Float16 (x86, GCC >= 12) is an independent reference for IEEE half conversions.
std::uint16_t reference_half(float f) {
  const _Float16 h = static_cast<_Float16>(f);
  std::uint16_t bits;
  std::memcpy(&bits, &h, sizeof bits);
  return bits;
}

TEST(Half, EveryHalfRoundTripsAndMatchesTheCompiler) {
  for (std::uint32_t bits = 0; bits <= 0xffffu; ++bits) {
    const auto h = static_cast<std::uint16_t>(bits);
    const float f = half_to_float(h);
    _Float16 ref;
    std::memcpy(&ref, &h, sizeof ref);
    if (std::isnan(static_cast<float>(ref))) {
      ASSERT_TRUE(std::isnan(f)) << bits;
      ASSERT_TRUE(std::isnan(half_to_float(float_to_half(f))));
      continue;
    }
    ASSERT_EQ(f, static_cast<float>(ref)) << std::hex << bits;
    ASSERT_EQ(float_to_half(f), h) << std::hex << bits;
  }
}

TEST(Half, RoundsFloatsToNearestEvenLikeTheCompiler) {
  std::mt19937 gen(5);
  std::uniform_int_distribution<std::uint32_t> any;
  for (int i = 0; i < 2000000; ++i) {
    std::uint32_t u = any(gen);
    float f;
    std::memcpy(&f, &u, sizeof f);
    if (std::isnan(f)) continue;
    ASSERT_EQ(float_to_half(f), reference_half(f)) << f;
  }
  // Ties, the subnormal range and overflow.
  for (float f : {1.0f + 1.0f / 2048.0f, 1.0f + 3.0f / 2048.0f, 65519.0f, 65520.0f, 1e-7f, 2.98e-8f, 6.0e-8f, -0.0f,
                  std::numeric_limits<float>::infinity(), 1e30f})
    EXPECT_EQ(float_to_half(f), reference_half(f)) << f;
}

TEST(Json, WritesNestedValuesWithEscapes) {
  JsonWriter j;
  j.begin_object().field("name", "a\"b\\c\n").field("n", std::int64_t{3}).field("x", 0.5).field("ok", true);
  j.key("list").begin_array().value(1).value("two").null().value(std::nan("")).end_array();
  j.key("empty").begin_object().end_object().end_object();
  EXPECT_EQ(j.str(), R"({"name":"a\"b\\c\n","n":3,"x":0.5,"ok":true,"list":[1,"two",null,null],"empty":{}})");
  EXPECT_EQ(json_quote(std::string("\x01")), "\"\\u0001\"");
}

}  // namespace
}  // namespace coact

#include "coact/core/sha256.h"

namespace coact {
namespace {

// FIPS 180-4 / NIST test vectors, by both paths (the SHA extensions where this CPU has them).
TEST(Sha256, KnownVectors) {
  for (const Sha256Path path : {Sha256Path::Auto, Sha256Path::Portable}) {
    EXPECT_EQ(Sha256(path).hex_digest(), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    Sha256 abc(path);
    abc.update("abc");
    EXPECT_EQ(abc.hex_digest(), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    Sha256 two_blocks(path);
    two_blocks.update("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq");
    EXPECT_EQ(two_blocks.hex_digest(), "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
    // A million 'a's, fed in uneven pieces.
    Sha256 million(path);
    const std::string piece(997, 'a');
    std::size_t left = 1000000;
    while (left > 0) {
      const std::size_t n = std::min(left, piece.size());
      million.update(piece.data(), n);
      left -= n;
    }
    EXPECT_EQ(million.hex_digest(), "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
  }
}

TEST(Sha256, BothPathsAgreeOnEveryLength) {
  // Every length across the padding boundaries and many blocks, fed in pieces of many sizes.
  std::vector<std::uint8_t> bytes(5000);
  std::uint32_t x = 12345;
  for (auto& b : bytes) {
    x = x * 1664525u + 1013904223u;
    b = static_cast<std::uint8_t>(x >> 24);
  }
  for (std::size_t length = 0; length < bytes.size(); length += length < 300 ? 1 : 97) {
    Sha256 fast, portable(Sha256Path::Portable);
    const std::size_t piece = 1 + length % 131;
    for (std::size_t at = 0; at < length; at += piece) fast.update(bytes.data() + at, std::min(piece, length - at));
    portable.update(bytes.data(), length);
    ASSERT_EQ(fast.hex_digest(), portable.hex_digest()) << length;
  }
}

}  // namespace
}  // namespace coact
