#include <gtest/gtest.h>

#include "coact/core/strings.h"

namespace coact {
namespace {

TEST(Strings, Commas) {
  EXPECT_EQ(with_commas(0), "0");
  EXPECT_EQ(with_commas(999), "999");
  EXPECT_EQ(with_commas(1000), "1,000");
  EXPECT_EQ(with_commas(794239), "794,239");
  EXPECT_EQ(with_commas(16384), "16,384");
  EXPECT_EQ(with_commas(-1234567), "-1,234,567");
}

TEST(Strings, HumanUnits) {
  EXPECT_EQ(human_count(950), "950");
  EXPECT_EQ(human_count(12300), "12.3 k");
  EXPECT_EQ(human_bytes(3.0 * 1024 * 1024 * 1024), "3 GiB");
  EXPECT_EQ(human_duration(5.25), "5.2s");
  EXPECT_EQ(human_duration(125), "2m05s");
  EXPECT_EQ(human_duration(3723), "1h02m03s");
}

TEST(Strings, SplitAndTrim) {
  EXPECT_EQ(split("52,55,,7", ','), (std::vector<std::string>{"52", "55", "", "7"}));
  EXPECT_EQ(split("", ','), (std::vector<std::string>{""}));
  EXPECT_EQ(trim("  a b \n"), "a b");
  EXPECT_EQ(trim("   "), "");
  EXPECT_EQ(str("x=", 3, ", y=", 2.5), "x=3, y=2.5");
}

}  // namespace
}  // namespace coact
