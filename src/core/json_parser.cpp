// The parser: strict RFC 8259 text -> JsonValue tree, with limits (see json_value.h).
#include "coact/core/json_value.h"

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <sys/stat.h>

#include "coact/core/errors.h"
#include "coact/core/json.h"
#include "json_internal.h"

namespace coact {
namespace {

using json_detail::is_space;
using json_detail::kPathKeyChars;

// 'x', "end of input" or "byte 0xff": what the parser found where it expected something else.
std::string describe_char(std::string_view text, std::size_t pos) {
  if (pos >= text.size()) return "end of input";
  const auto c = static_cast<unsigned char>(text[pos]);
  if (c >= 0x21 && c < 0x7f) return str("'", static_cast<char>(c), "'");
  char buf[16];
  std::snprintf(buf, sizeof buf, "byte 0x%02x", c);
  return buf;
}

// Appends code point `cp` (already validated: no surrogates, <= 0x10ffff) as UTF-8.
void append_utf8(std::string& out, std::uint32_t cp) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xc0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3f));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xe0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3f));
    out += static_cast<char>(0x80 | (cp & 0x3f));
  } else {
    out += static_cast<char>(0xf0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3f));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3f));
    out += static_cast<char>(0x80 | (cp & 0x3f));
  }
}

// Length of the well-formed UTF-8 sequence at text[pos] (RFC 3629: no overlong forms, no
// surrogates, nothing above U+10FFFF), or 0 when it is malformed.
std::size_t utf8_sequence_length(std::string_view text, std::size_t pos) {
  const auto byte = [&](std::size_t i) -> unsigned {
    return pos + i < text.size() ? static_cast<unsigned char>(text[pos + i]) : 0u;
  };
  const unsigned lead = byte(0);
  const auto continuation = [&](std::size_t i, unsigned lo = 0x80, unsigned hi = 0xbf) {
    const unsigned b = byte(i);
    return pos + i < text.size() && b >= lo && b <= hi;
  };
  if (lead < 0x80) return 1;
  if (lead >= 0xc2 && lead <= 0xdf) return continuation(1) ? 2 : 0;
  if (lead == 0xe0) return continuation(1, 0xa0) && continuation(2) ? 3 : 0;
  if (lead == 0xed) return continuation(1, 0x80, 0x9f) && continuation(2) ? 3 : 0;  // no surrogates
  if (lead >= 0xe1 && lead <= 0xef) return continuation(1) && continuation(2) ? 3 : 0;
  if (lead == 0xf0) return continuation(1, 0x90) && continuation(2) && continuation(3) ? 4 : 0;
  if (lead >= 0xf1 && lead <= 0xf3) return continuation(1) && continuation(2) && continuation(3) ? 4 : 0;
  if (lead == 0xf4) return continuation(1, 0x80, 0x8f) && continuation(2) && continuation(3) ? 4 : 0;
  return 0;
}


}  // namespace

// Recursive descent over the whole text; the recursion depth is bounded by limits.max_depth.
class JsonParser {
 public:
  JsonParser(std::shared_ptr<const JsonValue::Source> source, const JsonLimits& limits)
      : source_(std::move(source)), text_(source_->text), limits_(limits) {}

  JsonValue parse_document() {
    if (text_.size() > limits_.max_bytes)
      throw InputError(str(source_->context, ": JSON text of ", text_.size(), " bytes exceeds the limit of ",
                           limits_.max_bytes, " bytes"));
    if (text_.substr(0, 3) == "\xef\xbb\xbf") pos_ = 3;  // a byte order mark carries no data
    skip_space();
    JsonValue root = parse_value(0);
    skip_space();
    if (pos_ != text_.size()) fail_expected("end of input after the top-level value");
    return root;
  }

 private:
  std::shared_ptr<const JsonValue::Source> source_;
  std::string_view text_;
  const JsonLimits& limits_;
  std::size_t pos_ = 0;
  std::size_t values_ = 0;

