#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "coact/core/errors.h"
#include "coact/core/ini.h"
#include "coact/core/options.h"

namespace coact::options {
namespace {

enum class Mode { Fast, Exact };
std::string mode_text(const Mode& m) { return m == Mode::Fast ? "fast" : "exact"; }
Mode parse_mode(const std::string& t) { return t == "fast" ? Mode::Fast : Mode::Exact; }

struct Inner {
  double rate = 0.5;
  bool on = true;
};

struct Settings {
  std::int64_t count = 4;
  std::string name = "x";
  Mode mode = Mode::Exact;
  Inner inner;
  int threads = 1;
};

Table<Inner> inner_table() {
  Table<Inner> t;
  t.add(real("rate", "a rate").above(0).at_most(1, "a probability"), &Inner::rate);
  t.add(flag("on", "switch"), &Inner::on);
  return t;
}

Table<Settings> settings_table() {
  Table<Settings> t;
  t.add(integer("count", "how many").at_least(1).at_most(1000, "bounded work"), &Settings::count);
  t.add(text("name", "a name"), &Settings::name);
  t.add<Mode>(text("mode", "the mode").one_of({"fast", "exact"}), &Settings::mode, mode_text, parse_mode);
  t.include(inner_table(), &Settings::inner);
  t.add(integer("threads", "threads").at_least(1).performance(), &Settings::threads);
  return t;
}

TEST(Options, ApplySetsGivenValuesAndKeepsDefaults) {
  const auto t = settings_table();
  Settings s;
  t.apply({{"count", std::int64_t{7}}, {"mode", std::string("fast")}, {"rate", 0.25}}, s, flag_labels());
  EXPECT_EQ(s.count, 7);
  EXPECT_EQ(s.mode, Mode::Fast);
  EXPECT_DOUBLE_EQ(s.inner.rate, 0.25);
  EXPECT_TRUE(s.inner.on);
  EXPECT_EQ(s.name, "x");
}

TEST(Options, RangesAreCheckedAndNamed) {
  const auto t = settings_table();
  Settings s;
  try {
    t.apply({{"count", std::int64_t{0}}}, s, flag_labels());
    FAIL() << "count 0 accepted";
  } catch (const UsageError& e) {
    EXPECT_EQ(std::string(e.what()), "--count = 0: too small (expected >= 1 and <= 1000 (bounded work))");
  }
  EXPECT_THROW(t.apply({{"count", std::int64_t{1001}}}, s, flag_labels()), UsageError);
  EXPECT_THROW(t.apply({{"rate", 0.0}}, s, flag_labels()), UsageError);  // exclusive minimum
  EXPECT_THROW(t.apply({{"rate", std::numeric_limits<double>::infinity()}}, s, flag_labels()), UsageError);
  EXPECT_THROW(t.apply({{"rate", std::nan("")}}, s, flag_labels()), UsageError);
  EXPECT_THROW(t.apply({{"mode", std::string("slow")}}, s, key_labels("run")), UsageError);
  EXPECT_THROW(t.apply({{"name", std::string("")}}, s, flag_labels()), UsageError);
  EXPECT_THROW(t.apply({{"nope", std::int64_t{1}}}, s, flag_labels()), UsageError);
  EXPECT_EQ(s.count, 4);  // nothing applied after a refusal of that field
}

TEST(Options, ParseIsStrict) {
  const Spec n = integer("n", "n").at_least(0);
  EXPECT_EQ(std::get<std::int64_t>(n.parse("12", "--n")), 12);
  EXPECT_EQ(std::get<std::int64_t>(n.parse(" +12 ", "--n")), 12);
  for (const char* bad : {"12x", "", "1.5", "1e3", "-1", "99999999999999999999"}) EXPECT_THROW(n.parse(bad, "--n"), UsageError) << bad;
  const Spec x = real("x", "x");
  EXPECT_DOUBLE_EQ(std::get<double>(x.parse("3e-4", "--x")), 3e-4);
  for (const char* bad : {"inf", "nan", "1e400", "0.1.2", "", "1,5"}) EXPECT_THROW(x.parse(bad, "--x"), UsageError) << bad;
  const Spec b = flag("b", "b");
  EXPECT_EQ(std::get<bool>(b.parse("true", "b")), true);
  EXPECT_EQ(std::get<bool>(b.parse("0", "b")), false);
  EXPECT_THROW(b.parse("maybe", "b"), UsageError);
  try {
    x.parse("nan", "train.lr");
    FAIL();
  } catch (const UsageError& e) {
    EXPECT_NE(std::string(e.what()).find("train.lr = nan: not a finite number"), std::string::npos) << e.what();
  }
}

TEST(Options, IniTextDifferencesAndChecks) {
  const auto t = settings_table();
  Settings a, b;
  b.inner.rate = 0.75;
  b.threads = 8;  // a performance knob: never a difference
  EXPECT_EQ(t.ini(a, true), "count = 4\nname = x\nmode = exact\nrate = 0.5\non = true\n");
  EXPECT_EQ(t.ini(a, false), t.ini(a, true) + "threads = 1\n");
  const auto diff = t.differences(a, b);
  ASSERT_EQ(diff.size(), 1u);
  EXPECT_EQ(diff[0].name, "rate");
  EXPECT_EQ(diff[0].first, "0.5");
  EXPECT_EQ(diff[0].second, "0.75");
  Settings bad;
  bad.count = -3;
  EXPECT_THROW(t.check(bad, key_labels("s")), UsageError);
  EXPECT_EQ(t.default_text(*t.find("rate")), "0.5");
}

TEST(Options, ParseAllFromIniText) {
  const auto t = settings_table();
  const IniFile ini = parse_ini("# comment\ntop = 1\n[s]\ncount = 9\nrate = 0.125\n", "x.ini");
  EXPECT_EQ(ini.section("").at("top"), "1");
  const auto given = parse_all(t, ini.section("s"), key_labels("s"));
  Settings s;
  t.apply(given, s, key_labels("s"));
  EXPECT_EQ(s.count, 9);
  EXPECT_DOUBLE_EQ(s.inner.rate, 0.125);
  EXPECT_THROW(parse_all(t, {{"countt", "1"}}, key_labels("s")), UsageError);
  EXPECT_EQ(ini.where("s", "rate"), "x.ini:5");
}

TEST(Ini, RefusesMalformedFiles) {
  EXPECT_THROW(parse_ini("[a\nx = 1\n", "f"), ConfigError);
  EXPECT_THROW(parse_ini("just words\n", "f"), ConfigError);
  EXPECT_THROW(parse_ini("x = 1\nx = 2\n", "f"), ConfigError);
  EXPECT_THROW(parse_ini(std::string("x = 1\0\n", 7), "f"), ConfigError);
  EXPECT_THROW(parse_ini("x = \xff\xfe\n", "f"), ConfigError);
  EXPECT_NO_THROW(parse_ini("x = caf\xc3\xa9\n", "f"));
  EXPECT_THROW(read_ini("/"), ConfigError);
  EXPECT_THROW(read_ini("/nonexistent/file.ini"), ConfigError);
}

}  // namespace
}  // namespace coact::options
