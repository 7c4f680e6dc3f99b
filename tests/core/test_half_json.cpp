#include <gtest/gtest.h>

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