  [[noreturn]] void fail_at(std::size_t pos, std::string_view what) const {
    throw InputError(str(source_->context, ": byte ", pos, ": ", what));
  }
  [[noreturn]] void fail_expected(std::string_view expected) const {
    fail_at(pos_, str("expected ", expected, ", found ", describe_char(text_, pos_)));
  }

  void skip_space() {
    while (pos_ < text_.size() && is_space(text_[pos_])) ++pos_;
  }

  JsonValue make(JsonValue::Type type, std::size_t offset) {
    if (++values_ > limits_.max_values)
      fail_at(offset, str("more than ", limits_.max_values, " values (limit)"));
    JsonValue v;
    v.type_ = type;
    v.offset_ = offset;
    v.source_ = source_;
    return v;
  }

  JsonValue parse_value(int depth) {
    if (pos_ >= text_.size()) fail_expected("a value");
    const std::size_t start = pos_;
    switch (text_[pos_]) {
      case '{':
        return parse_object(depth + 1);
      case '[':
        return parse_array(depth + 1);
      case '"': {
        JsonValue v = make(JsonValue::Type::String, start);
        v.text_ = parse_string();
        return v;
      }
      case 't':
        return parse_literal("true", JsonValue::Type::Bool, true);
      case 'f':
        return parse_literal("false", JsonValue::Type::Bool, false);
      case 'n':
        return parse_literal("null", JsonValue::Type::Null, false);
      default:
        if (text_[pos_] == '-' || (text_[pos_] >= '0' && text_[pos_] <= '9')) return parse_number();
        fail_expected("a value (object, array, string, number, true, false or null)");
    }
  }

  JsonValue parse_literal(std::string_view word, JsonValue::Type type, bool flag) {
    if (text_.substr(pos_, word.size()) != word) fail_expected(str("'", word, "'"));
    JsonValue v = make(type, pos_);
    v.boolean_ = flag;
    pos_ += word.size();
    return v;
  }

  void check_depth(int depth) const {
    if (depth > limits_.max_depth) fail_at(pos_, str("nesting deeper than ", limits_.max_depth, " levels (limit)"));
  }

  JsonValue parse_array(int depth) {
    check_depth(depth);
    JsonValue v = make(JsonValue::Type::Array, pos_);
    ++pos_;  // '['
    skip_space();
    if (pos_ < text_.size() && text_[pos_] == ']') {
      ++pos_;
      return v;
    }
    for (;;) {
      skip_space();
      v.elements_.push_back(parse_value(depth));
      skip_space();
      if (pos_ < text_.size() && text_[pos_] == ',') {
        ++pos_;
        continue;
      }
      if (pos_ < text_.size() && text_[pos_] == ']') {
        ++pos_;
        return v;
      }
      fail_expected("',' or ']' after an array element");
    }
  }

  JsonValue parse_object(int depth) {
    check_depth(depth);
    JsonValue v = make(JsonValue::Type::Object, pos_);
    ++pos_;  // '{'
    skip_space();
    if (pos_ < text_.size() && text_[pos_] == '}') {
      ++pos_;
      return v;
    }
    for (;;) {
      skip_space();
      if (pos_ >= text_.size() || text_[pos_] != '"') fail_expected("a string key");
      std::string key = parse_string();
      skip_space();
      if (pos_ >= text_.size() || text_[pos_] != ':') fail_expected("':' after an object key");
      ++pos_;
      skip_space();
      JsonValue member = parse_value(depth);
      v.members_.emplace_back(std::move(key), std::move(member));
      skip_space();
      if (pos_ < text_.size() && text_[pos_] == ',') {
        ++pos_;
        continue;
      }
      if (pos_ < text_.size() && text_[pos_] == '}') {
        ++pos_;
        break;
      }
      fail_expected("',' or '}' after an object member");
    }
    index_members(v);
    return v;
  }

