// A strict reader of .npy headers: a tiny parser for the one dict literal numpy.save writes.
#include "coact/io/npy_header.h"

#include <cstring>
#include <string_view>

#include "coact/core/errors.h"

namespace coact::io {

namespace {

class DictCursor {
 public:
  DictCursor(std::string_view text, const std::string& path) : text_(text), path_(path) {}

  [[noreturn]] void fail(std::string_view what) const {
    // The header without numpy's padding, so the message stays one line.
    std::string_view shown = text_.substr(0, 160);
    while (!shown.empty() && (shown.back() == ' ' || shown.back() == '\n')) shown.remove_suffix(1);
    throw InputError(str(path_, ": .npy header: ", what, " at character ", at_, " of \"", shown, "\""));
  }
  void skip_spaces() {
    while (at_ < text_.size() && (text_[at_] == ' ' || text_[at_] == '\t')) ++at_;
  }
  bool take(char c) {
    skip_spaces();
    if (at_ < text_.size() && text_[at_] == c) {
      ++at_;
      return true;
    }
    return false;
  }
  void expect(char c) {
    if (!take(c)) fail(str("expected '", c, "'"));
  }
  std::string quoted() {
    skip_spaces();
    if (at_ >= text_.size() || (text_[at_] != '\'' && text_[at_] != '"')) fail("expected a quoted string");
    const char quote = text_[at_++];
    const std::size_t end = text_.find(quote, at_);
    if (end == std::string_view::npos) fail("unterminated string");
    std::string value(text_.substr(at_, end - at_));
    at_ = end + 1;
    return value;
  }
  bool boolean() {
    skip_spaces();
    for (const auto& [word, value] : {std::pair{"True", true}, std::pair{"False", false}}) {
      if (text_.substr(at_).starts_with(word)) {
        at_ += std::strlen(word);
        return value;
      }
    }
    fail("expected True or False");
  }
  std::vector<std::int64_t> tuple() {
    expect('(');
    std::vector<std::int64_t> values;
    while (!take(')')) {
      skip_spaces();
      std::int64_t value = 0;
      std::size_t digits = 0;
      while (at_ < text_.size() && text_[at_] >= '0' && text_[at_] <= '9') {
        if (value > (INT64_MAX - 9) / 10) fail("dimension too large");
        value = value * 10 + (text_[at_++] - '0');
        ++digits;
      }
      if (digits == 0) fail("expected a non-negative integer dimension");
      values.push_back(value);
      if (!take(',')) {
        expect(')');
        break;
      }
    }
    return values;
  }
  // Only spaces (numpy's padding) and one final newline may follow the dict.
  void expect_end() {
    skip_spaces();
    if (at_ < text_.size() && text_[at_] == '\n') ++at_;
    if (at_ != text_.size()) fail("unexpected text after the dictionary");
  }

 private:
  std::string_view text_;
  const std::string& path_;
  std::size_t at_ = 0;
};

}  // namespace

NpyHeader parse_npy_header(const std::string& prefix, const std::string& path) {
  static constexpr char kMagic[] = "\x93NUMPY";
  if (prefix.size() < 10 || prefix.compare(0, 6, kMagic, 6) != 0) {
    throw InputError(str(path, ": not a .npy file (no \\x93NUMPY magic)"));
  }
  const int major = static_cast<unsigned char>(prefix[6]);
  std::size_t length_bytes;
  if (major == 1) length_bytes = 2;
  else if (major == 2 || major == 3) length_bytes = 4;
  else throw InputError(str(path, ": .npy format version ", major, ".", static_cast<int>(static_cast<unsigned char>(prefix[7])),
                            " is not supported (1.0 to 3.0 are)"));
  if (prefix.size() < 8 + length_bytes) throw InputError(str(path, ": .npy header is cut off"));
  std::size_t header_length = 0;
  for (std::size_t i = 0; i < length_bytes; ++i) {
    header_length |= static_cast<std::size_t>(static_cast<unsigned char>(prefix[8 + i])) << (8 * i);
  }
  const std::size_t header_start = 8 + length_bytes;
  if (header_length > (std::size_t{1} << 16) || prefix.size() < header_start + header_length) {
    throw InputError(str(path, ": .npy header length ", header_length, " runs past the end of the file"));
  }

  DictCursor cursor(std::string_view(prefix).substr(header_start, header_length), path);
  NpyHeader header;
  header.data_offset = static_cast<std::int64_t>(header_start + header_length);
  bool has_descr = false, has_order = false, has_shape = false;
  cursor.expect('{');
  while (!cursor.take('}')) {
    const std::string key = cursor.quoted();
    cursor.expect(':');
    if (key == "descr" && !has_descr) {
      header.descr = cursor.quoted();
      has_descr = true;
    } else if (key == "fortran_order" && !has_order) {
      header.fortran_order = cursor.boolean();
      has_order = true;
    } else if (key == "shape" && !has_shape) {
      header.shape = cursor.tuple();
      has_shape = true;
    } else {
      cursor.fail(str("unexpected or repeated key '", key, "'"));
    }
    if (!cursor.take(',')) {
      cursor.expect('}');
      break;
    }
  }
  cursor.expect_end();
  if (!has_descr || !has_order || !has_shape) cursor.fail("missing one of 'descr', 'fortran_order', 'shape'");
  return header;
}

}  // namespace coact::io
