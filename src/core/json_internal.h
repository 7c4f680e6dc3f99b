// Private to the JSON parser and value (src/core/json_*.cpp).
#pragma once

#include <cstddef>
#include <string>

#include "coact/core/json_value.h"

namespace coact {

struct JsonValue::Source {
  std::string context;
  std::string text;
};

namespace json_detail {

// Keys longer than this are shortened in messages, so they stay one readable line.
constexpr std::size_t kPathKeyChars = 48;

inline bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

}  // namespace json_detail
}  // namespace coact