  // Sorts member indices by key (for lookup) and rejects duplicate keys: a reader that kept
  // the first or the last would silently disagree with other tools.
  void index_members(JsonValue& v) const {
    if (v.members_.size() > UINT32_MAX) fail_at(v.offset_, "object has too many members");
    v.sorted_members_.resize(v.members_.size());
    for (std::uint32_t i = 0; i < v.sorted_members_.size(); ++i) v.sorted_members_[i] = i;
    std::sort(v.sorted_members_.begin(), v.sorted_members_.end(), [&](std::uint32_t a, std::uint32_t b) {
      const int c = v.members_[a].first.compare(v.members_[b].first);
      return c != 0 ? c < 0 : a < b;
    });
    for (std::size_t i = 1; i < v.sorted_members_.size(); ++i) {
      const auto& previous = v.members_[v.sorted_members_[i - 1]];
      const auto& current = v.members_[v.sorted_members_[i]];
      if (previous.first == current.first)
        fail_at(current.second.offset_, str("duplicate key ", json_quote(current.first.substr(0, kPathKeyChars))));
    }
  }

  std::uint32_t parse_hex4() {
    if (pos_ + 4 > text_.size()) fail_expected("4 hex digits after \\u");
    std::uint32_t value = 0;
    for (int i = 0; i < 4; ++i) {
      const char c = text_[pos_];
      std::uint32_t digit;
      if (c >= '0' && c <= '9')
        digit = static_cast<std::uint32_t>(c - '0');
      else if (c >= 'a' && c <= 'f')
        digit = static_cast<std::uint32_t>(c - 'a' + 10);
      else if (c >= 'A' && c <= 'F')
        digit = static_cast<std::uint32_t>(c - 'A' + 10);
      else
        fail_expected("a hex digit in a \\u escape");
      value = value * 16 + digit;
      ++pos_;
    }
    return value;
  }

  // Decodes the string literal at pos_ (which holds the opening quote) into UTF-8.
  std::string parse_string() {
    std::string out;
    ++pos_;
    for (;;) {
      if (pos_ >= text_.size()) fail_expected("'\"' to close the string");
      const auto c = static_cast<unsigned char>(text_[pos_]);
      if (c == '"') {
        ++pos_;
        return out;
      }
      if (c < 0x20) fail_at(pos_, str("control character ", describe_char(text_, pos_), " in a string (escape it)"));
      if (c == '\\') {
        parse_escape(out);
        continue;
      }
      const std::size_t length = utf8_sequence_length(text_, pos_);
      if (length == 0) fail_at(pos_, str("invalid UTF-8 (", describe_char(text_, pos_), ") in a string"));
      out.append(text_.substr(pos_, length));
      pos_ += length;
    }
  }

  void parse_escape(std::string& out) {
    const std::size_t escape_start = pos_;
    ++pos_;  // backslash
    if (pos_ >= text_.size()) fail_expected("an escape character");
    const char e = text_[pos_++];
    switch (e) {
      case '"': out += '"'; return;
      case '\\': out += '\\'; return;
      case '/': out += '/'; return;
      case 'b': out += '\b'; return;
      case 'f': out += '\f'; return;
      case 'n': out += '\n'; return;
      case 'r': out += '\r'; return;
      case 't': out += '\t'; return;
      case 'u': break;
      default:
        --pos_;
        fail_expected("one of \" \\ / b f n r t u after a backslash");
    }
    std::uint32_t cp = parse_hex4();
    if (cp >= 0xdc00 && cp <= 0xdfff) fail_at(escape_start, "lone low surrogate in a \\u escape");
    if (cp >= 0xd800 && cp <= 0xdbff) {
      // A high surrogate must be followed by an escaped low surrogate: together one code point.
      if (text_.substr(pos_, 2) != "\\u") fail_at(escape_start, "high surrogate \\u escape without a low surrogate after it");
      pos_ += 2;
      const std::uint32_t low = parse_hex4();
      if (low < 0xdc00 || low > 0xdfff) fail_at(escape_start, "high surrogate \\u escape without a low surrogate after it");
      cp = 0x10000 + ((cp - 0xd800) << 10) + (low - 0xdc00);
    }
    append_utf8(out, cp);
  }

