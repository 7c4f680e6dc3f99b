#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <string>

#include "coact/core/errors.h"
#include "coact/core/json_value.h"

namespace coact {
namespace {

// The message of the InputError `parse` throws, or "" when it does not throw.
template <class F>
std::string error_of(F&& parse) {
  try {
    parse();
  } catch (const InputError& e) {
    return e.what();
  }
  return "";
}

std::string parse_error(std::string_view text, const JsonLimits& limits = {}) {
  return error_of([&] { parse_json(text, "doc.json", limits); });
}

TEST(JsonValue, ParsesEveryTypeAndKeepsMemberOrder) {
  const JsonValue v = parse_json(R"( {"z": null, "b": true, "f": false, "n": -12.5e-1, "s": "x", "a": [1, [], {}], "o": {"k": 2}} )", "t");
  ASSERT_TRUE(v.is_object());
  std::vector<std::string> keys;
  for (const auto& [k, _] : v.members()) keys.push_back(k);
  EXPECT_EQ(keys, (std::vector<std::string>{"z", "b", "f", "n", "s", "a", "o"}));
  EXPECT_TRUE(v.at("z").is_null());
  EXPECT_TRUE(v.get_bool("b"));
  EXPECT_FALSE(v.get_bool("f"));
  EXPECT_EQ(v.get_double("n"), -1.25);
  EXPECT_FALSE(v.at("n").is_integer());
  EXPECT_EQ(v.get_string("s"), "x");
  EXPECT_EQ(v.at("a").size(), 3u);
  EXPECT_EQ(v.at("a").at(0).as_int(), 1);
  EXPECT_TRUE(v.at("a").at(1).is_array());
  EXPECT_TRUE(v.at("a").at(2).is_object());
  EXPECT_EQ(v.at("o").get_int("k"), 2);
  EXPECT_EQ(v.find("missing"), nullptr);
  EXPECT_EQ(v.get_int("missing", 7), 7);
  EXPECT_EQ(v.get_int("z", 7), 7);  // null counts as absent for the fallback forms
  EXPECT_EQ(v.get_string("missing", "d"), "d");
}

TEST(JsonValue, IntegersAreExactAsInt64) {
  const JsonValue v = parse_json(
      "[9223372036854775807, -9223372036854775808, 9223372036854775808, 16384.0, 1e3, 1.5, 0, -0, 9007199254740993.0]", "t");
  EXPECT_EQ(v.at(0).as_int(), INT64_MAX);
  EXPECT_EQ(v.at(1).as_int(), INT64_MIN);
  EXPECT_FALSE(v.at(2).is_integer());  // beyond int64: a double only
  EXPECT_EQ(v.at(2).as_double(), 9223372036854775808.0);
  EXPECT_EQ(v.at(3).as_int(), 16384);
  EXPECT_EQ(v.at(4).as_int(), 1000);
  EXPECT_FALSE(v.at(5).is_integer());
  EXPECT_EQ(v.at(6).as_int(), 0);
  EXPECT_EQ(v.at(7).as_int(), 0);
  EXPECT_FALSE(v.at(8).is_integer());  // a float literal above 2^53 is not exact
  EXPECT_NE(error_of([&] { v.at(5).as_int(); }).find("expected an integer, found 1.5"), std::string::npos);
}

TEST(JsonValue, NumbersFollowTheGrammar) {
  EXPECT_EQ(parse_json("0.25", "t").as_double(), 0.25);
  EXPECT_EQ(parse_json("-1E+2", "t").as_double(), -100.0);
  EXPECT_EQ(parse_json("123456789.125e-3", "t").as_double(), 123456.789125);
  for (const char* bad : {"01", "-", "1.", ".5", "1e", "+1", "0x10", "NaN", "Infinity", "-inf", "1e400", "--1"})
    EXPECT_NE(parse_error(bad), "") << bad;
  EXPECT_NE(parse_error("1e400").find("out of the range"), std::string::npos);
}

TEST(JsonValue, StringEscapesAndUnicode) {
  const JsonValue v = parse_json(R"(["a\"b\\c\/d\b\f\n\r\t", "\u00e9\u20AC", "\ud83d\ude00", "\u0000x", "ünï€😀"])", "t");
  EXPECT_EQ(v.at(0).as_string(), "a\"b\\c/d\b\f\n\r\t");
  EXPECT_EQ(v.at(1).as_string(), "\xc3\xa9\xe2\x82\xac");
  EXPECT_EQ(v.at(2).as_string(), "\xf0\x9f\x98\x80");  // a surrogate pair is one code point
  EXPECT_EQ(v.at(3).as_string(), std::string("\0x", 2));
  EXPECT_EQ(v.at(4).as_string(), "ünï€😀");
}

TEST(JsonValue, RejectsBadStrings) {
  EXPECT_NE(parse_error(R"("\ud83d")").find("high surrogate"), std::string::npos);
  EXPECT_NE(parse_error(R"("\ud83d\u0041")").find("high surrogate"), std::string::npos);
  EXPECT_NE(parse_error(R"("\ude00")").find("lone low surrogate"), std::string::npos);
  EXPECT_NE(parse_error(R"("\x")").find("after a backslash"), std::string::npos);
  EXPECT_NE(parse_error(R"("\u12G4")").find("hex digit"), std::string::npos);
  EXPECT_NE(parse_error("\"a\nb\"").find("control character"), std::string::npos);
  EXPECT_NE(parse_error("\"abc").find("to close the string"), std::string::npos);
  // Malformed UTF-8: a stray continuation byte, an overlong '/', an encoded surrogate, > U+10FFFF, truncated.
  for (const char* bad : {"\"\x80\"", "\"\xc0\xaf\"", "\"\xed\xa0\x80\"", "\"\xf4\x90\x80\x80\"", "\"\xe2\x82\""})
    EXPECT_NE(parse_error(bad).find("invalid UTF-8"), std::string::npos) << bad;
  EXPECT_TRUE(valid_utf8("plain \xc3\xa9 \xf0\x9f\x98\x80"));
  EXPECT_FALSE(valid_utf8("\xff"));
}

TEST(JsonValue, ErrorsNameTheContextTheByteAndWhatWasExpected) {
  EXPECT_EQ(parse_error("{\"a\": 1,}"), "doc.json: byte 8: expected a string key, found '}'");
  EXPECT_EQ(parse_error("[1 2]"), "doc.json: byte 3: expected ',' or ']' after an array element, found '2'");
  EXPECT_EQ(parse_error("{\"a\" 1}"), "doc.json: byte 5: expected ':' after an object key, found '1'");
  EXPECT_EQ(parse_error(""), "doc.json: byte 0: expected a value, found end of input");
  EXPECT_EQ(parse_error("[1] x"), "doc.json: byte 4: expected end of input after the top-level value, found 'x'");
  EXPECT_EQ(parse_error("tru"), "doc.json: byte 0: expected 'true', found 't'");
  EXPECT_EQ(parse_error("{\"a\": 1, \"b\": 2, \"a\": 3}"), "doc.json: byte 22: duplicate key \"a\"");
  EXPECT_NE(parse_error("[1,]").find("expected a value"), std::string::npos);
  EXPECT_NE(parse_error("// comment\n1").find("expected a value"), std::string::npos);
  EXPECT_NE(parse_error("\x01").find("byte 0x01"), std::string::npos);
}

TEST(JsonValue, LimitsBoundDepthSizeAndValues) {
  JsonLimits limits;
  limits.max_depth = 4;
  EXPECT_NO_THROW(parse_json("[[[[1]]]]", "t", limits));
  EXPECT_NE(parse_error("[[[[[1]]]]]", limits).find("nesting deeper than 4"), std::string::npos);
  // The default depth limit stops a deeply nested document without exhausting the stack.
  EXPECT_NE(parse_error(std::string(100000, '[')).find("nesting deeper than 256"), std::string::npos);
  limits = {};
  limits.max_bytes = 10;
  EXPECT_NE(parse_error("[1, 2, 3, 4, 5]", limits).find("exceeds the limit of 10 bytes"), std::string::npos);
  limits = {};
  limits.max_values = 3;
  EXPECT_NO_THROW(parse_json("[1, 2]", "t", limits));
  EXPECT_NE(parse_error("[1, 2, 3]", limits).find("more than 3 values"), std::string::npos);
}

TEST(JsonValue, AccessorErrorsNameThePathAndTheTypes) {
  const JsonValue v = parse_json(R"({"model": {"vocab": {"a": 1}, "merges": ["x y", 5]}, "d_sae": "16384"})", "cfg.json");
  EXPECT_EQ(error_of([&] { v.get_int("d_sae"); }), "cfg.json: d_sae: expected an integer, found a string");
  EXPECT_EQ(error_of([&] { v.get_int("d_in"); }), "cfg.json: missing key \"d_in\"");
  EXPECT_EQ(error_of([&] { v.at("model").at("vocab").at("b"); }), "cfg.json: model.vocab: missing key \"b\"");
  EXPECT_EQ(error_of([&] { v.at("model").at("merges").at(1).as_string(); }),
            "cfg.json: model.merges[1]: expected a string, found 5");
  EXPECT_EQ(error_of([&] { v.at("model").at("merges").at(5); }), "cfg.json: model.merges: expected at least 6 elements, found 2");
  EXPECT_EQ(error_of([&] { v.as_array(); }), "cfg.json: expected an array, found an object");
  EXPECT_EQ(error_of([&] { v.at("model").at("vocab").at("a").fail("is odd"); }), "cfg.json: model.vocab.a: is odd");
  EXPECT_EQ(v.at("model").at("merges").at(0).path(), "model.merges[0]");
  EXPECT_EQ(v.at("model").at("merges").at(0).offset(), 41u);
}

TEST(JsonValue, LargeObjectsFindEveryKey) {
  std::string text = "{";
  for (int i = 0; i < 5000; ++i) text += (i ? "," : "") + std::string("\"k") + std::to_string(i * 7919 % 5000) + "\":" + std::to_string(i);
  text += "}";
  const JsonValue v = parse_json(text, "t");
  for (int i = 0; i < 5000; ++i) ASSERT_EQ(v.get_int("k" + std::to_string(i * 7919 % 5000)), i);
  EXPECT_EQ(v.find("k5000"), nullptr);
}

TEST(JsonValue, ByteOrderMarkAndFiles) {
  EXPECT_EQ(parse_json("\xef\xbb\xbf{\"a\": 1}", "t").get_int("a"), 1);
  const std::string path = ::testing::TempDir() + "coact_json_value_test.json";
  {
    std::ofstream out(path);
    out << "{\"n_layers\": 1, \"act_fn\": \"gelu\"}";
  }
  const JsonValue v = parse_json_file(path);
  EXPECT_EQ(v.get_int("n_layers"), 1);
  EXPECT_EQ(v.context(), path);
  std::remove(path.c_str());
  EXPECT_NE(error_of([&] { parse_json_file(path); }).find("cannot open"), std::string::npos);
}

}  // namespace
}  // namespace coact
