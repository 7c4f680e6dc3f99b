#include "coact/core/json_value.h"

#include <algorithm>
#include <cstdio>

#include "coact/core/errors.h"
#include "coact/core/json.h"
#include "json_internal.h"

namespace coact {
namespace {

using json_detail::is_space;
using json_detail::kPathKeyChars;

// Position just past the string literal that starts with the quote at `pos`. Only for text
// the parser has already accepted.
std::size_t skip_string(std::string_view text, std::size_t pos) {
  ++pos;
  while (pos < text.size() && text[pos] != '"') pos += text[pos] == '\\' ? 2 : 1;
  return pos + 1;
}

}  // namespace

const char* JsonValue::type_name(Type type) {
  switch (type) {
    case Type::Null: return "null";
    case Type::Bool: return "a boolean";
    case Type::Number: return "a number";
    case Type::String: return "a string";
    case Type::Array: return "an array";
    case Type::Object: return "an object";
  }
  return "?";
}

const std::string& JsonValue::context() const {
  static const std::string none = "JSON value";
  return source_ ? source_->context : none;
}

std::string JsonValue::path() const {
  if (!source_) return "";
  // Re-scan the (already validated) text up to this value's offset, tracking the keys and
  // indices of the open containers. Errors are rare, so this costs nothing in the common case.
  struct Frame {
    bool object;
    std::string key;
    std::size_t index;
  };
  const std::string_view text = source_->text;
  std::vector<Frame> open;
  std::size_t pos = 0;
  const auto skip_ws = [&] {
    while (pos < text.size() && is_space(text[pos])) ++pos;
  };
  const auto render = [&] {
    std::string out;
    for (const Frame& f : open) {
      if (f.object) {
        if (!out.empty()) out += '.';
        out += f.key.size() > kPathKeyChars ? f.key.substr(0, kPathKeyChars) + "..." : f.key;
      } else {
        out += str("[", f.index, "]");
      }
    }
    return out;
  };
  if (text.substr(0, 3) == "\xef\xbb\xbf") pos = 3;
  for (;;) {
    skip_ws();
    if (pos >= offset_) return render();  // at the start of this value
    const char c = text[pos];
    if (c == '{' || c == '[') {
      open.push_back({c == '{', "", 0});
      ++pos;
      skip_ws();
      if (pos < text.size() && (text[pos] == '}' || text[pos] == ']')) {
        open.pop_back();
        ++pos;
      } else if (c == '{') {
        const std::size_t key_end = skip_string(text, pos);
        open.back().key = std::string(text.substr(pos + 1, key_end - pos - 2));
        pos = key_end;
        skip_ws();
        ++pos;  // ':'
        continue;
      } else {
        continue;
      }
    } else if (c == '"') {
      pos = skip_string(text, pos);
    } else {
      while (pos < text.size() && !is_space(text[pos]) && text[pos] != ',' && text[pos] != ']' && text[pos] != '}') ++pos;
    }
    // After a complete value: move to the next sibling or close containers.
    for (;;) {
      skip_ws();
      if (pos >= text.size() || open.empty()) return render();
      if (text[pos] == ',') {
        ++pos;
        Frame& f = open.back();
        if (f.object) {
          skip_ws();
          const std::size_t key_end = skip_string(text, pos);
          f.key = std::string(text.substr(pos + 1, key_end - pos - 2));
          pos = key_end;
          skip_ws();
          ++pos;  // ':'
        } else {
          ++f.index;
        }
        break;
      }
      open.pop_back();  // '}' or ']'
      ++pos;
    }
  }
}

std::string JsonValue::where() const {
  const std::string p = path();
  return p.empty() ? context() : str(context(), ": ", p);
}

void JsonValue::fail(std::string_view what) const { throw InputError(str(where(), ": ", what)); }

void JsonValue::wrong_type(const char* expected) const {
  std::string found = type_name(type_);
  if (type_ == Type::Number) {
    char buf[40];
    std::snprintf(buf, sizeof buf, "%.17g", number_);
    found = buf;
  }
  fail(str("expected ", expected, ", found ", found));
}

bool JsonValue::as_bool() const {
  if (type_ != Type::Bool) wrong_type("a boolean");
  return boolean_;
}

double JsonValue::as_double() const {
  if (type_ != Type::Number) wrong_type("a number");
  return number_;
}

std::int64_t JsonValue::as_int() const {
  if (!is_integer()) wrong_type("an integer");
  return integer_;
}

const std::string& JsonValue::as_string() const {
  if (type_ != Type::String) wrong_type("a string");
  return text_;
}

const std::vector<JsonValue>& JsonValue::as_array() const {
  if (type_ != Type::Array) wrong_type("an array");
  return elements_;
}

const std::vector<JsonValue::Member>& JsonValue::members() const {
  if (type_ != Type::Object) wrong_type("an object");
  return members_;
}

std::size_t JsonValue::size() const {
  if (type_ == Type::Array) return elements_.size();
  if (type_ == Type::Object) return members_.size();
  wrong_type("an array or an object");
}

const JsonValue& JsonValue::at(std::size_t index) const {
  const auto& elements = as_array();
  if (index >= elements.size()) fail(str("expected at least ", index + 1, " elements, found ", elements.size()));
  return elements[index];
}

const JsonValue* JsonValue::find(std::string_view key) const {
  const auto& all = members();
  const auto it = std::lower_bound(sorted_members_.begin(), sorted_members_.end(), key,
                                   [&](std::uint32_t i, std::string_view k) { return all[i].first < k; });
  if (it == sorted_members_.end() || all[*it].first != key) return nullptr;
  return &all[*it].second;
}

const JsonValue& JsonValue::at(std::string_view key) const {
  const JsonValue* v = find(key);
  if (v == nullptr) fail(str("missing key ", json_quote(key)));
  return *v;
}

std::int64_t JsonValue::get_int(std::string_view key, std::int64_t fallback) const {
  const JsonValue* v = find(key);
  return v == nullptr || v->is_null() ? fallback : v->as_int();
}

double JsonValue::get_double(std::string_view key, double fallback) const {
  const JsonValue* v = find(key);
  return v == nullptr || v->is_null() ? fallback : v->as_double();
}

bool JsonValue::get_bool(std::string_view key, bool fallback) const {
  const JsonValue* v = find(key);
  return v == nullptr || v->is_null() ? fallback : v->as_bool();
}

std::string JsonValue::get_string(std::string_view key, std::string_view fallback) const {
  const JsonValue* v = find(key);
  return v == nullptr || v->is_null() ? std::string(fallback) : v->as_string();
}

}  // namespace coact