  JsonValue parse_number() {
    const std::size_t start = pos_;
    const auto digit = [&](std::size_t p) { return p < text_.size() && text_[p] >= '0' && text_[p] <= '9'; };
    if (text_[pos_] == '-') ++pos_;
    if (!digit(pos_)) fail_expected("a digit");
    if (text_[pos_] == '0') {
      ++pos_;
      if (digit(pos_)) fail_at(pos_, "leading zero in a number");
    } else {
      while (digit(pos_)) ++pos_;
    }
    bool integer_literal = true;
    if (pos_ < text_.size() && text_[pos_] == '.') {
      integer_literal = false;
      ++pos_;
      if (!digit(pos_)) fail_expected("a digit after the decimal point");
      while (digit(pos_)) ++pos_;
    }
    if (pos_ < text_.size() && (text_[pos_] == 'e' || text_[pos_] == 'E')) {
      integer_literal = false;
      ++pos_;
      if (pos_ < text_.size() && (text_[pos_] == '+' || text_[pos_] == '-')) ++pos_;
      if (!digit(pos_)) fail_expected("a digit in the exponent");
      while (digit(pos_)) ++pos_;
    }
    const char* first = text_.data() + start;
    const char* last = text_.data() + pos_;
    JsonValue v = make(JsonValue::Type::Number, start);
    // from_chars is locale-independent, unlike strtod.
    const auto parsed = std::from_chars(first, last, v.number_);
    if (parsed.ec != std::errc() || parsed.ptr != last || !std::isfinite(v.number_))
      fail_at(start, str("number ", std::string_view(first, static_cast<std::size_t>(std::min<std::ptrdiff_t>(last - first, 40))),
                         " is out of the range of a double"));
    if (integer_literal) {
      // Exact even beyond 2^53 (seeds, byte offsets), when int64 holds it.
      const auto exact = std::from_chars(first, last, v.integer_);
      v.integral_ = exact.ec == std::errc() && exact.ptr == last;
    } else if (std::floor(v.number_) == v.number_ && std::fabs(v.number_) < 9007199254740992.0) {
      // "16384.0" or "1e3": integral, and exact because it is below 2^53 (where doubles still
      // hold every integer, so the literal was not rounded).
      v.integral_ = true;
      v.integer_ = static_cast<std::int64_t>(v.number_);
    }
    return v;
  }
};

bool valid_utf8(std::string_view text) {
  for (std::size_t pos = 0; pos < text.size();) {
    const std::size_t length = utf8_sequence_length(text, pos);
    if (length == 0) return false;
    pos += length;
  }
  return true;
}

JsonValue parse_json(std::string_view text, std::string_view context, const JsonLimits& limits) {
  auto source = std::make_shared<JsonValue::Source>();
  source->context = std::string(context);
  if (text.size() > limits.max_bytes)
    throw InputError(str(context, ": JSON text of ", text.size(), " bytes exceeds the limit of ", limits.max_bytes, " bytes"));
  source->text = std::string(text);
  JsonParser parser(source, limits);
  return parser.parse_document();
}

JsonValue parse_json_file(const std::string& path, const JsonLimits& limits) {
  struct stat info {};
  if (::stat(path.c_str(), &info) != 0) throw InputError(str(path, ": cannot open: ", std::strerror(errno)));
  if (!S_ISREG(info.st_mode)) throw InputError(str(path, ": not a regular file"));
  if (static_cast<std::uint64_t>(info.st_size) > limits.max_bytes)
    throw InputError(str(path, ": JSON file of ", info.st_size, " bytes exceeds the limit of ", limits.max_bytes, " bytes"));
  std::ifstream in(path, std::ios::binary);
  if (!in) throw InputError(str(path, ": cannot open: ", std::strerror(errno)));
  std::string text(static_cast<std::size_t>(info.st_size), '\0');
  in.read(text.data(), static_cast<std::streamsize>(text.size()));
  if (in.gcount() != static_cast<std::streamsize>(text.size())) throw InputError(str(path, ": cannot read the whole file"));
  return parse_json(text, path, limits);
}

}  // namespace coact
